import { checkBaseUrl, errorFromFetch, ensureOk, joinUrl, probe, redactUrl } from '../http.js';
import { httpRequest, type HttpResponse } from '../http-client.js';
import { abortErrorOf, withRetry, type RetryOptions } from '../retry.js';
import { EngineError, type AudioChunk, type TurnOptions } from '../types.js';
import { HTTP_TTS_DEFAULTS } from './http-audio.js';
import { HttpTtsEngine, type HttpTtsTimingOptions } from './http-engine.js';

/**
 * TTS over a Coqui server, in one of its two HTTP APIs (option `api`):
 *
 * - `tts` — the Coqui TTS demo server (`tts-server`, coqui-ai/TTS `TTS/server/server.py`):
 *   `GET {baseUrl}/api/tts?text=…&speaker_id=…&style_wav=…&language_id=…` answers one complete
 *   `audio/wav` file (16-bit PCM at the model's rate, e.g. 22050 Hz), read as it arrives.
 * - `xtts-stream` — coqui-ai/xtts-streaming-server (`server/main.py`): `GET {baseUrl}/studio_speakers`
 *   gives `{name: {speaker_embedding: number[], gpt_cond_latent: number[][]}}`; `POST {baseUrl}/tts_stream`
 *   with JSON `{text, language, speaker_embedding, gpt_cond_latent, add_wav_header: true,
 *   stream_chunk_size: "20"}` streams a WAV header whose data size is 0, then raw PCM16 at 24 kHz
 *   chunk by chunk as XTTS generates it.
 *
 * `auto` (default) tells them apart at init (or at the first clause if the server was down):
 * the XTTS server has no `/api/tts` (404) and answers `GET /studio_speakers`.
 */
export type CoquiApi = 'tts' | 'xtts-stream';

export interface CoquiTtsOptions extends HttpTtsTimingOptions {
  baseUrl: string;
  api?: CoquiApi | 'auto';
  /** `tts`: a `speaker_id` of a multi-speaker model; `xtts-stream`: a studio speaker name (default: the first). */
  speakerId?: string;
  /** `tts`: `language_id` of a multilingual model; `xtts-stream`: `language` (default `en`). */
  language?: string;
  /** `tts` only: `style_wav` (a server-side WAV path or GST JSON). */
  styleWav?: string;
  /** `xtts-stream` only: tokens per streamed chunk (server default "20"). */
  streamChunkSize?: number;
}

interface StudioSpeaker {
  speaker_embedding: number[];
  gpt_cond_latent: number[][];
}

export class CoquiTts extends HttpTtsEngine {
  private speaker: Promise<StudioSpeaker> | undefined;
  private api: CoquiApi | undefined;

  constructor(private readonly opts: CoquiTtsOptions) {
    super('coqui', opts);
  }

  async init(): Promise<void> {
    checkBaseUrl('tts', this.opts.baseUrl);
    const wanted = this.opts.api ?? 'auto';
    if (wanted !== 'auto' && wanted !== 'tts' && wanted !== 'xtts-stream') {
      throw new EngineError(
        'tts',
        'config',
        `unknown Coqui API ${String(wanted)} (auto, tts or xtts-stream)`,
      );
    }
    const signal = AbortSignal.timeout(this.probeTimeoutMs());
    let problem: string | undefined;
    try {
      const api = await this.resolveApi(signal);
      if (api === 'xtts-stream') await this.studioSpeaker(signal);
      else problem = await probe(joinUrl(this.opts.baseUrl, '/'), 2_000);
    } catch (err) {
      if (err instanceof EngineError && (err.code === 'config' || err.code === 'bad_response')) throw err;
      this.speaker = undefined; // tried again on the first clause
      problem = err instanceof Error ? err.message : String(err);
    }
    this.setStatus(
      problem
        ? { state: 'down', engine: 'coqui', detail: problem }
        : { state: 'up', engine: 'coqui', detail: `${this.api} API at ${redactUrl(this.opts.baseUrl)}` },
    );
  }

  /** The configured API, or the one the server speaks when `auto`. */
  private async resolveApi(signal: AbortSignal): Promise<CoquiApi> {
    if (this.api) return this.api;
    const wanted = this.opts.api ?? 'auto';
    if (wanted !== 'auto') return (this.api = wanted);
    let apiTts: number;
    let studio: number;
    try {
      [apiTts, studio] = (await Promise.all(
        ['/api/tts', '/studio_speakers'].map(async (path) => {
          const res = await httpRequest(joinUrl(this.opts.baseUrl, path), { signal });
          res.cancel();
          return res.status;
        }),
      )) as [number, number];
    } catch (err) {
      if (signal.aborted)
        throw new EngineError(
          'tts',
          'unavailable',
          `Coqui server did not answer at ${redactUrl(this.opts.baseUrl)}`,
          true,
        );
      throw errorFromFetch('tts', err);
    }
    if (apiTts !== 404) return (this.api = 'tts');
    if (studio === 200) return (this.api = 'xtts-stream');
    throw new EngineError(
      'tts',
      'bad_response',
      `${redactUrl(this.opts.baseUrl)} speaks neither Coqui API (/api/tts nor /tts_stream)`,
    );
  }

  protected async *run(text: string, opts: TurnOptions): AsyncGenerator<AudioChunk> {
    const input = text.trim();
    if (!input) return;
    const signal = this.clauseSignal(opts);
    const api = await withRetry(() => this.resolveApi(signal), this.retryOptions(signal));
    const send =
      api === 'tts' ? (s: AbortSignal) => this.sendClassic(input, s) : await this.xttsSender(input, signal);
    yield* this.stream(send, { kind: 'wav' }, signal);
  }

  private sendClassic(text: string, signal: AbortSignal): Promise<HttpResponse> {
    const url = new URL(joinUrl(this.opts.baseUrl, '/api/tts'));
    url.searchParams.set('text', text);
    url.searchParams.set('speaker_id', this.opts.speakerId ?? '');
    url.searchParams.set('style_wav', this.opts.styleWav ?? '');
    url.searchParams.set('language_id', this.opts.language ?? '');
    return httpRequest(url.href, { signal });
  }

  private async xttsSender(
    text: string,
    signal: AbortSignal,
  ): Promise<(s: AbortSignal) => Promise<HttpResponse>> {
    const speaker = await withRetry(() => this.studioSpeaker(signal), this.retryOptions(signal)).catch(
      (err: unknown) => {
        this.speaker = undefined;
        throw err;
      },
    );
    const body = JSON.stringify({
      text,
      language: this.opts.language || 'en',
      speaker_embedding: speaker.speaker_embedding,
      gpt_cond_latent: speaker.gpt_cond_latent,
      add_wav_header: true,
      stream_chunk_size: String(this.opts.streamChunkSize ?? 20),
    });
    return (s) =>
      httpRequest(joinUrl(this.opts.baseUrl, '/tts_stream'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: s,
      });
  }

  private retryOptions(signal: AbortSignal): RetryOptions {
    return {
      retries: this.opts.maxRetries ?? HTTP_TTS_DEFAULTS.maxRetries,
      baseDelayMs: this.opts.retryBaseDelayMs ?? HTTP_TTS_DEFAULTS.retryBaseDelayMs,
      maxDelayMs: this.opts.retryMaxDelayMs ?? HTTP_TTS_DEFAULTS.retryMaxDelayMs,
      signal,
      isRetryable: (err) => err instanceof EngineError && err.retryable,
    };
  }

  /** The conditioning latents of the configured studio speaker, fetched once and kept. */
  private studioSpeaker(signal: AbortSignal): Promise<StudioSpeaker> {
    this.speaker ??= this.fetchStudioSpeaker(signal);
    const pending = this.speaker;
    pending.catch(() => {
      if (this.speaker === pending) this.speaker = undefined;
    });
    return pending;
  }

  private async fetchStudioSpeaker(signal: AbortSignal): Promise<StudioSpeaker> {
    let speakers: unknown;
    try {
      const res = await ensureOk(
        'tts',
        await httpRequest(joinUrl(this.opts.baseUrl, '/studio_speakers'), { signal }),
      );
      speakers = await res.json();
    } catch (err) {
      if (signal.aborted) throw abortErrorOf(signal);
      throw errorFromFetch('tts', err);
    }
    if (!speakers || typeof speakers !== 'object' || Array.isArray(speakers)) {
      throw new EngineError('tts', 'bad_response', '/studio_speakers did not answer an object');
    }
    const all = speakers as Record<string, unknown>;
    const names = Object.keys(all).sort();
    const name = this.opts.speakerId || names[0];
    if (!name) throw new EngineError('tts', 'config', 'the XTTS server has no studio speakers');
    const speaker = all[name] as Partial<StudioSpeaker> | undefined;
    if (!speaker) {
      throw new EngineError(
        'tts',
        'config',
        `XTTS studio speaker "${name}" not found (have: ${names.slice(0, 10).join(', ')})`,
      );
    }
    if (
      !isNumberArray(speaker.speaker_embedding) ||
      !Array.isArray(speaker.gpt_cond_latent) ||
      !speaker.gpt_cond_latent.every(isNumberArray)
    ) {
      throw new EngineError(
        'tts',
        'bad_response',
        `studio speaker "${name}" lacks speaker_embedding or gpt_cond_latent`,
      );
    }
    return { speaker_embedding: speaker.speaker_embedding, gpt_cond_latent: speaker.gpt_cond_latent };
  }
}

function isNumberArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number');
}
