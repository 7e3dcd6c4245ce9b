import { joinUrl, bearer, probeStatus, redactUrl } from '../http.js';
import {
  EngineError,
  type AudioChunk,
  type ComponentStatus,
  type TtsEngine,
  type TurnOptions,
} from '../types.js';
import { HTTP_TTS_DEFAULTS, streamAudio, trackStatus } from './http-audio.js';

/**
 * TTS with Suno's Bark, served by LocalAI's Bark backend. Bark has no server of its own; LocalAI
 * (mudler/LocalAI, docs "Text to audio (TTS)", section Bark) is the maintained server that runs it:
 * `POST {baseUrl}/tts` with JSON `{"backend": "bark", "input": "...", "model": "v2/en_speaker_4"}`
 * (`model` is the Bark voice preset) answers one `audio/wav` file; Bark writes 24 kHz audio,
 * as 16-bit or 32-bit float PCM, and the header says which. `GET {baseUrl}/readyz` is its readiness probe.
 */
export interface BarkTtsOptions {
  /** LocalAI's root, e.g. `http://localai:8080` (no `/v1`). */
  baseUrl: string;
  apiKey?: string;
  /** Bark voice preset, e.g. `v2/en_speaker_6`; empty = Bark's default voice. */
  voice?: string;
  /** LocalAI backend name; `bark` unless LocalAI was configured with another name for it. */
  backend?: string;
  firstChunkTimeoutMs?: number;
  idleTimeoutMs?: number;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  probeTimeoutMs?: number;
}

/** Bark generates slowly (seconds per clause on a GPU): a longer first-chunk deadline. */
export const BARK_FIRST_CHUNK_TIMEOUT_MS = 30_000;

export class BarkTts implements TtsEngine {
  readonly component = 'tts' as const;
  readonly name = 'bark';
  private readonly shutdown = new AbortController();
  private current: ComponentStatus = { state: 'loading', engine: 'bark' };

  constructor(private readonly opts: BarkTtsOptions) {}

  async init(): Promise<void> {
    try {
      new URL(this.opts.baseUrl);
    } catch {
      throw new EngineError('tts', 'config', `TTS base URL is not a URL: ${this.opts.baseUrl}`);
    }
    this.current = await probeStatus(
      'bark',
      joinUrl(this.opts.baseUrl, '/readyz'),
      this.opts.probeTimeoutMs ?? HTTP_TTS_DEFAULTS.probeTimeoutMs,
      bearer(this.opts.apiKey),
      `LocalAI bark at ${redactUrl(this.opts.baseUrl)}`,
    );
  }

  status(): ComponentStatus {
    return { ...this.current };
  }

  setStatus(status: ComponentStatus): void {
    this.current = status;
  }

  async close(): Promise<void> {
    this.shutdown.abort();
  }

  synthesize(text: string, opts: TurnOptions): AsyncIterable<AudioChunk> {
    return this.run(text, opts);
  }

  private async *run(text: string, opts: TurnOptions): AsyncGenerator<AudioChunk> {
    const input = text.trim();
    if (!input) return;
    const signal = AbortSignal.any([opts.signal, this.shutdown.signal]);
    const body = JSON.stringify({
      backend: this.opts.backend || 'bark',
      input,
      ...(this.opts.voice ? { model: this.opts.voice } : {}),
    });
    const send = (s: AbortSignal): Promise<Response> =>
      fetch(joinUrl(this.opts.baseUrl, '/tts'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(this.opts.apiKey) },
        body,
        signal: s,
      });
    yield* trackStatus(
      this,
      streamAudio(
        send,
        { kind: 'wav' },
        {
          firstChunkTimeoutMs: this.opts.firstChunkTimeoutMs ?? BARK_FIRST_CHUNK_TIMEOUT_MS,
          idleTimeoutMs: this.opts.idleTimeoutMs ?? HTTP_TTS_DEFAULTS.idleTimeoutMs,
          retries: this.opts.maxRetries ?? HTTP_TTS_DEFAULTS.maxRetries,
          retryBaseDelayMs: this.opts.retryBaseDelayMs ?? HTTP_TTS_DEFAULTS.retryBaseDelayMs,
          retryMaxDelayMs: this.opts.retryMaxDelayMs ?? HTTP_TTS_DEFAULTS.retryMaxDelayMs,
        },
        signal,
      ),
    );
  }
}
