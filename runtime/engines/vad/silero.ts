import { access } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { EngineError, type ComponentStatus, type VadEngine, type VadStream } from '../types.js';
import { siblingModule, startWorker } from '../worker-thread.js';
import type { SileroLayout } from './silero-model.js';
import type { BatchRequest, BatchResult, WorkerInit, WorkerMessage } from './silero-protocol.js';

export interface SileroVadOptions {
  /** Path of the Silero VAD ONNX model (v4 or v5). */
  modelPath: string;
  /** Threads ONNX Runtime uses inside one inference (default 1: batching gives the throughput). */
  intraOpThreads?: number;
  /** Most frames in one batched inference (default 64). */
  maxBatch?: number;
}

const SAMPLE_RATE = 16000;
const FRAME = 512;
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;

interface PendingFrame {
  stream: SileroVadStream;
  frame: Float32Array;
  /** The stream's reset generation when queued: a reset in between drops the new state. */
  generation: number;
  resolve(p: number): void;
  reject(err: unknown): void;
}

/**
 * Silero VAD with one ONNX Runtime session per process, in a worker thread. Frames from all
 * streams that arrive while a batch runs (or within the same tick) go into the next batched
 * inference: the model has a batch dimension, and one call over N frames costs far less than N.
 */
export class SileroVad implements VadEngine {
  readonly component = 'vad' as const;
  readonly name = 'silero';
  readonly sampleRate = SAMPLE_RATE;
  readonly frameSamples = FRAME;

  private worker: Worker | undefined;
  private layout: SileroLayout | undefined;
  private state: ComponentStatus = { state: 'loading', engine: 'silero' };
  private queue: PendingFrame[] = [];
  private inFlight: { id: number; batch: PendingFrame[] } | undefined;
  private scheduled = false;
  private nextId = 1;
  private closed = false;
  private restartDelay = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly maxBatch: number;
  /** Batches run and frames inferred, for benchmarks and tests. */
  readonly stats = { batches: 0, frames: 0 };

  constructor(private readonly opts: SileroVadOptions) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 64);
  }

  async init(): Promise<void> {
    this.state = { state: 'loading', engine: this.name };
    try {
      await access(this.opts.modelPath);
    } catch (err) {
      throw this.fail(`Silero VAD model not readable at ${this.opts.modelPath}`, err);
    }
    await this.start();
  }

  /** The model layout found at init (v4 or v5). */
  get version(): 'v4' | 'v5' | undefined {
    return this.layout?.version;
  }

  status(): ComponentStatus {
    return { ...this.state };
  }

  createStream(): VadStream {
    if (!this.layout) throw new EngineError('vad', 'unavailable', 'Silero VAD is not initialised');
    return new SileroVadStream(this, this.layout);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.state = { state: 'down', engine: this.name, detail: 'closed' };
    this.failAll(new EngineError('vad', 'unavailable', 'Silero VAD closed'));
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  /** Fault injection for tests: ends the worker thread as a crash would. */
  async crashWorkerForTesting(): Promise<void> {
    await this.worker?.terminate();
  }

  /** @internal Queues one frame of a stream for the next batch. */
  enqueue(stream: SileroVadStream, frame: Float32Array): Promise<number> {
    if (!this.worker || this.state.state !== 'up') {
      return Promise.reject(new EngineError('vad', 'unavailable', `Silero VAD is ${this.state.state}`, true));
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ stream, frame, generation: stream.generation, resolve, reject });
      this.schedule();
    });
  }

  private start(): Promise<void> {
    const init: WorkerInit = {
      modelPath: this.opts.modelPath,
      intraOpThreads: this.opts.intraOpThreads ?? 1,
      sampleRate: SAMPLE_RATE,
    };
    const worker = startWorker(siblingModule(import.meta.url, 'silero-worker'), { workerData: init });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') {
          ready = true;
          this.layout = msg.layout;
          this.restartDelay = RESTART_MIN_MS;
          this.state = { state: 'up', engine: this.name, detail: `silero ${msg.layout.version}` };
          resolve();
        } else if (msg.type === 'error') {
          void worker.terminate();
          reject(this.fail(msg.message));
        } else this.onResult(msg);
      });
      worker.on('error', (err) => {
        if (!ready) reject(this.fail(`Silero VAD worker failed to start: ${err.message}`, err));
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        if (!ready || this.closed) return;
        this.onCrash(`Silero VAD worker exited (code ${code})`);
      });
    });
  }

  private onCrash(detail: string): void {
    this.state = { state: 'down', engine: this.name, detail };
    this.failAll(new EngineError('vad', 'worker_crashed', detail, true));
    const delay = this.restartDelay;
    this.restartDelay = Math.min(RESTART_MAX_MS, delay * 2);
    this.restartTimer = setTimeout(() => {
      if (this.closed) return;
      this.state = { state: 'loading', engine: this.name, detail: `restarting after: ${detail}` };
      this.start().catch(() => this.onCrash(this.state.detail ?? 'restart failed'));
    }, delay);
    this.restartTimer.unref();
  }

  private failAll(err: EngineError): void {
    const pending = [...(this.inFlight?.batch ?? []), ...this.queue.splice(0)];
    this.inFlight = undefined;
    for (const p of pending) p.reject(err);
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.sendBatch();
    });
  }

  private sendBatch(): void {
    const worker = this.worker;
    const layout = this.layout;
    if (!worker || !layout || this.inFlight || this.queue.length === 0) return;
    // One frame per stream per batch: a stream's next frame needs the state this one produces.
    const batch: PendingFrame[] = [];
    const rest: PendingFrame[] = [];
    const seen = new Set<SileroVadStream>();
    for (const p of this.queue) {
      if (batch.length < this.maxBatch && !seen.has(p.stream)) {
        seen.add(p.stream);
        batch.push(p);
      } else rest.push(p);
    }
    this.queue = rest;
    const n = batch.length;
    const width = FRAME + layout.contextSamples;
    const input = new Float32Array(n * width);
    batch.forEach((p, b) => {
      if (layout.contextSamples > 0) input.set(p.stream.context, b * width);
      input.set(p.frame, b * width + layout.contextSamples);
    });
    const w = layout.stateWidth;
    // State tensors are [2 layers, batch, width]; each stream keeps its own [2, width].
    const states = layout.states.map((_, si) => {
      const data = new Float32Array(2 * n * w);
      batch.forEach((p, b) => {
        const own = p.stream.states[si]!;
        data.set(own.subarray(0, w), b * w);
        data.set(own.subarray(w, 2 * w), (n + b) * w);
      });
      return data;
    });
    const id = this.nextId++;
    this.inFlight = { id, batch };
    this.stats.batches += 1;
    this.stats.frames += n;
    const req: BatchRequest = { id, n, input, states };
    worker.postMessage(req, [input.buffer, ...states.map((s) => s.buffer)]);
  }

  private onResult(msg: BatchResult): void {
    const flight = this.inFlight;
    if (!flight || flight.id !== msg.id) return;
    this.inFlight = undefined;
    const layout = this.layout!;
    if (msg.error !== undefined || !msg.probs || !msg.states) {
      const err = new EngineError(
        'vad',
        'internal',
        `Silero VAD inference failed: ${msg.error ?? 'no output'}`,
      );
      for (const p of flight.batch) p.reject(err);
    } else {
      const n = flight.batch.length;
      const w = layout.stateWidth;
      flight.batch.forEach((p, b) => {
        const s = p.stream;
        if (!s.closed && p.generation === s.generation) {
          msg.states!.forEach((data, si) => {
            const own = s.states[si]!;
            own.set(data.subarray(b * w, (b + 1) * w), 0);
            own.set(data.subarray((n + b) * w, (n + b + 1) * w), w);
          });
          if (layout.contextSamples > 0) s.context.set(p.frame.subarray(FRAME - layout.contextSamples));
        }
        p.resolve(msg.probs![b]!);
      });
    }
    if (this.queue.length > 0) this.sendBatch();
  }

  private fail(message: string, cause?: unknown): EngineError {
    this.state = { state: 'down', engine: this.name, detail: message };
    return new EngineError('vad', 'model_load', message, false, { cause });
  }
}

/** Per-session recurrent state of the model; frames must be pushed in order. */
export class SileroVadStream implements VadStream {
  readonly states: Float32Array[];
  readonly context: Float32Array;
  closed = false;
  generation = 0;

  constructor(
    private readonly engine: SileroVad,
    layout: SileroLayout,
  ) {
    this.states = layout.states.map(() => new Float32Array(2 * layout.stateWidth));
    this.context = new Float32Array(layout.contextSamples);
  }

  process(frame: Float32Array): Promise<number> {
    if (this.closed) return Promise.reject(new EngineError('vad', 'internal', 'VAD stream is closed'));
    if (frame.length !== FRAME) {
      return Promise.reject(
        new EngineError('vad', 'internal', `VAD frame must be ${FRAME} samples, got ${frame.length}`),
      );
    }
    return this.engine.enqueue(this, frame);
  }

  reset(): void {
    this.generation += 1;
    for (const s of this.states) s.fill(0);
    this.context.fill(0);
  }

  close(): void {
    this.closed = true;
  }
}

export function createVadEngine(opts: SileroVadOptions): VadEngine {
  return new SileroVad(opts);
}
