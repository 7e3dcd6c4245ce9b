import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The build and run cache outside the repo: ${GOASSIST_CACHE:-$HOME/.cache/goassist}. */
export function goassistCacheDir(): string {
  return process.env.GOASSIST_CACHE || join(homedir(), '.cache', 'goassist');
}

/** The repository root: the nearest ancestor of this file whose package.json names `goassist`. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'goassist') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('hack/: cannot find the goassist repository root above ' + import.meta.url);
    dir = parent;
  }
}
