/** Runs the built runtime (`dist/runtime/main.js`, what ships) as a child process. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const MAIN_JS = join(process.cwd(), 'dist', 'runtime', 'main.js');

export interface RuntimeChild {
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the port from the `runtime listening` log line. */
  port: Promise<number>;
}

export function startRuntimeChild(env: Record<string, string>): RuntimeChild {
  if (!existsSync(MAIN_JS))
    throw new Error(`${MAIN_JS} is missing: run \`npm run build\` (make test does) first`);
  const proc = spawn(process.execPath, [MAIN_JS], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let portFound: (p: number) => void = () => {};
  const port = new Promise<number>((resolve) => (portFound = resolve));
  let buffered = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      stdout.push(line);
      if (line.includes('"runtime listening"'))
        portFound((JSON.parse(line) as { port: { port: number } }).port.port);
    }
  });
  proc.stderr!.on('data', (chunk: Buffer) =>
    stderr.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    ),
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, stdout, stderr, exited, port };
}
