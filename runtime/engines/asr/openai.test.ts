import { startOpenAiCompatible, type OpenAiServer } from '../../../hack/servers/openai-compatible.js';
import { tone } from '../../../hack/servers/audio.js';
import { EngineError, isAbortError } from '../types.js';
import { OpenAiAsr, type OpenAiAsrOptions } from './openai.js';

let server: OpenAiServer;
const engines: OpenAiAsr[] = [];

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await server?.close();
});

async function engine(extra: Partial<OpenAiAsrOptions> = {}): Promise<OpenAiAsr> {
  const asr = new OpenAiAsr({
    baseUrl: `${server.url}/v1`,
    apiKey: 'k',
    model: 'whisper-1',
    language: 'en',
    timeoutMs: 2_000,
    maxRetries: 2,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 10,
    ...extra,
  });
  engines.push(asr);
  await asr.init();
  return asr;
}

const transcriptions = (): ReturnType<OpenAiServer['chatRequests']> =>
  server.requests.filter((r) => r.path === '/v1/audio/transcriptions');

function speak(asr: OpenAiAsr, signal = new AbortController().signal): ReturnType<OpenAiAsr['stream']> {
  const stream = asr.stream({ signal });
  const audio = tone(500, 16_000);
  for (let at = 0; at < audio.length; at += 512) stream.push(audio.subarray(at, at + 512));
  return stream;
}

describe('OpenAiAsr against a local OpenAI-compatible server', () => {
  it('uploads the utterance as a 16 kHz WAV in multipart form and returns the text', async () => {
    server = await startOpenAiCompatible({ transcription: { text: ' what time is it ' } });
    const asr = await engine();
    expect(asr.status().state).toBe('up');
    expect(await speak(asr).finish()).toEqual({ text: 'what time is it' });
    const [req] = transcriptions();
    expect(req?.body).toMatchObject({
      model: 'whisper-1',
      language: 'en',
      response_format: 'json',
      file: { name: 'utterance.wav', type: 'audio/wav', size: 44 + 8000 * 2 },
    });
  });

  it('yields no partials and sends nothing for an empty utterance', async () => {
    server = await startOpenAiCompatible();
    const asr = await engine();
    const stream = asr.stream({ signal: new AbortController().signal });
    const partials: string[] = [];
    for await (const p of stream.partials()) partials.push(p);
    expect(partials).toEqual([]);
    expect(await stream.finish()).toEqual({ text: '' });
    expect(transcriptions()).toHaveLength(0);
  });

  it('retries a 503 and succeeds, re-sending the upload', async () => {
    server = await startOpenAiCompatible({
      transcription: { text: 'ok' },
      transcriptionScript: [{ status: 503 }],
    });
    const asr = await engine();
    expect(await speak(asr).finish()).toEqual({ text: 'ok' });
    expect(transcriptions()).toHaveLength(2);
    expect(transcriptions()[1]?.body).toMatchObject({ file: { size: 16_044 } });
  });

  it('gives up after bounded retries', async () => {
    server = await startOpenAiCompatible({ transcription: { status: 500 } });
    const asr = await engine({ maxRetries: 1 });
    await expect(speak(asr).finish()).rejects.toMatchObject({ component: 'asr', code: 'upstream_error' });
    expect(transcriptions()).toHaveLength(2);
  });

  it('times out a slow server, retries, and reports the timeout', async () => {
    server = await startOpenAiCompatible({ transcription: { latencyMs: 5_000 } });
    const asr = await engine({ timeoutMs: 150, maxRetries: 1 });
    await expect(speak(asr).finish()).rejects.toMatchObject({ code: 'timeout' });
    expect(transcriptions()).toHaveLength(2);
    await server.waitFor(() => transcriptions().every((r) => r.aborted));
    expect(asr.status().state).toBe('down');
  });

  it('aborts an upload in flight: AbortError, and the server sees the disconnect', async () => {
    server = await startOpenAiCompatible({ transcription: { latencyMs: 5_000 } });
    const asr = await engine();
    const ac = new AbortController();
    const pending = speak(asr, ac.signal)
      .finish()
      .catch((e: unknown) => e);
    await server.waitFor(() => transcriptions().length === 1);
    ac.abort();
    expect(isAbortError(await pending)).toBe(true);
    await server.waitFor(() => transcriptions()[0]!.aborted);
    expect(transcriptions()).toHaveLength(1);
  });

  it.each(['json', 'shape'] as const)(
    'rejects a malformed answer (%s) as bad_response',
    async (malformed) => {
      server = await startOpenAiCompatible({ transcription: { malformed } });
      const asr = await engine();
      const err = await speak(asr)
        .finish()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect(err).toMatchObject({ code: 'bad_response' });
      expect(transcriptions()).toHaveLength(1);
    },
  );

  it('bounds the buffered audio', async () => {
    server = await startOpenAiCompatible();
    const asr = await engine({ maxUtteranceSeconds: 0.25 });
    await speak(asr).finish();
    expect(transcriptions()[0]?.body).toMatchObject({ file: { size: 44 + 4000 * 2 } });
  });
});
