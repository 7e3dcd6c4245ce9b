/**
 * Sends agent audio at real-time pace with a small lead, in small chunks, so that stopping it means
 * emptying one small queue. It keeps a model of the client's playout clock: audio sent but not yet
 * played is at most `leadMs`. `pause()` rewinds that unplayed audio back into the queue, so a resume
 * starts at the first sample the user did not hear and `playedSamples()` is what they heard.
 */

export interface PacerSink {
  sendAudio(pcm: Int16Array): void;
  bufferedBytes(): number;
}

export interface PacerOptions {
  sampleRate: number;
  chunkMs: number;
  leadMs: number;
  /** Socket backpressure: no audio is sent while more than this is queued in the socket. */
  maxSocketBufferedBytes: number;
  /** Called just before a chunk is written; `firstOfRun` for the first chunk after start or resume. */
  onSend?: (pcm: Int16Array, tag: number, firstOfRun: boolean) => void;
  /** Called right after the very first chunk was written (`at`: `now()`). */
  onFirstSent?: (at: number) => void;
  now?: () => number;
}

/**
 * One timer for every pacer in the process instead of one per session per chunk: while any pacer
 * waits, the clock fires every CLOCK_MS and runs the pacers that are due. A pacer is served at
 * most CLOCK_MS late, which the lead (100 ms by default) absorbs.
 */
const CLOCK_MS = 10;

class PacerClock {
  private readonly waiting = new Set<Pacer>();
  private timer: NodeJS.Timeout | undefined;

  add(pacer: Pacer): void {
    this.waiting.add(pacer);
    this.timer ??= setInterval(() => this.fire(), CLOCK_MS);
  }

  delete(pacer: Pacer): void {
    this.waiting.delete(pacer);
    if (this.waiting.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private fire(): void {
    for (const pacer of this.waiting) pacer.onClock();
  }
}

const clock = new PacerClock();

interface Piece {
  pcm: Int16Array;
  tag: number;
}

interface SentChunk extends Piece {
  /** Client playout interval of this chunk (ms, `now()` clock). */
  start: number;
  end: number;
}

export class Pacer {
  private readonly queue: Piece[] = [];
  private queued = 0;
  private readonly sentLog: SentChunk[] = [];
  private readonly sentByTag = new Map<number, number>();
  private playEnd = 0;
  private ended = false;
  private paused = false;
  private stopped = false;
  private runStarted = false;
  /** `now()` at which the clock should run this pacer next, while it waits. */
  private wakeAt: number | undefined;
  private roomWaiters: Array<() => void> = [];
  private resolveDone!: () => void;
  private readonly chunkSamples: number;
  private readonly now: () => number;
  /** `now()` when the first chunk was written to the socket, if any. */
  firstSendAt: number | undefined;
  /** Resolves once `end()` was called and every queued sample has been sent and played out. */
  readonly done: Promise<void>;

  constructor(
    private readonly sink: PacerSink,
    private readonly opts: PacerOptions,
  ) {
    this.chunkSamples = Math.max(1, Math.round((opts.sampleRate * opts.chunkMs) / 1000));
    this.now = opts.now ?? (() => performance.now());
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Samples waiting to be sent. */
  get queuedSamples(): number {
    return this.queued;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** True once any audio was sent (and not all of it rewound). */
  get hasSentAudio(): boolean {
    for (const samples of this.sentByTag.values()) if (samples > 0) return true;
    return false;
  }

  enqueue(pcm: Int16Array, tag: number): void {
    if (this.stopped || this.ended || pcm.length === 0) return;
    this.queue.push({ pcm, tag });
    this.queued += pcm.length;
    // Sent at once when there is room: the first chunk of a reply leaves without a timer hop.
    if (this.wakeAt === undefined) this.tick();
  }

  /** Producer backpressure: resolves once fewer than `maxQueuedMs` of audio wait to be sent. */
  async waitForRoom(maxQueuedMs: number, signal: AbortSignal): Promise<void> {
    const limit = (maxQueuedMs * this.opts.sampleRate) / 1000;
    while (!this.stopped && this.queued >= limit) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.roomWaiters.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    signal.throwIfAborted();
  }

  /** No more audio will be enqueued. */
  end(): void {
    this.ended = true;
    this.schedule(0);
  }

  /** Stops sending at once and puts audio the client has not played yet back at the queue's head. */
  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    this.clearTimer();
    const now = this.now();
    const rewound: Piece[] = [];
    for (const chunk of this.sentLog) {
      if (chunk.end <= now) continue;
      const playedMs = Math.max(0, now - chunk.start);
      const played = Math.min(chunk.pcm.length, Math.floor((playedMs * this.opts.sampleRate) / 1000));
      const rest = chunk.pcm.subarray(played);
      rewound.push({ pcm: rest, tag: chunk.tag });
      this.sentByTag.set(chunk.tag, (this.sentByTag.get(chunk.tag) ?? 0) - rest.length);
    }
    this.sentLog.length = 0;
    this.queue.unshift(...rewound);
    for (const piece of rewound) this.queued += piece.pcm.length;
    this.playEnd = now;
  }

  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    this.runStarted = false;
    this.clearTimer();
    this.tick();
  }

  /** Discards everything; nothing is sent any more. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.queue.length = 0;
    this.queued = 0;
    this.wakeProducers();
  }

  /** Samples of `tag` the client has played (everything sent, minus what a pause rewound). */
  playedSamples(tag: number): number {
    return this.sentByTag.get(tag) ?? 0;
  }

  /** @internal Called by the shared clock while this pacer waits. */
  onClock(): void {
    if (this.wakeAt === undefined || this.now() < this.wakeAt) return;
    this.clearTimer();
    this.tick();
  }

  private schedule(delayMs: number): void {
    if (this.wakeAt !== undefined || this.paused || this.stopped) return;
    this.wakeAt = this.now() + delayMs;
    clock.add(this);
  }

  private clearTimer(): void {
    if (this.wakeAt === undefined) return;
    this.wakeAt = undefined;
    clock.delete(this);
  }

  private tick(): void {
    if (this.paused || this.stopped) return;
    const now = this.now();
    while (this.sentLog.length > 0 && (this.sentLog[0] as SentChunk).end <= now) this.sentLog.shift();
    if (this.playEnd < now) this.playEnd = now;
    let sent = false;
    while (this.queue.length > 0 && this.playEnd - now < this.opts.leadMs) {
      if (this.sink.bufferedBytes() > this.opts.maxSocketBufferedBytes) {
        this.schedule(this.opts.chunkMs);
        return;
      }
      const piece = this.takeChunk();
      this.opts.onSend?.(piece.pcm, piece.tag, !this.runStarted);
      this.sink.sendAudio(piece.pcm);
      if (this.firstSendAt === undefined) {
        this.firstSendAt = this.now();
        this.opts.onFirstSent?.(this.firstSendAt);
      }
      this.runStarted = true;
      sent = true;
      const durationMs = (piece.pcm.length * 1000) / this.opts.sampleRate;
      this.sentLog.push({ ...piece, start: this.playEnd, end: this.playEnd + durationMs });
      this.playEnd += durationMs;
      this.sentByTag.set(piece.tag, (this.sentByTag.get(piece.tag) ?? 0) + piece.pcm.length);
    }
    if (sent) this.wakeProducers();
    if (this.queue.length > 0) {
      this.schedule(Math.max(1, this.playEnd - now - this.opts.leadMs));
    } else if (this.ended) {
      if (this.playEnd <= now) this.resolveDone();
      else this.schedule(Math.max(1, this.playEnd - now));
    }
  }

  private takeChunk(): Piece {
    const head = this.queue[0] as Piece;
    if (head.pcm.length <= this.chunkSamples) {
      this.queue.shift();
      this.queued -= head.pcm.length;
      return head;
    }
    const chunk = head.pcm.subarray(0, this.chunkSamples);
    head.pcm = head.pcm.subarray(this.chunkSamples);
    this.queued -= chunk.length;
    return { pcm: chunk, tag: head.tag };
  }

  private wakeProducers(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
