import { bearer, checkBaseUrl, joinUrl, probeStatus, redactUrl } from '../http.js';
import { httpRequest, type HttpResponse } from '../http-client.js';
import type { AudioChunk, TurnOptions } from '../types.js';
import { HttpTtsEngine, type HttpTtsTimingOptions } from './http-engine.js';

/**
 * TTS with Suno's Bark, served by LocalAI's Bark backend. Bark has no server of its own; LocalAI
 * (mudler/LocalAI, docs "Text to audio (TTS)", section Bark) is the maintained server that runs it:
 * `POST {baseUrl}/tts` with JSON `{"backend": "bark", "input": "...", "model": "v2/en_speaker_4"}`
 * (`model` is the Bark voice preset) answers one `audio/wav` file; Bark writes 24 kHz audio,
 * as 16-bit or 32-bit float PCM, and the header says which. `GET {baseUrl}/readyz` is its readiness probe.
 */
export interface BarkTtsOptions extends HttpTtsTimingOptions {
  /** LocalAI's root, e.g. `http://localai:8080` (no `/v1`). */
  baseUrl: string;
  apiKey?: string;
  /** Bark voice preset, e.g. `v2/en_speaker_6`; empty = Bark's default voice. */
  voice?: string;
  /** LocalAI backend name; `bark` unless LocalAI was configured with another name for it. */
  backend?: string;
}

/** Bark generates slowly (seconds per clause on a GPU): a longer first-chunk deadline. */
export const BARK_FIRST_CHUNK_TIMEOUT_MS = 30_000;

export class BarkTts extends HttpTtsEngine {
  constructor(private readonly opts: BarkTtsOptions) {
    super('bark', opts, BARK_FIRST_CHUNK_TIMEOUT_MS);
  }

  async init(): Promise<void> {
    checkBaseUrl('tts', this.opts.baseUrl);
    this.setStatus(
      await probeStatus(
        'bark',
        joinUrl(this.opts.baseUrl, '/readyz'),
        this.probeTimeoutMs(),
        bearer(this.opts.apiKey),
        `LocalAI bark at ${redactUrl(this.opts.baseUrl)}`,
      ),
    );
  }

  protected async *run(text: string, opts: TurnOptions): AsyncGenerator<AudioChunk> {
    const input = text.trim();
    if (!input) return;
    const signal = this.clauseSignal(opts);
    const body = JSON.stringify({
      backend: this.opts.backend || 'bark',
      input,
      ...(this.opts.voice ? { model: this.opts.voice } : {}),
    });
    const send = (s: AbortSignal): Promise<HttpResponse> =>
      httpRequest(joinUrl(this.opts.baseUrl, '/tts'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(this.opts.apiKey) },
        body,
        signal: s,
      });
    yield* this.stream(send, { kind: 'wav' }, signal);
  }
}
