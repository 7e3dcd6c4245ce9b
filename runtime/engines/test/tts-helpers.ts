import { EngineError, type AudioChunk, type TtsEngine } from '../types.js';

/** Test helpers shared by the TTS provider tests (not used by the product). */
export interface Collected {
  chunks: AudioChunk[];
  samples: number;
  rates: Set<number>;
  error?: unknown;
}

/** Short deadlines and retries for HTTP TTS engines under test, so failure cases end quickly. */
export const QUICK_TIMING = {
  firstChunkTimeoutMs: 2_000,
  maxRetries: 2,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 10,
} as const;

/**
 * The engines a test puts in the returned list are closed after each test, then the test's
 * local server (whichever `server()` holds then).
 */
export function closedAfterEach<E extends { close(): Promise<void> }>(
  server: () => { close(): Promise<void> } | undefined,
): E[] {
  const engines: E[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server()?.close();
  });
  return engines;
}

export async function collectAudio(
  engine: TtsEngine,
  text: string,
  signal = new AbortController().signal,
): Promise<Collected> {
  const out: Collected = { chunks: [], samples: 0, rates: new Set() };
  try {
    for await (const chunk of engine.synthesize(text, { signal })) {
      out.chunks.push(chunk);
      out.samples += chunk.pcm.length;
      out.rates.add(chunk.sampleRate);
    }
  } catch (err) {
    out.error = err;
  }
  return out;
}

/** Synthesizes, aborting after the first chunk; returns what arrived and the error. */
export async function abortAfterFirstChunk(engine: TtsEngine, text: string): Promise<Collected> {
  const ac = new AbortController();
  const out: Collected = { chunks: [], samples: 0, rates: new Set() };
  try {
    for await (const chunk of engine.synthesize(text, { signal: ac.signal })) {
      out.chunks.push(chunk);
      ac.abort();
    }
  } catch (err) {
    out.error = err;
  }
  return out;
}

export function codeOf(err: unknown): string | undefined {
  return err instanceof EngineError ? err.code : undefined;
}

/** Samples of the servers' deterministic tone for `text` (60 ms per character, at least 200 ms). */
export function toneSamples(text: string, sampleRate: number): number {
  return Math.round((Math.max(200, text.length * 60) / 1000) * sampleRate);
}

export function peak(chunks: AudioChunk[]): number {
  let max = 0;
  for (const c of chunks) for (const s of c.pcm) max = Math.max(max, Math.abs(s));
  return max;
}
