import os from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../package-root.js';
import {
  EngineError,
  type AsrEngine,
  type AsrResult,
  type AsrStream,
  type ComponentStatus,
  type TurnOptions,
} from '../types.js';
import { abortError } from './abort.js';
import { PocketsphinxWorker, WorkerStoppedError } from './pocketsphinx-worker.js';
import { fliteSpeech } from './prime-audio.js';

export interface PocketsphinxOptions {
  /** Decoder processes kept warm (default 1). Each decodes one utterance at a time. */
  workers?: number;
  /** The streaming decoder (default: `goassist-ps-stream` built by `make build` into dist/native/). */
  binary?: string;
  /** Acoustic model directory, language model and dictionary (default: Debian `pocketsphinx-en-us`). */
  hmm?: string;
  lm?: string;
  dict?: string;
  /** More decoder flags, e.g. ['-beam', '1e-40']. */
  extraArgs?: string[];
  /** How often a partial hypothesis may be reported while audio arrives (default 200 ms; 0: none). */
  partialEveryMs?: number;
  /** Text spoken (by flite) to each new decoder before it takes traffic; false to skip. */
  primeText?: string | false;
  /** Model load limit (default 30 s). */
  startTimeoutMs?: number;
  /** A decoder that gives no final hypothesis this long after an utterance's end is killed and restarted (default 10 s). */
  finalTimeoutMs?: number;
  /** Restart back-off after a decoder dies (default 200 ms doubling to 10 s). */
  restartMinMs?: number;
  restartMaxMs?: number;
}

const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const SAMPLE_RATE = 16000;
const DEFAULT_PRIME = 'hello, what time is it';

if (os.endianness() !== 'LE') throw new Error('pocketsphinx engine expects a little-endian host');

/** Where `make build` puts the streaming decoder (runtime/engines/asr/native/build.sh). */
export const PS_STREAM_BINARY = join(packageRoot(), 'dist', 'native', 'goassist-ps-stream');

/**
 * Embedded ASR on CMU PocketSphinx: a pool of warm decoder processes (one model each) that decode
 * audio as the user speaks, reporting partial hypotheses on the way; `finish()` only waits for the
 * tail of the utterance.
 */
export class PocketsphinxAsr implements AsrEngine {
  readonly component = 'asr' as const;
  readonly name = 'pocketsphinx';
  readonly sampleRate = SAMPLE_RATE;

  private readonly workers = new Set<PocketsphinxWorker>();
  private readonly ready = new Set<PocketsphinxWorker>();
  private primeAudio: Int16Array | undefined;
  private primeNote = '';
  private detail = '';
  private initialised = false;
  private closed = false;
  private nextId = 1;
  private restartDelay: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: PocketsphinxOptions = {}) {
    this.restartDelay = opts.restartMinMs ?? 200;
  }

  async init(): Promise<void> {
    if (this.opts.primeText !== false) {
      try {
        this.primeAudio = await fliteSpeech(this.opts.primeText ?? DEFAULT_PRIME, SAMPLE_RATE);
      } catch (err) {
        // Priming only improves the first utterance; without flite the decoder still works.
        this.primeNote = ` (not primed: flite failed: ${err instanceof Error ? err.message : String(err)})`;
      }
    }
    const n = Math.max(1, this.opts.workers ?? 1);
    try {
      await Promise.all(Array.from({ length: n }, () => this.startWorker()));
    } catch (err) {
      await this.close();
      this.closed = false;
      const message = err instanceof Error ? err.message : String(err);
      this.detail = message;
      const missing = /ENOENT/.test(message);
      const hint =
        this.binary === PS_STREAM_BINARY
          ? 'run `make build` (it compiles the decoder; needs the Debian packages gcc, pkg-config, libpocketsphinx-dev, libsphinxbase-dev)'
          : 'check the decoder binary path';
      throw new EngineError(
        'asr',
        missing ? 'config' : 'model_load',
        missing
          ? `${this.binary} not found: ${hint} (${message})`
          : `pocketsphinx failed to load its model: ${message}`,
        false,
        { cause: err },
      );
    }
    this.initialised = true;
  }

  status(): ComponentStatus {
    const total = Math.max(1, this.opts.workers ?? 1);
    if (this.closed) return { state: 'down', engine: this.name, detail: 'closed' };
    if (!this.initialised) {
      return this.detail
        ? { state: 'down', engine: this.name, detail: this.detail }
        : { state: 'loading', engine: this.name };
    }
    if (this.ready.size === 0) {
      return { state: 'down', engine: this.name, detail: this.detail || 'no decoder running' };
    }
    return {
      state: 'up',
      engine: this.name,
      detail: `${this.ready.size}/${total} decoders warm${this.primeNote}`,
    };
  }

  /** Process ids of the running decoders (for operations and tests). */
  pids(): number[] {
    return [...this.ready].map((w) => w.pid).filter((p): p is number => p !== undefined);
  }

  stream(opts: TurnOptions): AsrStream {
    const worker = [...this.ready].sort((a, b) => a.load - b.load)[0];
    return new PocketsphinxStream(`utt${this.nextId++}`, worker, opts.signal);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const all = [...this.workers];
    this.workers.clear();
    this.ready.clear();
    await Promise.all(all.map((w) => w.stop()));
  }

  private get binary(): string {
    return this.opts.binary ?? PS_STREAM_BINARY;
  }

  private async startWorker(): Promise<void> {
    const args = [
      '-hmm',
      this.opts.hmm ?? `${MODEL_DIR}/en-us`,
      '-lm',
      this.opts.lm ?? `${MODEL_DIR}/en-us.lm.bin`,
      '-dict',
      this.opts.dict ?? `${MODEL_DIR}/cmudict-en-us.dict`,
      '-samprate',
      String(SAMPLE_RATE),
      // Live cepstral mean normalisation: features stream as audio arrives and the mean carries
      // over between utterances (batch CMN would wait for the end of each utterance).
      '-cmn',
      'live',
      '-partial_ms',
      String(this.opts.partialEveryMs ?? 200),
      ...(this.opts.extraArgs ?? []),
    ];
    const worker = new PocketsphinxWorker(
      {
        binary: this.binary,
        args,
        startTimeoutMs: this.opts.startTimeoutMs ?? 30_000,
        finalTimeoutMs: this.opts.finalTimeoutMs ?? 10_000,
      },
      (w, detail) => this.onWorkerExit(w, detail),
    );
    this.workers.add(worker);
    try {
      await worker.start();
      // One decoded utterance proves the decoder works end to end; speech also primes it.
      await this.prime(worker, this.primeAudio ?? new Int16Array(SAMPLE_RATE / 5));
    } catch (err) {
      this.workers.delete(worker);
      await worker.stop();
      throw err;
    }
    if (this.closed) {
      await worker.stop();
      return;
    }
    this.ready.add(worker);
    this.restartDelay = this.opts.restartMinMs ?? 200;
  }

  /** The decoder's first utterance (cepstral mean still at its initial guess) is often wrong. */
  private prime(worker: PocketsphinxWorker, pcm: Int16Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const id = `prime${this.nextId++}`;
      worker.submit({ id, partial: () => undefined, resolve: () => resolve(), reject });
      worker.push(id, pcmBytes(pcm));
      worker.end(id);
    });
  }

  private onWorkerExit(worker: PocketsphinxWorker, detail: string): void {
    this.ready.delete(worker);
    this.workers.delete(worker);
    void worker.stop();
    this.detail = detail;
    if (this.closed) return;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.opts.restartMaxMs ?? 10_000, delay * 2);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) return;
      this.startWorker().catch((err: unknown) => {
        this.onWorkerExit(worker, `restart failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}

function pcmBytes(pcm: Int16Array): Buffer {
  // A copy: the caller may reuse its array once push() returns.
  return Buffer.from(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
}

class PocketsphinxStream implements AsrStream {
  private readonly result: Promise<AsrResult>;
  private settle: { resolve(r: AsrResult): void; reject(e: Error): void } | undefined;
  private finished = false;
  private done = false;
  /** The newest partial hypothesis not yet read (older ones are superseded). */
  private latestPartial: string | undefined;
  private wakePartials: (() => void) | undefined;

  constructor(
    private readonly id: string,
    private readonly worker: PocketsphinxWorker | undefined,
    private readonly signal: AbortSignal,
  ) {
    this.result = new Promise<AsrResult>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // finish() hands this promise out; until then a failure must not count as unhandled.
    this.result.catch(() => undefined);
    if (signal.aborted) {
      this.fail(abortError(signal));
      return;
    }
    if (!worker || !worker.alive) {
      this.fail(new EngineError('asr', 'unavailable', 'no pocketsphinx decoder is running', true));
      return;
    }
    signal.addEventListener('abort', this.onAbort, { once: true });
    worker.submit({
      id,
      partial: (text) => this.onPartial(text),
      resolve: (text) => this.succeed({ text }),
      reject: (err) =>
        this.fail(
          err instanceof WorkerStoppedError
            ? new EngineError('asr', 'unavailable', 'pocketsphinx engine closed', false, { cause: err })
            : new EngineError('asr', 'worker_crashed', err.message, true, { cause: err }),
        ),
    });
  }

  push(pcm: Int16Array): void {
    if (this.finished) throw new EngineError('asr', 'internal', 'push() after finish()');
    if (this.done || pcm.length === 0) return;
    this.worker!.push(this.id, pcmBytes(pcm));
  }

  async *partials(): AsyncGenerator<string> {
    for (;;) {
      const text = this.latestPartial;
      this.latestPartial = undefined;
      if (text !== undefined) {
        yield text;
        continue;
      }
      if (this.done || this.finished) return;
      await new Promise<void>((resolve) => (this.wakePartials = resolve));
      this.wakePartials = undefined;
    }
  }

  finish(): Promise<AsrResult> {
    if (!this.finished) {
      this.finished = true;
      this.wakePartials?.();
      if (!this.done) this.worker!.end(this.id);
    }
    return this.result;
  }

  private readonly onAbort = (): void => {
    if (this.done) return;
    this.worker?.drop(this.id);
    this.fail(abortError(this.signal));
  };

  private onPartial(text: string): void {
    if (this.done || this.finished) return;
    this.latestPartial = text;
    this.wakePartials?.();
  }

  private succeed(r: AsrResult): void {
    if (this.done) return;
    this.done = true;
    this.wakePartials?.();
    this.signal.removeEventListener('abort', this.onAbort);
    this.settle!.resolve(r);
  }

  private fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.wakePartials?.();
    this.signal.removeEventListener('abort', this.onAbort);
    this.settle!.reject(err);
  }
}
