import { BARK_SAMPLE_RATE, startBark, type BarkServer } from '../../../hack/servers/bark.js';
import { isAbortError } from '../types.js';
import { BarkTts, type BarkTtsOptions } from './bark.js';
import {
  abortAfterFirstChunk,
  closedAfterEach,
  codeOf,
  collectAudio,
  peak,
  QUICK_TIMING,
  toneSamples,
} from '../test/tts-helpers.js';

let server: BarkServer;
const engines = closedAfterEach<BarkTts>(() => server);

async function engine(extra: Partial<BarkTtsOptions> = {}): Promise<BarkTts> {
  const tts = new BarkTts({
    baseUrl: server.url,
    voice: 'v2/en_speaker_6',
    ...QUICK_TIMING,
    ...extra,
  });
  engines.push(tts);
  await tts.init();
  return tts;
}

const tts = (): BarkServer['requests'] => server.requests.filter((r) => r.path === '/tts');
const TEXT = 'Hello! This is Bark.';

describe('BarkTts against a local LocalAI /tts server', () => {
  it.each(['float32', 'pcm16'] as const)('reads a %s WAV at 24 kHz as it streams in', async (encoding) => {
    server = await startBark({ step: { encoding, chunkMs: 100, interChunkDelayMs: 30 } });
    const bark = await engine();
    expect(bark.status()).toMatchObject({ state: 'up', engine: 'bark' });
    const got = await collectAudio(bark, TEXT);
    expect(got.error).toBeUndefined();
    expect([...got.rates]).toEqual([BARK_SAMPLE_RATE]);
    expect(got.samples).toBe(toneSamples(TEXT, BARK_SAMPLE_RATE));
    expect(got.chunks.length).toBeGreaterThan(1);
    expect(peak(got.chunks)).toBeGreaterThan(5_000);
    expect(tts()[0]?.body).toEqual({ backend: 'bark', input: TEXT, model: 'v2/en_speaker_6' });
  });

  it('retries a 500 and succeeds', async () => {
    server = await startBark({ script: [{ status: 500 }] });
    expect((await collectAudio(await engine(), TEXT)).error).toBeUndefined();
    expect(tts()).toHaveLength(2);
  });

  it('rejects a broken WAV as bad_response without retrying', async () => {
    server = await startBark({ step: { notWav: true } });
    expect(codeOf((await collectAudio(await engine(), TEXT)).error)).toBe('bad_response');
    expect(tts()).toHaveLength(1);
  });

  it('times out a stall and closes the request', async () => {
    server = await startBark({ step: { stall: true } });
    const got = await collectAudio(await engine({ firstChunkTimeoutMs: 150, maxRetries: 0 }), TEXT);
    expect(codeOf(got.error)).toBe('timeout');
    await server.waitFor(() => tts()[0]!.aborted);
  });

  it('fails without retrying when the body breaks after audio started', async () => {
    server = await startBark({ step: { dropAfterChunks: 2, chunkMs: 50, interChunkDelayMs: 10 } });
    const got = await collectAudio(await engine(), TEXT);
    expect(got.samples).toBeGreaterThan(0);
    expect(got.error).toMatchObject({ retryable: false });
    expect(tts()).toHaveLength(1);
  });

  it('aborts mid-stream and the server sees the disconnect', async () => {
    server = await startBark({ step: { chunkMs: 50, interChunkDelayMs: 100 } });
    const got = await abortAfterFirstChunk(await engine(), TEXT);
    expect(got.chunks).toHaveLength(1);
    expect(isAbortError(got.error)).toBe(true);
    await server.waitFor(() => tts()[0]!.aborted);
  });

  it('reports down when LocalAI is not reachable, without failing start-up', async () => {
    server = await startBark();
    const url = server.url;
    await server.close();
    const bark = new BarkTts({ baseUrl: url, maxRetries: 0 });
    engines.push(bark);
    await bark.init();
    expect(bark.status().state).toBe('down');
    expect(codeOf((await collectAudio(bark, TEXT)).error)).toBe('unavailable');
    server = await startBark();
  });
});
