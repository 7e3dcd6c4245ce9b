import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './harness.js';

export interface OperatorProcess {
  identity: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** The operator as its own process (node + tsx on operator/main.ts), as a pod would run it. */
export function spawnOperator(identity: string, env: Record<string, string>): OperatorProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'operator', 'main.ts')], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      POD_NAME: identity,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(...b.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 500) output.splice(0, output.length - 500);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { identity, child, output, exited };
}

/** Stops a process this test started: SIGTERM, then SIGKILL after a grace period. */
export async function stopProcess(p: OperatorProcess | undefined, graceMs = 10_000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(t);
}
