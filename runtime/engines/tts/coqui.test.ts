import { startCoqui, XTTS_SAMPLE_RATE, type CoquiServer } from '../../../hack/servers/coqui.js';
import { EngineError, isAbortError } from '../types.js';
import { CoquiTts, type CoquiTtsOptions } from './coqui.js';
import {
  abortAfterFirstChunk,
  closedAfterEach,
  codeOf,
  collectAudio,
  peak,
  QUICK_TIMING,
  toneSamples,
} from '../test/tts-helpers.js';

let server: CoquiServer;
const engines = closedAfterEach<CoquiTts>(() => server);

async function engine(api: CoquiTtsOptions['api'], extra: Partial<CoquiTtsOptions> = {}): Promise<CoquiTts> {
  const tts = new CoquiTts({
    baseUrl: server.url,
    api,
    ...QUICK_TIMING,
    ...extra,
  });
  engines.push(tts);
  await tts.init();
  return tts;
}

const on = (path: string): CoquiServer['requests'] => server.requests.filter((r) => r.path === path);
const TEXT = 'Good morning to you.';

describe('CoquiTts, classic Coqui TTS server API (GET /api/tts)', () => {
  it('sends text, speaker_id, style_wav and language_id and reads the WAV at its own rate', async () => {
    server = await startCoqui({ sampleRate: 22_050, step: { chunkMs: 100, interChunkDelayMs: 30 } });
    const tts = await engine('tts', { speakerId: 'p376', language: 'en' });
    expect(tts.status()).toMatchObject({ state: 'up', engine: 'coqui' });
    const got = await collectAudio(tts, TEXT);
    expect(got.error).toBeUndefined();
    expect([...got.rates]).toEqual([22_050]);
    expect(got.samples).toBe(toneSamples(TEXT, 22_050));
    expect(got.chunks.length).toBeGreaterThan(1);
    const [req] = on('/api/tts');
    expect(req?.method).toBe('GET');
    expect(req?.body).toEqual({ text: TEXT, speaker_id: 'p376', style_wav: '', language_id: 'en' });
  });

  it('retries a 500 and succeeds', async () => {
    server = await startCoqui({ script: [{ status: 500 }] });
    const got = await collectAudio(await engine('tts'), TEXT);
    expect(got.error).toBeUndefined();
    expect(on('/api/tts')).toHaveLength(2);
  });

  it('rejects a body that is not WAV as bad_response, without retrying', async () => {
    server = await startCoqui({ step: { notWav: true } });
    const got = await collectAudio(await engine('tts'), TEXT);
    expect(codeOf(got.error)).toBe('bad_response');
    expect(on('/api/tts')).toHaveLength(1);
  });

  it('times out a stalled answer', async () => {
    server = await startCoqui({ step: { stall: true } });
    const got = await collectAudio(await engine('tts', { firstChunkTimeoutMs: 150, maxRetries: 0 }), TEXT);
    expect(codeOf(got.error)).toBe('timeout');
    await server.waitFor(() => on('/api/tts')[0]!.aborted);
  });

  it('fails without retrying when the body breaks after audio started', async () => {
    server = await startCoqui({ step: { dropAfterChunks: 2, chunkMs: 50, interChunkDelayMs: 10 } });
    const got = await collectAudio(await engine('tts'), TEXT);
    expect(got.samples).toBeGreaterThan(0);
    expect(got.error).toBeInstanceOf(EngineError);
    expect(on('/api/tts')).toHaveLength(1);
  });
});

describe('CoquiTts, API detection', () => {
  it('picks the classic API on a Coqui TTS server', async () => {
    server = await startCoqui({ apis: ['tts'] });
    const tts = await engine('auto');
    expect(tts.status()).toMatchObject({ state: 'up', detail: expect.stringContaining('tts API') });
    expect((await collectAudio(tts, TEXT)).error).toBeUndefined();
    expect(on('/api/tts').filter((r) => r.query.text === TEXT)).toHaveLength(1);
  });

  it('picks /tts_stream on an XTTS streaming server', async () => {
    server = await startCoqui({ apis: ['xtts-stream'], latentRows: 1 });
    const tts = await engine(undefined);
    expect(tts.status()).toMatchObject({ state: 'up', detail: expect.stringContaining('xtts-stream API') });
    expect((await collectAudio(tts, TEXT)).error).toBeUndefined();
    expect(on('/tts_stream')).toHaveLength(1);
  });

  it('detects on the first clause when the server was down at init', async () => {
    server = await startCoqui({ apis: ['xtts-stream'], latentRows: 1 });
    const { port } = server;
    await server.close();
    const tts = new CoquiTts({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
    engines.push(tts);
    await tts.init();
    expect(tts.status().state).toBe('down');
    server = await startCoqui({ port, apis: ['xtts-stream'], latentRows: 1 });
    expect((await collectAudio(tts, TEXT)).error).toBeUndefined();
    expect(on('/tts_stream')).toHaveLength(1);
  });

  it('refuses a server that speaks neither API', async () => {
    server = await startCoqui({ apis: [] });
    const tts = new CoquiTts({ baseUrl: server.url });
    engines.push(tts);
    await expect(tts.init()).rejects.toMatchObject({ code: 'bad_response' });
  });
});

describe('CoquiTts, XTTS streaming server API (POST /tts_stream)', () => {
  it('fetches the studio speaker once and streams 24 kHz audio after a zero-length WAV header', async () => {
    server = await startCoqui({ step: { chunkMs: 50, interChunkDelayMs: 5 } });
    const tts = await engine('xtts-stream', { speakerId: 'Daisy Studious', language: 'de' });
    expect(tts.status().state).toBe('up');
    for (const text of [TEXT, 'And good night.']) {
      const got = await collectAudio(tts, text);
      expect(got.error).toBeUndefined();
      expect([...got.rates]).toEqual([XTTS_SAMPLE_RATE]);
      expect(got.samples).toBe(toneSamples(text, XTTS_SAMPLE_RATE));
      expect(got.chunks.length).toBeGreaterThan(1);
      expect(peak(got.chunks)).toBeGreaterThan(5_000);
    }
    expect(on('/studio_speakers')).toHaveLength(1);
    const body = on('/tts_stream')[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({ text: TEXT, language: 'de', add_wav_header: true, stream_chunk_size: '20' });
    expect(body.speaker_embedding).toHaveLength(512);
    expect(body.gpt_cond_latent).toHaveLength(32);
  });

  it('uses the first studio speaker when none is configured', async () => {
    server = await startCoqui({ speakers: ['Zed', 'Ana'], latentRows: 2 });
    const got = await collectAudio(await engine('xtts-stream'), TEXT);
    expect(got.error).toBeUndefined();
    const body = on('/tts_stream')[0]?.body as { gpt_cond_latent: number[][] };
    expect(body.gpt_cond_latent).toHaveLength(2);
  });

  it('refuses an unknown studio speaker at init', async () => {
    server = await startCoqui({ latentRows: 1 });
    const tts = new CoquiTts({ baseUrl: server.url, api: 'xtts-stream', speakerId: 'Nobody' });
    engines.push(tts);
    await expect(tts.init()).rejects.toMatchObject({ code: 'config' });
  });

  it('starts while the server is down and fetches the speaker on the first clause', async () => {
    server = await startCoqui({ latentRows: 1 });
    const { port } = server;
    await server.close();
    const tts = new CoquiTts({ baseUrl: `http://127.0.0.1:${port}`, api: 'xtts-stream', maxRetries: 0 });
    engines.push(tts);
    await tts.init();
    expect(tts.status().state).toBe('down');
    server = await startCoqui({ port, latentRows: 1 });
    const got = await collectAudio(tts, TEXT);
    expect(got.error).toBeUndefined();
    expect(tts.status().state).toBe('up');
  });

  it('aborts mid-stream and the server sees the disconnect', async () => {
    server = await startCoqui({ latentRows: 1, step: { chunkMs: 50, interChunkDelayMs: 100 } });
    const got = await abortAfterFirstChunk(await engine('xtts-stream'), TEXT);
    expect(got.chunks).toHaveLength(1);
    expect(isAbortError(got.error)).toBe(true);
    await server.waitFor(() => on('/tts_stream')[0]!.aborted);
  });

  it('retries a 503, times out a stall, and rejects a non-WAV stream', async () => {
    server = await startCoqui({
      latentRows: 1,
      script: [{ status: 503 }, {}, { stall: true }, { notWav: true }],
    });
    const tts = await engine('xtts-stream', { firstChunkTimeoutMs: 200, maxRetries: 1 });
    expect((await collectAudio(tts, TEXT)).error).toBeUndefined();
    expect(on('/tts_stream')).toHaveLength(2);
    const stalled = await collectAudio(tts, TEXT);
    // The stall times out and is retried; the retry gets the non-WAV body.
    expect(codeOf(stalled.error)).toBe('bad_response');
    expect(on('/tts_stream')).toHaveLength(4);
    await server.waitFor(() => on('/tts_stream')[2]!.aborted);
  });

  it('surfaces a 422 from the server as a non-retried upstream error', async () => {
    server = await startCoqui({ latentRows: 1 });
    const got = await collectAudio(await engine('xtts-stream', { language: 'xx' }), TEXT);
    expect(got.error).toMatchObject({ code: 'upstream_error', retryable: false });
    expect((got.error as Error).message).toContain('language');
  });
});
