import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ControlPlaneError } from './errors.js';
import { repoRoot } from './paths.js';

export const CONTROL_PLANE_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE_BINARIES)[number];

/**
 * Runs hack/controlplane/build.sh (a few milliseconds once the cache is complete, a long Go build the
 * first time) and returns the bin dir it printed. Build progress goes to `log`, or stderr.
 */
export async function ensureControlPlaneBinaries(log?: (line: string) => void): Promise<string> {
  const script = join(repoRoot(), 'hack', 'controlplane', 'build.sh');
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const tail: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => {
    tail.push(l);
    if (tail.length > 30) tail.shift();
    if (log) log(l);
    else process.stderr.write(l + '\n');
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const binDir = out.at(-1)?.trim();
  if (code !== 0 || !binDir) {
    throw new ControlPlaneError(
      'BUILD_FAILED',
      `hack/controlplane/build.sh exited with ${code}; last output:\n${tail.join('\n')}`,
    );
  }
  for (const b of CONTROL_PLANE_BINARIES) {
    if (!existsSync(join(binDir, b))) {
      throw new ControlPlaneError('BINARY_MISSING', `${b} is missing from ${binDir}`);
    }
  }
  return binDir;
}
