import {
  bearer,
  checkBaseUrl,
  ensureOk,
  errorFromFetch,
  joinUrl,
  probeOpenAiStatus,
  retryAfterOf,
} from '../http.js';
import { httpRequest } from '../http-client.js';
import { multipartBody } from '../multipart.js';
import { abortErrorOf, throwIfAborted, withRetry } from '../retry.js';
import { writeWav } from '../../audio/wav.js';
import {
  EngineError,
  isAbortError,
  type AsrEngine,
  type AsrResult,
  type AsrStream,
  type ComponentStatus,
  type TurnOptions,
} from '../types.js';

/**
 * ASR over any OpenAI-compatible `POST {baseUrl}/audio/transcriptions` (OpenAI, faster-whisper
 * servers, whisper.cpp server, LocalAI ...): multipart `file` (a 16 kHz mono PCM16 WAV), `model`,
 * `response_format=json`, optional `language`; the answer is `{"text": "..."}`.
 * Audio is buffered while the user speaks and sent once at `finish()`; no partials.
 */
export interface OpenAiAsrOptions {
  baseUrl: string;
  apiKey?: string;
  /** e.g. `whisper-1`, `Systran/faster-whisper-small`. */
  model: string;
  /** ISO-639-1 hint, e.g. `en`. */
  language?: string;
  /** Per try, from sending the upload to the complete answer. */
  timeoutMs?: number;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Longest utterance kept; audio beyond it is dropped (bounded memory). */
  maxUtteranceSeconds?: number;
  probeTimeoutMs?: number;
}

export const OPENAI_ASR_DEFAULTS = {
  timeoutMs: 15_000,
  maxRetries: 2,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 2_000,
  maxUtteranceSeconds: 60,
  probeTimeoutMs: 2_000,
} as const;

const SAMPLE_RATE = 16_000;

export class OpenAiAsr implements AsrEngine {
  readonly component = 'asr' as const;
  readonly name = 'openai';
  readonly sampleRate = SAMPLE_RATE;
  private url: string | undefined;
  private readonly shutdown = new AbortController();
  private current: ComponentStatus = { state: 'loading', engine: 'openai' };

  constructor(private readonly opts: OpenAiAsrOptions) {}

  async init(): Promise<void> {
    if (!this.opts.model) throw new EngineError('asr', 'config', 'ASR model name is empty');
    checkBaseUrl('asr', this.opts.baseUrl);
    this.url = joinUrl(this.opts.baseUrl, 'audio/transcriptions');
    this.current = await probeOpenAiStatus(
      this.opts.baseUrl,
      this.opts.apiKey,
      this.opts.probeTimeoutMs ?? OPENAI_ASR_DEFAULTS.probeTimeoutMs,
      this.opts.model,
    );
  }

  status(): ComponentStatus {
    return { ...this.current };
  }

  async close(): Promise<void> {
    this.shutdown.abort();
  }

  stream(opts: TurnOptions): AsrStream {
    const url = this.url;
    if (!url) throw new EngineError('asr', 'internal', 'OpenAiAsr.stream called before init()');
    const signal = AbortSignal.any([opts.signal, this.shutdown.signal]);
    const maxSamples =
      (this.opts.maxUtteranceSeconds ?? OPENAI_ASR_DEFAULTS.maxUtteranceSeconds) * SAMPLE_RATE;
    const parts: Int16Array[] = [];
    let samples = 0;
    let finished = false;
    return {
      push: (pcm) => {
        if (finished || signal.aborted) return;
        const room = maxSamples - samples;
        if (room <= 0) return;
        const kept = pcm.length <= room ? pcm.slice() : pcm.slice(0, room);
        parts.push(kept);
        samples += kept.length;
      },
      partials: async function* () {
        // Whole-utterance transcription: no partial hypotheses.
      },
      finish: async () => {
        finished = true;
        throwIfAborted(signal);
        if (samples === 0) return { text: '' };
        const audio = new Int16Array(samples);
        let at = 0;
        for (const p of parts.splice(0)) {
          audio.set(p, at);
          at += p.length;
        }
        return this.transcribe(url, writeWav(audio, SAMPLE_RATE), signal);
      },
    };
  }

  /** One try with its own deadline; a late answer's request is really closed. */
  private async transcribeOnce(url: string, wav: Uint8Array, signal: AbortSignal): Promise<AsrResult> {
    const timeoutMs = this.opts.timeoutMs ?? OPENAI_ASR_DEFAULTS.timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      const form = multipartBody(
        {
          model: this.opts.model,
          response_format: 'json',
          ...(this.opts.language ? { language: this.opts.language } : {}),
        },
        { field: 'file', filename: 'utterance.wav', contentType: 'audio/wav', data: wav },
      );
      const res = await httpRequest(url, {
        method: 'POST',
        headers: { 'content-type': form.contentType, ...bearer(this.opts.apiKey) },
        body: form.parts,
        signal: AbortSignal.any([signal, deadline.signal]),
      });
      const response = await (await ensureOk('asr', res)).json();
      const text = (response as { text?: unknown } | null)?.text;
      if (typeof text !== 'string')
        throw new EngineError('asr', 'bad_response', 'transcription has no text field');
      return { text: text.trim() };
    } catch (err) {
      if (signal.aborted) throw abortErrorOf(signal);
      if (deadline.signal.aborted) {
        throw new EngineError('asr', 'timeout', `no transcription within ${timeoutMs} ms`, true, {
          cause: err,
        });
      }
      throw errorFromFetch('asr', err);
    } finally {
      clearTimeout(timer);
    }
  }

  private async transcribe(url: string, wav: Uint8Array, signal: AbortSignal): Promise<AsrResult> {
    try {
      const result = await withRetry(() => this.transcribeOnce(url, wav, signal), {
        retries: this.opts.maxRetries ?? OPENAI_ASR_DEFAULTS.maxRetries,
        baseDelayMs: this.opts.retryBaseDelayMs ?? OPENAI_ASR_DEFAULTS.retryBaseDelayMs,
        maxDelayMs: this.opts.retryMaxDelayMs ?? OPENAI_ASR_DEFAULTS.retryMaxDelayMs,
        signal,
        isRetryable: (err) => err instanceof EngineError && err.retryable,
        delayHintMs: retryAfterOf,
      });
      this.current = { ...this.current, state: 'up' };
      return result;
    } catch (err) {
      if (signal.aborted) throw abortErrorOf(signal);
      if (
        !isAbortError(err) &&
        err instanceof EngineError &&
        (err.code === 'unavailable' || err.code === 'timeout')
      ) {
        this.current = { state: 'down', engine: 'openai', detail: err.message };
      }
      throw err;
    }
  }
}
