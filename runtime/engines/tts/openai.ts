import OpenAI from 'openai';
import { errorFromOpenAi, joinUrl, bearer, probeStatus, redactUrl } from '../http.js';
import {
  EngineError,
  type AudioChunk,
  type ComponentStatus,
  type TtsEngine,
  type TurnOptions,
} from '../types.js';
import { HTTP_TTS_DEFAULTS, streamAudio, trackStatus } from './http-audio.js';

/**
 * TTS over any OpenAI-compatible `POST {baseUrl}/audio/speech` with JSON
 * `{model, input, voice, response_format: "pcm"}`; the body is raw PCM16LE mono at 24 kHz,
 * read and yielded as it streams in.
 */
export interface OpenAiTtsOptions {
  baseUrl: string;
  apiKey?: string;
  /** e.g. `tts-1`, `gpt-4o-mini-tts`, `kokoro`; default `tts-1`. */
  model?: string;
  /** e.g. `alloy`; default `alloy`. */
  voice?: string;
  firstChunkTimeoutMs?: number;
  idleTimeoutMs?: number;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  probeTimeoutMs?: number;
}

export const OPENAI_TTS_DEFAULTS = { model: 'tts-1', voice: 'alloy' } as const;

/** OpenAI's `pcm` response format: 24 kHz, 16-bit signed little-endian, mono. */
export const OPENAI_PCM_SAMPLE_RATE = 24_000;

export class OpenAiTts implements TtsEngine {
  readonly component = 'tts' as const;
  readonly name = 'openai';
  private client: OpenAI | undefined;
  private readonly shutdown = new AbortController();
  private current: ComponentStatus = { state: 'loading', engine: 'openai' };

  constructor(private readonly opts: OpenAiTtsOptions) {}

  async init(): Promise<void> {
    try {
      new URL(this.opts.baseUrl);
    } catch {
      throw new EngineError('tts', 'config', `TTS base URL is not a URL: ${this.opts.baseUrl}`);
    }
    this.client = new OpenAI({
      baseURL: this.opts.baseUrl,
      apiKey: this.opts.apiKey || 'unused',
      maxRetries: 0,
      // Deadlines are per read (first chunk, idle); the SDK's is only for the response headers.
      timeout: (this.opts.firstChunkTimeoutMs ?? HTTP_TTS_DEFAULTS.firstChunkTimeoutMs) * 2,
      logLevel: 'off',
    });
    this.current = await probeStatus(
      'openai',
      joinUrl(this.opts.baseUrl, 'models'),
      this.opts.probeTimeoutMs ?? HTTP_TTS_DEFAULTS.probeTimeoutMs,
      bearer(this.opts.apiKey),
      `${this.model()}/${this.voice()} at ${redactUrl(this.opts.baseUrl)}`,
    );
  }

  status(): ComponentStatus {
    return { ...this.current };
  }

  async close(): Promise<void> {
    this.shutdown.abort();
  }

  synthesize(text: string, opts: TurnOptions): AsyncIterable<AudioChunk> {
    return this.run(text, opts);
  }

  private async *run(text: string, opts: TurnOptions): AsyncGenerator<AudioChunk> {
    const client = this.client;
    if (!client) throw new EngineError('tts', 'internal', 'OpenAiTts.synthesize called before init()');
    const input = text.trim();
    if (!input) return;
    const signal = AbortSignal.any([opts.signal, this.shutdown.signal]);
    const send = (trySignal: AbortSignal): Promise<Response> =>
      client.audio.speech.create(
        { model: this.model(), voice: this.voice(), input, response_format: 'pcm' },
        { signal: trySignal, maxRetries: 0 },
      );
    yield* trackStatus(
      this,
      streamAudio(
        send,
        { kind: 'pcm16', sampleRate: OPENAI_PCM_SAMPLE_RATE },
        {
          firstChunkTimeoutMs: this.opts.firstChunkTimeoutMs ?? HTTP_TTS_DEFAULTS.firstChunkTimeoutMs,
          idleTimeoutMs: this.opts.idleTimeoutMs ?? HTTP_TTS_DEFAULTS.idleTimeoutMs,
          retries: this.opts.maxRetries ?? HTTP_TTS_DEFAULTS.maxRetries,
          retryBaseDelayMs: this.opts.retryBaseDelayMs ?? HTTP_TTS_DEFAULTS.retryBaseDelayMs,
          retryMaxDelayMs: this.opts.retryMaxDelayMs ?? HTTP_TTS_DEFAULTS.retryMaxDelayMs,
          mapError: (err) => errorFromOpenAi('tts', err),
        },
        signal,
      ),
    );
  }

  private model(): string {
    return this.opts.model || OPENAI_TTS_DEFAULTS.model;
  }

  private voice(): string {
    return this.opts.voice || OPENAI_TTS_DEFAULTS.voice;
  }

  /** For trackStatus. */
  setStatus(status: ComponentStatus): void {
    this.current = status;
  }
}
