import OpenAI from 'openai';
import { errorFromOpenAi, openAiClient, probeOpenAiStatus } from '../http.js';
import { EngineError, type AudioChunk, type TurnOptions } from '../types.js';
import { HttpTtsEngine, type HttpTtsTimingOptions } from './http-engine.js';

/**
 * TTS over any OpenAI-compatible `POST {baseUrl}/audio/speech` with JSON
 * `{model, input, voice, response_format: "pcm"}`; the body is raw PCM16LE mono at 24 kHz,
 * read and yielded as it streams in.
 */
export interface OpenAiTtsOptions extends HttpTtsTimingOptions {
  baseUrl: string;
  apiKey?: string;
  /** e.g. `tts-1`, `gpt-4o-mini-tts`, `kokoro`; default `tts-1`. */
  model?: string;
  /** e.g. `alloy`; default `alloy`. */
  voice?: string;
}

export const OPENAI_TTS_DEFAULTS = { model: 'tts-1', voice: 'alloy' } as const;

/** OpenAI's `pcm` response format: 24 kHz, 16-bit signed little-endian, mono. */
export const OPENAI_PCM_SAMPLE_RATE = 24_000;

export class OpenAiTts extends HttpTtsEngine {
  private client: OpenAI | undefined;

  constructor(private readonly opts: OpenAiTtsOptions) {
    super('openai', opts);
  }

  async init(): Promise<void> {
    this.client = openAiClient('tts', {
      baseUrl: this.opts.baseUrl,
      apiKey: this.opts.apiKey,
      // Deadlines are per read (first chunk, idle); the SDK's is only for the response headers.
      timeoutMs: this.firstChunkTimeoutMs() * 2,
    });
    this.setStatus(
      await probeOpenAiStatus(
        this.opts.baseUrl,
        this.opts.apiKey,
        this.probeTimeoutMs(),
        `${this.model()}/${this.voice()}`,
      ),
    );
  }

  protected async *run(text: string, opts: TurnOptions): AsyncGenerator<AudioChunk> {
    const client = this.client;
    if (!client) throw new EngineError('tts', 'internal', 'OpenAiTts.synthesize called before init()');
    const input = text.trim();
    if (!input) return;
    const signal = this.clauseSignal(opts);
    const send = (trySignal: AbortSignal): Promise<Response> =>
      client.audio.speech.create(
        { model: this.model(), voice: this.voice(), input, response_format: 'pcm' },
        { signal: trySignal, maxRetries: 0 },
      );
    yield* this.stream(send, { kind: 'pcm16', sampleRate: OPENAI_PCM_SAMPLE_RATE }, signal, (err) =>
      errorFromOpenAi('tts', err),
    );
  }

  private model(): string {
    return this.opts.model || OPENAI_TTS_DEFAULTS.model;
  }

  private voice(): string {
    return this.opts.voice || OPENAI_TTS_DEFAULTS.voice;
  }
}
