import type { HttpResponse } from '../http-client.js';
import type { AudioChunk, ComponentStatus, TtsEngine, TurnOptions } from '../types.js';
import { HTTP_TTS_DEFAULTS, streamAudio, trackStatus, type AudioBodyFormat } from './http-audio.js';

/** Deadlines and retries every HTTP TTS engine takes; unset ones fall back to HTTP_TTS_DEFAULTS. */
export interface HttpTtsTimingOptions {
  firstChunkTimeoutMs?: number;
  idleTimeoutMs?: number;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  probeTimeoutMs?: number;
}

/**
 * What Bark, Coqui and OpenAI TTS share: status kept for trackStatus, one shutdown signal that
 * close() fires, and the clause stream with the timing options applied.
 */
export abstract class HttpTtsEngine implements TtsEngine {
  readonly component = 'tts' as const;
  protected readonly shutdown = new AbortController();
  private current: ComponentStatus;

  protected constructor(
    readonly name: string,
    private readonly timing: HttpTtsTimingOptions,
    private readonly defaultFirstChunkTimeoutMs: number = HTTP_TTS_DEFAULTS.firstChunkTimeoutMs,
  ) {
    this.current = { state: 'loading', engine: name };
  }

  abstract init(): Promise<void>;

  status(): ComponentStatus {
    return { ...this.current };
  }

  /** For trackStatus. */
  setStatus(status: ComponentStatus): void {
    this.current = status;
  }

  async close(): Promise<void> {
    this.shutdown.abort();
  }

  synthesize(text: string, opts: TurnOptions): AsyncIterable<AudioChunk> {
    return this.run(text, opts);
  }

  protected abstract run(text: string, opts: TurnOptions): AsyncGenerator<AudioChunk>;

  protected probeTimeoutMs(): number {
    return this.timing.probeTimeoutMs ?? HTTP_TTS_DEFAULTS.probeTimeoutMs;
  }

  protected firstChunkTimeoutMs(): number {
    return this.timing.firstChunkTimeoutMs ?? this.defaultFirstChunkTimeoutMs;
  }

  /** The clause's signal: the turn's, or close(). */
  protected clauseSignal(opts: TurnOptions): AbortSignal {
    return AbortSignal.any([opts.signal, this.shutdown.signal]);
  }

  /** One clause's audio with the configured deadlines and retries, keeping the status honest. */
  protected stream(
    send: (signal: AbortSignal) => Promise<HttpResponse>,
    format: AudioBodyFormat,
    signal: AbortSignal,
  ): AsyncGenerator<AudioChunk> {
    return trackStatus(
      this,
      streamAudio(
        send,
        format,
        {
          firstChunkTimeoutMs: this.firstChunkTimeoutMs(),
          idleTimeoutMs: this.timing.idleTimeoutMs ?? HTTP_TTS_DEFAULTS.idleTimeoutMs,
          retries: this.timing.maxRetries ?? HTTP_TTS_DEFAULTS.maxRetries,
          retryBaseDelayMs: this.timing.retryBaseDelayMs ?? HTTP_TTS_DEFAULTS.retryBaseDelayMs,
          retryMaxDelayMs: this.timing.retryMaxDelayMs ?? HTTP_TTS_DEFAULTS.retryMaxDelayMs,
        },
        signal,
      ),
    );
  }
}
