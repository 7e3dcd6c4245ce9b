import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ControlPlaneError } from './errors.js';

const TAIL_LINES = 40;

/** One child process of the harness: its output as lines, its exit as a promise, and a bounded stop. */
export class ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly name: string,
    binary: string,
    args: string[],
    log: (line: string) => void,
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    this.child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env, cwd: opts.cwd });
    if (this.child.pid === undefined) {
      throw new ControlPlaneError('PROCESS_EXITED', `${name}: could not start ${binary}`);
    }
    this.pid = this.child.pid;
    const onLine = (line: string): void => {
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      log(`[${name}] ${line}`);
    };
    createInterface({ input: this.child.stdout! }).on('line', onLine);
    createInterface({ input: this.child.stderr! }).on('line', onLine);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.on('error', (err) => {
        onLine(`spawn error: ${err.message}`);
        this.exitInfo = { code: null, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last lines the process printed, for error messages. */
  recentOutput(): string {
    return this.tail.join('\n');
  }

  /** A typed error if the process has exited, for readiness loops to throw. */
  exitError(): ControlPlaneError | undefined {
    if (!this.exitInfo) return undefined;
    const { code, signal } = this.exitInfo;
    return new ControlPlaneError(
      'PROCESS_EXITED',
      `${this.name} exited (code ${code}, signal ${signal}); last output:\n${this.recentOutput()}`,
    );
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.running) this.child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }
}
