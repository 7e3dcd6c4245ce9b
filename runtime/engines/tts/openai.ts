import { bearer, checkBaseUrl, joinUrl, probeOpenAiStatus } from '../http.js';
import { httpRequest, type HttpResponse } from '../http-client.js';
import type { AudioChunk, TurnOptions } from '../types.js';
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
  constructor(private readonly opts: OpenAiTtsOptions) {
    super('openai', opts);
  }

  async init(): Promise<void> {
    checkBaseUrl('tts', this.opts.baseUrl);
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
    const input = text.trim();
    if (!input) return;
    const signal = this.clauseSignal(opts);
    const url = joinUrl(this.opts.baseUrl, 'audio/speech');
    const body = JSON.stringify({ model: this.model(), voice: this.voice(), input, response_format: 'pcm' });
    const headers = { 'content-type': 'application/json', ...bearer(this.opts.apiKey) };
    const send = (trySignal: AbortSignal): Promise<HttpResponse> =>
      httpRequest(url, { method: 'POST', headers, body, signal: trySignal });
    yield* this.stream(send, { kind: 'pcm16', sampleRate: OPENAI_PCM_SAMPLE_RATE }, signal);
  }

  private model(): string {
    return this.opts.model || OPENAI_TTS_DEFAULTS.model;
  }

  private voice(): string {
    return this.opts.voice || OPENAI_TTS_DEFAULTS.voice;
  }
}
