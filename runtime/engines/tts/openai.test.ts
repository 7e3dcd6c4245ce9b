import { startOpenAiCompatible, type OpenAiServer } from '../../../hack/servers/openai-compatible.js';
import { EngineError, isAbortError } from '../types.js';
import { OpenAiTts, type OpenAiTtsOptions } from './openai.js';
import {
  abortAfterFirstChunk,
  closedAfterEach,
  codeOf,
  collectAudio,
  peak,
  QUICK_TIMING,
  toneSamples,
} from '../test/tts-helpers.js';

let server: OpenAiServer;
const engines = closedAfterEach<OpenAiTts>(() => server);

async function engine(extra: Partial<OpenAiTtsOptions> = {}): Promise<OpenAiTts> {
  const tts = new OpenAiTts({
    baseUrl: `${server.url}/v1`,
    apiKey: 'k',
    model: 'tts-1',
    voice: 'alloy',
    ...QUICK_TIMING,
    ...extra,
  });
  engines.push(tts);
  await tts.init();
  return tts;
}

const speech = (): OpenAiServer['requests'] => server.requests.filter((r) => r.path === '/v1/audio/speech');
const TEXT = 'Hello there, friend.';

describe('OpenAiTts against a local OpenAI-compatible server', () => {
  it('streams 24 kHz PCM chunks as they arrive, asking for response_format pcm', async () => {
    server = await startOpenAiCompatible({ speech: { chunkMs: 100, interChunkDelayMs: 30 } });
    const tts = await engine();
    expect(tts.status().state).toBe('up');
    const got = await collectAudio(tts, TEXT);
    expect(got.error).toBeUndefined();
    expect([...got.rates]).toEqual([24_000]);
    expect(got.samples).toBe(toneSamples(TEXT, 24_000));
    expect(got.chunks.length).toBeGreaterThan(1);
    expect(peak(got.chunks)).toBeGreaterThan(5_000);
    expect(speech()[0]?.body).toEqual({
      model: 'tts-1',
      voice: 'alloy',
      input: TEXT,
      response_format: 'pcm',
    });
  });

  it('carries real espeak-ng speech through', async () => {
    server = await startOpenAiCompatible({ speech: { audio: 'espeak' } });
    const tts = await engine();
    const got = await collectAudio(tts, TEXT);
    expect(got.error).toBeUndefined();
    expect(got.samples).toBeGreaterThan(24_000 * 0.5);
    expect(peak(got.chunks)).toBeGreaterThan(1_000);
  });

  it('sends nothing for empty text', async () => {
    server = await startOpenAiCompatible();
    const got = await collectAudio(await engine(), '   ');
    expect(got.chunks).toHaveLength(0);
    expect(speech()).toHaveLength(0);
  });

  it('retries a 500 before the first chunk', async () => {
    server = await startOpenAiCompatible({ speechScript: [{ status: 500 }] });
    const got = await collectAudio(await engine(), TEXT);
    expect(got.error).toBeUndefined();
    expect(got.samples).toBe(toneSamples(TEXT, 24_000));
    expect(speech()).toHaveLength(2);
  });

  it('fails without retrying when the stream breaks after audio started', async () => {
    server = await startOpenAiCompatible({
      speech: { dropAfterChunks: 2, chunkMs: 50, interChunkDelayMs: 10 },
    });
    const got = await collectAudio(await engine(), TEXT);
    expect(got.samples).toBeGreaterThan(0);
    expect(got.error).toBeInstanceOf(EngineError);
    expect((got.error as EngineError).retryable).toBe(false);
    expect(speech()).toHaveLength(1);
  });

  it('times out a stalled response, retries, and closes both requests', async () => {
    server = await startOpenAiCompatible({ speech: { stall: true } });
    const tts = await engine({ firstChunkTimeoutMs: 150, maxRetries: 1 });
    const got = await collectAudio(tts, TEXT);
    expect(codeOf(got.error)).toBe('timeout');
    expect(speech()).toHaveLength(2);
    await server.waitFor(() => speech().every((r) => r.aborted));
    expect(tts.status().state).toBe('down');
  });

  it('aborts mid-stream at once and the server sees the disconnect', async () => {
    server = await startOpenAiCompatible({ speech: { chunkMs: 50, interChunkDelayMs: 100 } });
    const got = await abortAfterFirstChunk(await engine(), TEXT);
    expect(got.chunks).toHaveLength(1);
    expect(isAbortError(got.error)).toBe(true);
    await server.waitFor(() => speech()[0]!.aborted);
  });

  it('rejects an empty audio body as bad_response', async () => {
    server = await startOpenAiCompatible({ speech: { empty: true } });
    const got = await collectAudio(await engine(), TEXT);
    expect(codeOf(got.error)).toBe('bad_response');
    expect(speech()).toHaveLength(1);
  });

  it('maps a rejected request (400) to a non-retried upstream error', async () => {
    server = await startOpenAiCompatible({ speech: { status: 400 } });
    const got = await collectAudio(await engine(), TEXT);
    expect(got.error).toMatchObject({ code: 'upstream_error', retryable: false });
    expect(speech()).toHaveLength(1);
  });
});
