import { open } from 'node:fs/promises';
import { initWhisper, type WhisperContext } from '@fugood/whisper.node';
import {
  EngineError,
  type AsrEngine,
  type AsrResult,
  type AsrStream,
  type ComponentStatus,
  type TurnOptions,
} from '../types.js';
import { abortError } from './abort.js';

export interface WhisperOptions {
  /** ggml Whisper model file (ASR_MODEL_PATH). */
  modelPath: string;
  /** Spoken language (default `en`); `auto` detects it. */
  language?: string;
  /** CPU threads per transcription (default 2). */
  threads?: number;
  /** Longest utterance kept; audio beyond it is not transcribed (default 30 s, Whisper's window). */
  maxSeconds?: number;
}

const SAMPLE_RATE = 16000;
const GGML_MAGIC = 0x67676d6c; // "ggml" as a little-endian uint32
const GGUF_MAGIC = 0x46554747; // "GGUF"

/**
 * Whisper (whisper.cpp through @fugood/whisper.node). The model is loaded once at init; audio is
 * buffered while the user speaks and transcribed at finish(). One context transcribes one
 * utterance at a time, so transcriptions queue.
 */
export class WhisperAsr implements AsrEngine {
  readonly component = 'asr' as const;
  readonly name = 'whisper';
  readonly sampleRate = SAMPLE_RATE;

  private ctx: WhisperContext | undefined;
  private state: ComponentStatus = { state: 'loading', engine: 'whisper' };
  private tail: Promise<unknown> = Promise.resolve();
  private readonly closing = new AbortController();

  constructor(private readonly opts: WhisperOptions) {}

  async init(): Promise<void> {
    const file = this.opts.modelPath;
    if (!file) throw this.fail('config', 'whisper needs a model file: set ASR_MODEL_PATH');
    let header: Buffer;
    try {
      const fh = await open(file, 'r');
      try {
        const { bytesRead, buffer } = await fh.read(Buffer.alloc(48), 0, 48, 0);
        header = buffer.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw this.fail(
        'model_load',
        `whisper model file ${file} cannot be read: ${(err as Error).message}`,
        err,
      );
    }
    const problem = headerProblem(header);
    if (problem) throw this.fail('model_load', `whisper model file ${file} ${problem}`);
    try {
      this.ctx = await initWhisper({ filePath: file, useGpu: false });
    } catch (err) {
      throw this.fail('model_load', `whisper.cpp could not load ${file}: ${(err as Error).message}`, err);
    }
    this.state = { state: 'up', engine: this.name, detail: file };
  }

  status(): ComponentStatus {
    return { ...this.state };
  }

  stream(opts: TurnOptions): AsrStream {
    return new WhisperStream(this, opts.signal, Math.round((this.opts.maxSeconds ?? 30) * SAMPLE_RATE));
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.state = { state: 'down', engine: this.name, detail: 'closed' };
    const ctx = this.ctx;
    this.ctx = undefined;
    await this.tail.catch(() => undefined);
    await ctx?.release();
  }

  /** @internal Transcribes one utterance once the ones before it are done. */
  transcribe(pcm: Int16Array, signal: AbortSignal): Promise<AsrResult> {
    const run = this.tail.catch(() => undefined).then(() => this.transcribeNow(pcm, signal));
    this.tail = run;
    return run;
  }

  private async transcribeNow(pcm: Int16Array, signal: AbortSignal): Promise<AsrResult> {
    if (signal.aborted) throw abortError(signal);
    const ctx = this.ctx;
    if (!ctx) throw new EngineError('asr', 'unavailable', `whisper is ${this.state.state}`, true);
    if (pcm.length === 0) return { text: '' };
    const audio = pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer;
    const job = ctx.transcribeData(audio, {
      language: this.opts.language ?? 'en',
      maxThreads: this.opts.threads ?? 2,
      temperature: 0,
    });
    const stop = (): void => void job.stop().catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    this.closing.signal.addEventListener('abort', stop, { once: true });
    try {
      const result = await job.promise;
      if (signal.aborted) throw abortError(signal);
      if (this.closing.signal.aborted) throw new EngineError('asr', 'unavailable', 'whisper engine closed');
      return { text: result.result.trim() };
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      if (err instanceof EngineError) throw err;
      throw new EngineError(
        'asr',
        'internal',
        `whisper transcription failed: ${(err as Error).message}`,
        false,
        {
          cause: err,
        },
      );
    } finally {
      signal.removeEventListener('abort', stop);
      this.closing.signal.removeEventListener('abort', stop);
    }
  }

  private fail(code: 'config' | 'model_load', message: string, cause?: unknown): EngineError {
    this.state = { state: 'down', engine: this.name, detail: message };
    return new EngineError('asr', code, message, false, { cause });
  }
}

const HPARAMS = [
  'n_vocab',
  'n_audio_ctx',
  'n_audio_state',
  'n_audio_head',
  'n_audio_layer',
  'n_text_ctx',
  'n_text_state',
  'n_text_head',
  'n_text_layer',
  'n_mels',
  'ftype',
] as const;

/**
 * What is wrong with a model file's header, if anything. whisper.cpp can abort the whole process
 * on nonsense hyper-parameters (it sizes buffers from them), so they are checked here first.
 */
function headerProblem(h: Buffer): string | undefined {
  const magic = h.length >= 4 ? h.readUInt32LE(0) : 0;
  if (magic === GGUF_MAGIC) return undefined;
  if (magic !== GGML_MAGIC) return 'is not a ggml/gguf model (bad magic)';
  if (h.length < 48) return 'is truncated (incomplete header)';
  const p = Object.fromEntries(HPARAMS.map((name, i) => [name, h.readInt32LE(4 + 4 * i)])) as Record<
    (typeof HPARAMS)[number],
    number
  >;
  const positive = HPARAMS.filter((n) => n !== 'ftype').every((n) => p[n] > 0 && p[n] < 1 << 20);
  if (
    !positive ||
    (p.n_mels !== 80 && p.n_mels !== 128) ||
    p.n_audio_state % p.n_audio_head !== 0 ||
    p.n_text_state % p.n_text_head !== 0
  ) {
    return `has an implausible header (${HPARAMS.map((n) => `${n}=${p[n]}`).join(' ')})`;
  }
  return undefined;
}

class WhisperStream implements AsrStream {
  private readonly chunks: Int16Array[] = [];
  private samples = 0;
  private result: Promise<AsrResult> | undefined;

  constructor(
    private readonly engine: WhisperAsr,
    private readonly signal: AbortSignal,
    private readonly maxSamples: number,
  ) {}

  push(pcm: Int16Array): void {
    if (this.result) throw new EngineError('asr', 'internal', 'push() after finish()');
    const room = this.maxSamples - this.samples;
    if (room <= 0 || this.signal.aborted) return;
    const part = pcm.length > room ? pcm.subarray(0, room) : pcm;
    this.chunks.push(part.slice());
    this.samples += part.length;
  }

  // eslint-disable-next-line require-yield
  async *partials(): AsyncGenerator<string> {
    // Transcribed in one pass at finish(): no partial hypotheses.
    return;
  }

  finish(): Promise<AsrResult> {
    if (!this.result) {
      const pcm = new Int16Array(this.samples);
      let at = 0;
      for (const c of this.chunks) {
        pcm.set(c, at);
        at += c.length;
      }
      this.chunks.length = 0;
      this.result = this.signal.aborted
        ? Promise.reject(abortError(this.signal))
        : raceAbort(this.engine.transcribe(pcm, this.signal), this.signal);
    }
    return this.result;
  }
}

/** Rejects as soon as the signal aborts, even while the transcription is still queued. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
