import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';

export interface PocketsphinxCommand {
  binary: string;
  args: string[];
  /** How long the process may take to load its model. */
  startTimeoutMs: number;
  /** How long after the end of an utterance its final hypothesis may take before the decoder counts as hung. */
  finalTimeoutMs: number;
}

/** One utterance as the worker sees it. */
export interface Utterance {
  readonly id: string;
  /** The decoder's hypothesis so far, each time it changes while audio arrives. */
  partial(text: string): void;
  resolve(text: string): void;
  reject(err: Error): void;
}

interface Slot {
  utt: Utterance;
  /** Utterance number on the wire (uint32). */
  wireId: number;
  /** Audio pushed before the utterance reached the head of the queue. */
  pending: Buffer[];
  /** Audio of this utterance written to the decoder, in bytes. */
  written: number;
  opened: boolean;
  ended: boolean;
  dropped: boolean;
}

/** The reason utterances fail when the worker is stopped on purpose (engine closed). */
export class WorkerStoppedError extends Error {
  override readonly name = 'WorkerStoppedError';
}

const OP_START = 0x53; // 'S'
const OP_AUDIO = 0x41; // 'A'
const OP_END = 0x45; // 'E'
const HEADER_BYTES = 9;
/** PCM16 mono at the decoder's 16 kHz. */
const BYTES_PER_MS = 32;
const HYP_LINE = /^([PF]) (\d+) ?(.*)$/;

/**
 * One long-lived `goassist-ps-stream` process (runtime/engines/asr/native/ps-stream.c) with its
 * model loaded. Audio goes to it over stdin as it arrives, so decoding runs while the user speaks:
 * partial hypotheses come back as they change and the final one soon after the end of the
 * utterance. The process decodes one utterance at a time; later ones wait here with their audio.
 */
export class PocketsphinxWorker {
  private child: ChildProcessWithoutNullStreams | undefined;
  private queue: Slot[] = [];
  private nextWireId = 1;
  private stopping = false;
  private exited = false;
  private readonly errors: string[] = [];
  private ready: { resolve(): void; reject(err: Error): void } | undefined;
  /** Watchdog for the utterance whose end was sent and whose final hypothesis has not come back. */
  private hungTimer: NodeJS.Timeout | undefined;

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

  /** Starts the process; resolves once it reports its model loaded. */
  async start(): Promise<void> {
    const child = spawn(this.cmd.binary, this.cmd.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const loaded = new Promise<void>((resolve, reject) => (this.ready = { resolve, reject }));
    child.once('error', (err) => {
      this.exited = true; // never started: no 'exit' follows
      this.ready?.reject(err);
    });
    child.once('exit', (code, signal) => this.handleExit(code, signal));
    child.stdin.on('error', () => undefined); // EPIPE when the decoder dies: the exit handler reports it
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      if (/ERROR|FATAL/.test(line)) this.note(line.trim());
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no model loaded within ${this.cmd.startTimeoutMs} ms`)),
        this.cmd.startTimeoutMs,
      );
    });
    try {
      await Promise.race([loaded, timeout]);
    } catch (err) {
      this.kill();
      throw new Error(`${this.cmd.binary} did not start: ${this.describe(err)}`);
    } finally {
      clearTimeout(timer);
      this.ready = undefined;
    }
  }

  submit(utt: Utterance): void {
    const wireId = this.nextWireId;
    this.nextWireId = (this.nextWireId % 0xffffffff) + 1;
    const slot: Slot = {
      utt,
      wireId,
      pending: [],
      written: 0,
      opened: false,
      ended: false,
      dropped: false,
    };
    this.queue.push(slot);
    if (this.queue.length === 1) this.open(slot);
  }

  push(id: string, audio: Buffer): void {
    const slot = this.find(id);
    if (!slot || slot.ended) return;
    if (slot.opened) this.writeAudio(slot, audio);
    else slot.pending.push(audio);
  }

  /** Ends the utterance's audio; its hypothesis follows. */
  end(id: string): void {
    const slot = this.find(id);
    if (!slot || slot.ended) return;
    slot.ended = true;
    if (slot.opened) this.sendEnd(slot);
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
    slot.pending = [];
    this.end(id);
  }

  /** Closes stdin: the decoder exits at end of input. Kills it if it does not. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    for (const slot of this.queue.splice(0))
      if (!slot.dropped) slot.utt.reject(new WorkerStoppedError('decoder stopped'));
    if (!child || this.exited) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end();
    const timer = setTimeout(() => this.kill(), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child && !this.exited) this.child.kill(signal);
  }

  private find(id: string): Slot | undefined {
    return this.queue.find((s) => s.utt.id === id);
  }

  private open(slot: Slot): void {
    slot.opened = true;
    this.write(OP_START, slot.wireId);
    for (const chunk of slot.pending) this.writeAudio(slot, chunk);
    slot.pending = [];
    if (slot.ended) this.sendEnd(slot);
  }

  private writeAudio(slot: Slot, audio: Buffer): void {
    slot.written += audio.length;
    this.write(OP_AUDIO, slot.wireId, audio);
  }

  private sendEnd(slot: Slot): void {
    this.write(OP_END, slot.wireId);
    // A decoder that stops answering (stuck, or stopped by a signal) would hold every utterance
    // queued behind it: past the limit it is killed, its utterance fails and the engine restarts it.
    // The limit grows with the utterance (a queued one may still have all its audio to decode),
    // allowing decoding as slow as real time.
    const limitMs = this.cmd.finalTimeoutMs + slot.written / BYTES_PER_MS;
    clearTimeout(this.hungTimer);
    this.hungTimer = setTimeout(() => {
      this.note(`no final hypothesis within ${Math.round(limitMs)} ms of the end of an utterance`);
      this.kill();
    }, limitMs);
  }

  private write(op: number, wireId: number, payload?: Buffer): void {
    if (!this.child || this.exited) return;
    const frame = Buffer.allocUnsafe(HEADER_BYTES + (payload?.length ?? 0));
    frame[0] = op;
    frame.writeUInt32LE(wireId, 1);
    frame.writeUInt32LE(payload?.length ?? 0, 5);
    payload?.copy(frame, HEADER_BYTES);
    this.child.stdin.write(frame);
  }

  private onLine(line: string): void {
    if (line === 'READY') {
      this.ready?.resolve();
      return;
    }
    if (line.startsWith('ERR ')) {
      this.note(line); // the process exits next; the exit handler reports it
      return;
    }
    const m = HYP_LINE.exec(line);
    const head = this.queue[0];
    if (!m || !head || Number(m[2]) !== head.wireId) {
      this.note(`unexpected decoder output: ${line.slice(0, 200)}`);
      this.kill();
      return;
    }
    const text = (m[3] ?? '').trim();
    if (m[1] === 'P') {
      if (!head.dropped) head.utt.partial(text);
      return;
    }
    this.queue.shift();
    clearTimeout(this.hungTimer);
    if (!head.dropped) head.utt.resolve(text);
    const next = this.queue[0];
    if (next) this.open(next);
  }

  private handleExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    clearTimeout(this.hungTimer);
    const detail = `${this.cmd.binary} exited (${signal ?? `code ${code}`})${this.errors.length ? `: ${this.errors.join('; ')}` : ''}`;
    this.ready?.reject(new Error(detail));
    for (const slot of this.queue.splice(0)) if (!slot.dropped) slot.utt.reject(new Error(detail));
    if (!this.stopping) this.onExit(this, detail);
  }

  private note(error: string): void {
    this.errors.push(error);
    if (this.errors.length > 5) this.errors.shift();
  }

  private describe(err: unknown): string {
    const base = err instanceof Error ? err.message : String(err);
    return this.errors.length ? `${base} (${this.errors.join('; ')})` : base;
  }
}
