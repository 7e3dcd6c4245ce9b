import type { Worker } from 'node:worker_threads';
import { abortError } from '../asr/abort.js';
import {
  EngineError,
  type AudioChunk,
  type ComponentStatus,
  type TtsEngine,
  type TurnOptions,
} from '../types.js';
import { siblingModule, startWorker } from '../worker-thread.js';
import type { EspeakWorkerInit, EspeakWorkerMessage } from './espeak-protocol.js';

/**
 * Embedded TTS: espeak-ng compiled to WebAssembly (@echogarden/espeak-ng-emscripten, GPL-3.0),
 * in worker threads of this process. Chunks stream out as espeak-ng makes them, at its native
 * 22050 Hz (the pipeline resamples); an abort stops synthesis at the next chunk.
 */
export interface EspeakOptions {
  /** espeak-ng voice (default `en-us`). */
  voice?: string;
  /** Speaking rate in words per minute (espeak-ng accepts 80..450; default 175). */
  rate?: number;
  /** Worker threads, each synthesising one clause at a time (default 1). */
  threads?: number;
}

const RESTART_MIN_MS = 200;
const RESTART_MAX_MS = 10_000;

interface Job {
  id: number;
  text: string;
  chunks: Int16Array[];
  done: boolean;
  error: EngineError | undefined;
  wake: (() => void) | undefined;
}

class SynthThread {
  worker: Worker | undefined;
  sampleRate = 22050;
  up = false;
  readonly cancel = new SharedArrayBuffer(4);
  private readonly cancelView = new Int32Array(this.cancel);
  queue: Job[] = [];

  constructor(
    private readonly init: Omit<EspeakWorkerInit, 'cancel'>,
    private readonly onCrash: (t: SynthThread, detail: string) => void,
  ) {}

  start(): Promise<void> {
    const data: EspeakWorkerInit = { ...this.init, cancel: this.cancel };
    const worker = startWorker(siblingModule(import.meta.url, 'espeak-worker'), { workerData: data });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: EspeakWorkerMessage) => {
        if (msg.type === 'ready') {
          this.sampleRate = msg.sampleRate;
          this.up = true;
          resolve();
        } else if (msg.type === 'error') {
          void worker.terminate();
          reject(new Error(msg.message));
        } else this.onMessage(msg);
      });
      worker.on('error', (err) => {
        if (!this.up) reject(err);
      });
      worker.on('exit', (code) => {
        const wasUp = this.up;
        this.up = false;
        if (this.worker !== worker) return;
        this.worker = undefined;
        if (wasUp) this.onCrash(this, `espeak-ng worker exited (code ${code})`);
      });
    });
  }

  submit(job: Job): void {
    this.queue.push(job);
    if (this.queue.length === 1) this.worker!.postMessage({ id: job.id, text: job.text });
  }

  /** Stops a job: the running one at its next chunk, a queued one before it starts. */
  cancelJob(job: Job): void {
    if (this.queue[0] === job) Atomics.store(this.cancelView, 0, job.id);
    else this.queue = this.queue.filter((j) => j !== job);
  }

  failAll(err: EngineError): void {
    for (const job of this.queue.splice(0)) {
      job.error = err;
      job.wake?.();
    }
  }

  async stop(): Promise<void> {
    this.up = false;
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }

  private onMessage(msg: Exclude<EspeakWorkerMessage, { type: 'ready' | 'error' }>): void {
    const job = this.queue[0];
    if (!job || job.id !== msg.id) return;
    // A view of this realm over the transferred buffer (no copy): consumers may check instanceof.
    if (msg.type === 'chunk')
      job.chunks.push(new Int16Array(msg.pcm.buffer, msg.pcm.byteOffset, msg.pcm.length));
    else {
      this.queue.shift();
      job.done = true;
      if (msg.error !== undefined)
        job.error = new EngineError('tts', 'internal', `espeak-ng failed: ${msg.error}`);
      const next = this.queue[0];
      if (next) this.worker?.postMessage({ id: next.id, text: next.text });
    }
    job.wake?.();
  }
}

export class EspeakTts implements TtsEngine {
  readonly component = 'tts' as const;
  readonly name = 'espeak';

  private threads: SynthThread[] = [];
  private state: ComponentStatus = { state: 'loading', engine: 'espeak' };
  private nextId = 1;
  private closed = false;
  private restartDelay = RESTART_MIN_MS;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: EspeakOptions = {}) {}

  /** Sample rate of the audio produced (espeak-ng's native rate). */
  get sampleRate(): number {
    return this.threads[0]?.sampleRate ?? 22050;
  }

  async init(): Promise<void> {
    const rate = this.opts.rate ?? 175;
    if (!Number.isFinite(rate) || rate < 80 || rate > 450) {
      throw this.fail('config', `espeak rate must be 80..450 words per minute, got ${rate}`);
    }
    const n = Math.max(1, this.opts.threads ?? 1);
    this.threads = Array.from({ length: n }, () => this.makeThread());
    try {
      await Promise.all(this.threads.map((t) => t.start()));
    } catch (err) {
      await Promise.all(this.threads.map((t) => t.stop()));
      const message = err instanceof Error ? err.message : String(err);
      throw this.fail(/no voice/.test(message) ? 'config' : 'model_load', message, err);
    }
    this.state = { state: 'up', engine: this.name, detail: `voice ${this.voice}, ${rate} wpm` };
  }

  status(): ComponentStatus {
    return { ...this.state };
  }

  synthesize(text: string, opts: TurnOptions): AsyncIterable<AudioChunk> {
    return this.run(text, opts.signal);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.state = { state: 'down', engine: this.name, detail: 'closed' };
    const err = new EngineError('tts', 'unavailable', 'espeak engine closed');
    for (const t of this.threads) t.failAll(err);
    await Promise.all(this.threads.map((t) => t.stop()));
  }

  /** Fault injection for tests: ends the worker threads as a crash would. */
  async crashWorkersForTesting(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker?.terminate()));
  }

  private get voice(): string {
    return this.opts.voice ?? 'en-us';
  }

  private makeThread(): SynthThread {
    return new SynthThread({ voice: this.voice, rate: this.opts.rate ?? 175 }, (t, detail) =>
      this.onCrash(t, detail),
    );
  }

  private async *run(text: string, signal: AbortSignal): AsyncGenerator<AudioChunk> {
    if (signal.aborted) throw abortError(signal);
    if (text.trim() === '') return;
    const thread = this.threads.filter((t) => t.up).sort((a, b) => a.queue.length - b.queue.length)[0];
    if (!thread || this.closed) {
      throw new EngineError(
        'tts',
        'unavailable',
        `espeak is ${this.state.state}: ${this.state.detail ?? ''}`,
        true,
      );
    }
    const job: Job = { id: this.nextId++, text, chunks: [], done: false, error: undefined, wake: undefined };
    const onAbort = (): void => job.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    thread.submit(job);
    try {
      for (;;) {
        if (signal.aborted) throw abortError(signal);
        const pcm = job.chunks.shift();
        if (pcm) {
          yield { pcm, sampleRate: thread.sampleRate };
          continue;
        }
        if (job.error) throw job.error;
        if (job.done) return;
        await new Promise<void>((resolve) => (job.wake = resolve));
        job.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Abort, a consumer's break or an error: stop espeak-ng working on a clause no one reads.
      if (!job.done) thread.cancelJob(job);
    }
  }

  private onCrash(thread: SynthThread, detail: string): void {
    thread.failAll(new EngineError('tts', 'worker_crashed', detail, true));
    if (this.closed) return;
    if (!this.threads.some((t) => t.up)) this.state = { state: 'down', engine: this.name, detail };
    const delay = this.restartDelay;
    this.restartDelay = Math.min(RESTART_MAX_MS, delay * 2);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) return;
      thread.start().then(
        () => {
          this.restartDelay = RESTART_MIN_MS;
          this.state = {
            state: 'up',
            engine: this.name,
            detail: `voice ${this.voice}, ${this.opts.rate ?? 175} wpm`,
          };
        },
        (err: unknown) => this.onCrash(thread, `restart failed: ${String(err)}`),
      );
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private fail(code: 'config' | 'model_load', message: string, cause?: unknown): EngineError {
    this.state = { state: 'down', engine: this.name, detail: message };
    return new EngineError('tts', code, message, false, { cause });
  }
}
