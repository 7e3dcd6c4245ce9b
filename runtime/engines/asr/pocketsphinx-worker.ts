import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { makeFifo, openFifoReader, openFifoWriter } from './fifo.js';

export interface PocketsphinxCommand {
  binary: string;
  args: string[];
  /** How long the process may take to load its model (and to open each utterance's pipe). */
  startTimeoutMs: number;
}

/** One utterance as the worker sees it. */
export interface Utterance {
  readonly id: string;
  resolve(text: string): void;
  reject(err: Error): void;
}

interface Slot {
  utt: Utterance;
  /** Audio pushed before the utterance reached the head of the queue. */
  pending: Buffer[];
  sink: net.Socket | undefined;
  fifo: string | undefined;
  ended: boolean;
  dropped: boolean;
}

/** The reason utterances fail when the worker is stopped on purpose (engine closed). */
export class WorkerStoppedError extends Error {
  override readonly name = 'WorkerStoppedError';
}

const HYP_LINE = /^(.*?)\s*\((\S+)\s+(-?\d+)\)\s*$/;

/**
 * One long-lived `pocketsphinx_batch` process with its model loaded. Its control file is a named
 * pipe: each utterance is one control line naming another named pipe that carries the audio, so
 * the decoder works on the audio as it arrives and the end of the pipe ends the utterance. The
 * process handles utterances in order; one hypothesis line comes back per control line.
 */
export class PocketsphinxWorker {
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  private ctl: net.Socket | undefined;
  private hyp: net.Socket | undefined;
  private queue: Slot[] = [];
  private freeFifos: string[] = [];
  private fifoCount = 0;
  private stopping = false;
  private exited = false;
  private readonly errors: string[] = [];

  constructor(
    private readonly cmd: PocketsphinxCommand,
    private readonly onExit: (worker: PocketsphinxWorker, detail: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Utterances queued or in progress. */
  get load(): number {
    return this.queue.length;
  }

  get alive(): boolean {
    return this.child !== undefined && !this.exited;
  }

  /** Starts the process; resolves once it has opened its control pipe (not yet proof of a loaded model). */
  async start(): Promise<void> {
    this.dir = await mkdtemp(path.join(os.tmpdir(), 'goassist-ps-'));
    const ctlPath = path.join(this.dir, 'ctl');
    const hypPath = path.join(this.dir, 'hyp');
    await makeFifo(ctlPath);
    await makeFifo(hypPath);
    // Hypotheses come back through a named pipe: stdout is a socket, which the decoder cannot
    // fopen() by path. Opened read-write so the pipe has a writer and never reads end-of-file.
    this.hyp = await openFifoReader(hypPath);
    const args = [
      ...this.cmd.args,
      '-adcin',
      'yes',
      '-cepdir',
      this.dir,
      '-cepext',
      '.raw',
      '-ctl',
      ctlPath,
      '-hyp',
      hypPath,
    ];
    const child = spawn(this.cmd.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (err) => {
        this.exited = true; // never started: no 'exit' follows
        reject(err);
      });
    });
    spawnError.catch(() => undefined);
    child.once('exit', (code, signal) => this.handleExit(code, signal));
    readline.createInterface({ input: this.hyp }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      if (/ERROR|FATAL/.test(line)) {
        this.errors.push(line.trim());
        if (this.errors.length > 5) this.errors.shift();
      }
    });
    this.ctl = await Promise.race([
      openFifoWriter(ctlPath, this.cmd.startTimeoutMs, () => this.exited),
      spawnError,
    ]).catch((err: unknown) => {
      this.kill();
      throw new Error(`${this.cmd.binary} did not start: ${this.describe(err)}`);
    });
    this.ctl.on('error', () => undefined); // the exit handler reports a dead process
  }

  submit(utt: Utterance): void {
    const slot: Slot = { utt, pending: [], sink: undefined, fifo: undefined, ended: false, dropped: false };
    this.queue.push(slot);
    if (this.queue.length === 1) void this.activate(slot);
  }

  push(id: string, audio: Buffer): void {
    const slot = this.find(id);
    if (!slot || slot.ended) return;
    if (slot.sink) slot.sink.write(audio);
    else slot.pending.push(audio);
  }

  /** Ends the utterance's audio; its hypothesis follows. */
  end(id: string): void {
    const slot = this.find(id);
    if (!slot || slot.ended) return;
    slot.ended = true;
    slot.sink?.end();
  }

  /** Drops an utterance: a queued one is removed, the active one is cut short and its result ignored. */
  drop(id: string): void {
    const slot = this.find(id);
    if (!slot) return;
    slot.dropped = true;
    if (slot !== this.queue[0]) {
      this.queue.splice(this.queue.indexOf(slot), 1);
      return;
    }
    slot.ended = true;
    slot.pending = [];
    slot.sink?.end();
  }

  /** Closes the control pipe: the decoder finishes its queue and exits. Kills it if it does not. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopping = true;
    const dir = this.dir;
    const child = this.child;
    if (child && !this.exited) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const head = this.queue[0];
      for (const slot of this.queue.splice(1))
        if (!slot.dropped) slot.utt.reject(new WorkerStoppedError('decoder stopped'));
      if (head) {
        if (!head.dropped) head.utt.reject(new WorkerStoppedError('decoder stopped'));
        head.dropped = true;
        head.ended = true;
        head.sink?.end();
      }
      this.ctl?.end();
      const timer = setTimeout(() => this.kill(), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    // Also when the process never started (spawn error: no 'exit' event to clean up after).
    for (const slot of this.queue.splice(0)) slot.sink?.destroy();
    this.ctl?.destroy();
    this.hyp?.destroy();
    this.dir = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child && !this.exited) this.child.kill(signal);
  }

  private find(id: string): Slot | undefined {
    return this.queue.find((s) => s.utt.id === id);
  }

  private async activate(slot: Slot): Promise<void> {
    try {
      if (this.stopping) return;
      let fifo = this.freeFifos.pop();
      if (!fifo) {
        fifo = `u${this.fifoCount++}`;
        await makeFifo(path.join(this.dir!, `${fifo}.raw`));
      }
      slot.fifo = fifo;
      const fifoPath = path.join(this.dir!, `${fifo}.raw`);
      this.ctl!.write(`${fifo} 0 -1 ${slot.utt.id}\n`);
      const sink = await openFifoWriter(fifoPath, this.cmd.startTimeoutMs, () => this.exited);
      sink.on('error', () => undefined); // EPIPE when the decoder dies: the exit handler reports it
      slot.sink = sink;
      for (const chunk of slot.pending) sink.write(chunk);
      slot.pending = [];
      if (slot.ended) sink.end();
    } catch (err) {
      if (!this.exited) {
        this.errors.push(`cannot feed utterance: ${this.describe(err)}`);
        this.kill();
      }
    }
  }

  private onLine(line: string): void {
    const m = HYP_LINE.exec(line);
    const head = this.queue[0];
    if (!m || !head || m[2] !== head.utt.id) {
      this.errors.push(`unexpected decoder output: ${line.slice(0, 200)}`);
      this.kill();
      return;
    }
    this.queue.shift();
    head.sink?.destroy();
    if (head.fifo) this.freeFifos.push(head.fifo);
    if (!head.dropped) head.utt.resolve(m[1]!.trim());
    const next = this.queue[0];
    if (next) void this.activate(next);
  }

  private handleExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    const detail = `${this.cmd.binary} exited (${signal ?? `code ${code}`})${this.errors.length ? `: ${this.errors.join('; ')}` : ''}`;
    const lost = this.queue.splice(0);
    for (const slot of lost) {
      slot.sink?.destroy();
      if (!slot.dropped) slot.utt.reject(new Error(detail));
    }
    this.ctl?.destroy();
    this.hyp?.destroy();
    if (!this.stopping) this.onExit(this, detail);
  }

  private describe(err: unknown): string {
    const base = err instanceof Error ? err.message : String(err);
    return this.errors.length ? `${base} (${this.errors.join('; ')})` : base;
  }
}
