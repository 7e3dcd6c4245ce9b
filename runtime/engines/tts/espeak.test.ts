import { describeTtsConformance } from '../test/conformance.js';
import { EngineError, type AudioChunk } from '../types.js';
import { EspeakTts } from './espeak.js';

async function collect(tts: EspeakTts, text: string): Promise<AudioChunk[]> {
  const out: AudioChunk[] = [];
  for await (const c of tts.synthesize(text, { signal: new AbortController().signal })) out.push(c);
  return out;
}

describeTtsConformance('espeak', async () => ({ engine: new EspeakTts() }));

describe('EspeakTts', () => {
  const tts = new EspeakTts({ voice: 'en-us' });
  beforeAll(() => tts.init());
  afterAll(() => tts.close());

  it('speaks at 22050 Hz in several chunks, with a duration that fits the text', async () => {
    const chunks = await collect(tts, 'The quick brown fox jumps over the lazy dog. It was a sunny day.');
    expect(chunks.length).toBeGreaterThan(3);
    expect(new Set(chunks.map((c) => c.sampleRate))).toEqual(new Set([22050]));
    const seconds = chunks.reduce((n, c) => n + c.pcm.length, 0) / 22050;
    expect(seconds).toBeGreaterThan(2);
    expect(seconds).toBeLessThan(10);
    const peak = Math.max(...chunks.map((c) => c.pcm.reduce((m, s) => Math.max(m, Math.abs(s)), 0)));
    expect(peak).toBeGreaterThan(3000);
  });

  it('yields nothing for empty text', async () => {
    expect(await collect(tts, '   ')).toEqual([]);
  });

  it('speaks faster at a higher rate', async () => {
    const fast = new EspeakTts({ rate: 350 });
    await fast.init();
    const text = 'Counting slowly from one to ten, one two three four five six seven eight nine ten.';
    const slowLen = (await collect(tts, text)).reduce((n, c) => n + c.pcm.length, 0);
    const fastLen = (await collect(fast, text)).reduce((n, c) => n + c.pcm.length, 0);
    await fast.close();
    expect(fastLen).toBeLessThan(slowLen * 0.75);
  });

  it('serves concurrent clauses, each complete and in order', async () => {
    const texts = ['First clause here.', 'Second clause, a bit longer than the first.', 'Third.'];
    const results = await Promise.all(texts.map((t) => collect(tts, t)));
    const lengths = results.map((r) => r.reduce((n, c) => n + c.pcm.length, 0));
    expect(lengths[1]).toBeGreaterThan(lengths[0]!);
    expect(lengths[0]).toBeGreaterThan(lengths[2]!);
    // Same text again gives the same audio, give or take espeak-ng's clause-to-clause prosody
    // state (a few samples): no audio of another clause leaked in.
    const again = (await collect(tts, texts[0]!)).reduce((n, c) => n + c.pcm.length, 0);
    expect(Math.abs(again - lengths[0]!)).toBeLessThan(lengths[0]! * 0.01);
  });

  it('an aborted clause lets the next one through at once', async () => {
    const ac = new AbortController();
    const long = 'This is a long sentence that would take many seconds to speak. '.repeat(8);
    const it = tts.synthesize(long, { signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    await expect(it.next()).rejects.toMatchObject({ name: 'AbortError' });
    const next = await collect(tts, 'Next.');
    expect(next.length).toBeGreaterThan(0);
  });
});

describe('EspeakTts worker crash', () => {
  it('fails the clause in flight as worker_crashed and restarts', async () => {
    const tts = new EspeakTts();
    await tts.init();
    const ac = new AbortController();
    const long = 'A long sentence that keeps going for a while. '.repeat(40);
    const stream = tts.synthesize(long, { signal: ac.signal });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await tts.crashWorkersForTesting();
    let err: unknown;
    try {
      for (;;) if ((await it.next()).done) break;
    } catch (e) {
      err = e;
    }
    // Chunks made before the crash may still drain; the clause must then fail as a crash.
    expect(err).toMatchObject({ component: 'tts', code: 'worker_crashed' });
    expect(tts.status().state).toBe('down');
    while (tts.status().state !== 'up') await new Promise((r) => setTimeout(r, 50));
    expect((await collect(tts, 'Back again.')).length).toBeGreaterThan(0);
    await tts.close();
  });
});

describe('EspeakTts configuration errors', () => {
  it('rejects an unknown voice as a config error', async () => {
    const tts = new EspeakTts({ voice: 'no-such-voice' });
    const err = await tts.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ component: 'tts', code: 'config' });
    expect((err as Error).message).toContain('no-such-voice');
    expect(tts.status().state).toBe('down');
    await tts.close();
  });

  it('rejects an out-of-range rate', async () => {
    await expect(new EspeakTts({ rate: 5 }).init()).rejects.toMatchObject({ code: 'config' });
  });
});
