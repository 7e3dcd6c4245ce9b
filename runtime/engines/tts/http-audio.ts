import { ensureOk, errorFromFetch, retryAfterOf } from '../http.js';
import type { HttpResponse } from '../http-client.js';
import { streamWithRetry } from '../upstream.js';
import { Pcm16Decoder, WavStreamDecoder } from '../wav.js';
import { EngineError, type AudioChunk, type ComponentStatus } from '../types.js';

/**
 * The shared half of every HTTP TTS engine: send one request per clause, then turn the body into
 * AudioChunks as its bytes arrive (raw PCM16 at a known rate, or WAV whose header says the rate).
 * Retries happen before the first audio only (`streamWithRetry`).
 */
export type AudioBodyFormat = { kind: 'pcm16'; sampleRate: number } | { kind: 'wav' };

export interface HttpAudioOptions {
  /** From sending the request to the first audio bytes, per try. */
  firstChunkTimeoutMs: number;
  /** Between two reads once audio flows. */
  idleTimeoutMs: number;
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

export const HTTP_TTS_DEFAULTS = {
  firstChunkTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  maxRetries: 2,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 2_000,
  probeTimeoutMs: 2_000,
} as const;

export function streamAudio(
  send: (signal: AbortSignal) => Promise<HttpResponse>,
  format: AudioBodyFormat,
  opts: HttpAudioOptions,
  signal: AbortSignal,
): AsyncGenerator<AudioChunk> {
  return streamWithRetry((trySignal) => readAudio(send, format, trySignal), {
    component: 'tts',
    signal,
    firstOutputTimeoutMs: opts.firstChunkTimeoutMs,
    idleTimeoutMs: opts.idleTimeoutMs,
    retries: opts.retries,
    retryBaseDelayMs: opts.retryBaseDelayMs,
    retryMaxDelayMs: opts.retryMaxDelayMs,
    mapError: (err) => errorFromFetch('tts', err),
    delayHintMs: retryAfterOf,
  });
}

async function* readAudio(
  send: (signal: AbortSignal) => Promise<HttpResponse>,
  format: AudioBodyFormat,
  signal: AbortSignal,
): AsyncGenerator<AudioChunk> {
  const res = await ensureOk('tts', await send(signal));
  const pcm = format.kind === 'pcm16' ? new Pcm16Decoder() : undefined;
  const wav = format.kind === 'wav' ? new WavStreamDecoder('tts') : undefined;
  let samples = 0;
  try {
    for await (const value of res.body) {
      const out = pcm ? pcm.push(value) : wav!.push(value);
      if (out.length > 0) {
        samples += out.length;
        // Samples only come out of the WAV decoder once its header (and so the rate) is known.
        yield { pcm: out, sampleRate: format.kind === 'pcm16' ? format.sampleRate : wav!.format!.sampleRate };
      }
    }
  } finally {
    res.cancel();
  }
  if (signal.aborted) return;
  wav?.end();
  if (samples === 0) throw new EngineError('tts', 'bad_response', 'audio response held no samples');
}

/**
 * Passes chunks through and keeps the engine's status honest: up after a good clause, down
 * after an unreachable or timed-out upstream.
 */
export async function* trackStatus(
  engine: { status(): ComponentStatus; setStatus(s: ComponentStatus): void },
  chunks: AsyncGenerator<AudioChunk>,
): AsyncGenerator<AudioChunk> {
  try {
    yield* chunks;
    const s = engine.status();
    if (s.state !== 'up') engine.setStatus({ state: 'up', engine: s.engine });
  } catch (err) {
    if (err instanceof EngineError && (err.code === 'unavailable' || err.code === 'timeout')) {
      engine.setStatus({ state: 'down', engine: engine.status().engine, detail: err.message });
    }
    throw err;
  }
}
