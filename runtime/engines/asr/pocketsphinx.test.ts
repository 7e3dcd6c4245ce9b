import { speechPcm, silence } from '../../../hack/fixtures/speech.js';
import { describeAsrConformance } from '../test/conformance.js';
import { EngineError, isAbortError, type AsrStream } from '../types.js';
import { PocketsphinxAsr } from './pocketsphinx.js';

function pushAll(stream: AsrStream, pcm: Int16Array): void {
  for (let i = 0; i < pcm.length; i += 512) stream.push(pcm.subarray(i, i + 512));
}

async function recognise(asr: PocketsphinxAsr, pcm: Int16Array): Promise<string> {
  const s = asr.stream({ signal: new AbortController().signal });
  pushAll(s, pcm);
  return (await s.finish()).text;
}

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeAsrConformance('pocketsphinx', async () => ({
  engine: new PocketsphinxAsr(),
  speech: await speechPcm('what time is it'),
}));

describe('PocketsphinxAsr', () => {
  const asr = new PocketsphinxAsr({ workers: 1, restartMinMs: 50 });

  beforeAll(async () => {
    expect(asr.status().state).toBe('loading');
    await asr.init();
  });
  afterAll(() => asr.close());

  it('is up with a warm, primed decoder', () => {
    expect(asr.status()).toEqual({ state: 'up', engine: 'pocketsphinx', detail: '1/1 decoders warm' });
    expect(asr.pids()).toHaveLength(1);
  });

  it.each([
    ['what time is it', ['what', 'time']],
    ['turn on the kitchen lights', ['turn', 'kitchen', 'lights']],
    ['what is the weather like today', ['weather', 'today']],
  ])('recognises "%s"', async (text, words) => {
    const heard = await recognise(asr, await speechPcm(text));
    for (const w of words) expect(heard.split(/\s+/)).toContain(w);
  });

  it('keeps utterances of concurrent streams apart', async () => {
    const a = await speechPcm('what time is it');
    const b = await speechPcm('turn on the kitchen lights');
    const sa = asr.stream({ signal: new AbortController().signal });
    const sb = asr.stream({ signal: new AbortController().signal });
    // Interleaved pushes: the second stream waits for the decoder and keeps its audio meanwhile.
    for (let i = 0; i < Math.max(a.length, b.length); i += 512) {
      sa.push(a.subarray(i, i + 512));
      sb.push(b.subarray(i, i + 512));
    }
    // One decoder takes utterances in order: the second ends once the first has.
    const [ra, rb] = await Promise.all([sa.finish(), sb.finish()]);
    expect(ra.text).toContain('time');
    expect(rb.text).toContain('kitchen');
  });

  it('reports partial hypotheses while the audio arrives, before the final transcript', async () => {
    const pcm = await speechPcm('what is the weather like today');
    const s = asr.stream({ signal: new AbortController().signal });
    const partials: { text: string; pushedMs: number }[] = [];
    let pushedMs = 0;
    const reading = (async () => {
      for await (const text of s.partials()) partials.push({ text, pushedMs });
    })();
    // At real-time pace, as a microphone delivers it.
    for (let i = 0; i < pcm.length; i += 512) {
      s.push(pcm.subarray(i, i + 512));
      pushedMs += 32;
      await new Promise((r) => setTimeout(r, 32));
    }
    const final = (await s.finish()).text;
    await reading;
    expect(final.split(/\s+/)).toContain('weather');
    // Several hypotheses, the first well before the utterance's audio was all pushed.
    expect(partials.length).toBeGreaterThanOrEqual(2);
    expect(partials[0]!.pushedMs).toBeLessThan(pushedMs - 500);
    expect(partials.some((p) => p.text.split(/\s+/).includes('weather'))).toBe(true);
    // Each is a growing hypothesis of the same utterance, not a repeat.
    for (let i = 1; i < partials.length; i++) expect(partials[i]!.text).not.toBe(partials[i - 1]!.text);
  });

  it('a dropped utterance reports no partials and the next one decodes', async () => {
    const ac = new AbortController();
    const s = asr.stream({ signal: ac.signal });
    const partials: string[] = [];
    const reading = (async () => {
      for await (const text of s.partials()) partials.push(text);
    })();
    const pcm = await speechPcm('turn on the kitchen lights');
    pushAll(s, pcm.subarray(0, 4000));
    ac.abort();
    pushAll(s, pcm.subarray(4000));
    await expect(s.finish()).rejects.toMatchObject({ name: 'AbortError' });
    await reading;
    const before = partials.length;
    expect(await recognise(asr, pcm)).toContain('kitchen');
    expect(partials.length).toBe(before);
  });

  it('returns an empty transcript for silence', async () => {
    expect(await recognise(asr, silence(0.5))).toBe('');
  });

  it('a stream aborted while queued behind another never reaches the decoder', async () => {
    const first = asr.stream({ signal: new AbortController().signal });
    pushAll(first, await speechPcm('what time is it'));
    const ac = new AbortController();
    const queued = asr.stream({ signal: ac.signal });
    queued.push(silence(0.2));
    ac.abort();
    const err = await queued.finish().catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect((await first.finish()).text).toContain('time');
  });

  it('rejects the stream in flight with worker_crashed when the decoder dies, then restarts', async () => {
    const [pid] = asr.pids();
    const s = asr.stream({ signal: new AbortController().signal });
    s.push((await speechPcm('what time is it')).subarray(0, 8000));
    process.kill(pid!, 'SIGKILL');
    const err = await s.finish().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ component: 'asr', code: 'worker_crashed' });
    expect(asr.status().state).toBe('down');
    expect(asr.status().detail).toMatch(/SIGKILL/);
    await waitFor(() => asr.status().state === 'up');
    expect(asr.pids()[0]).not.toBe(pid);
    expect(await recognise(asr, await speechPcm('what time is it'))).toContain('time');
  });

  it('kills a decoder that stops answering: the utterance fails as worker_crashed, a new decoder takes over', async () => {
    const hung = new PocketsphinxAsr({ workers: 1, restartMinMs: 50, finalTimeoutMs: 300 });
    await hung.init();
    try {
      const [pid] = hung.pids();
      const pcm = await speechPcm('what time is it');
      process.kill(pid!, 'SIGSTOP'); // alive but silent
      const s = hung.stream({ signal: new AbortController().signal });
      pushAll(s, pcm);
      const err = await s.finish().catch((e: unknown) => e);
      expect(err).toMatchObject({ component: 'asr', code: 'worker_crashed' });
      expect((err as Error).message).toMatch(/no final hypothesis within/);
      await waitFor(() => hung.status().state === 'up');
      expect(hung.pids()[0]).not.toBe(pid);
      expect(await recognise(hung, pcm)).toContain('time');
    } finally {
      await hung.close();
    }
  });

  it('a stream opened while no decoder runs fails as unavailable, not as a hang', async () => {
    const [pid] = asr.pids();
    process.kill(pid!, 'SIGKILL');
    await waitFor(() => asr.status().state === 'down');
    const s = asr.stream({ signal: new AbortController().signal });
    s.push(silence(0.1));
    await expect(s.finish()).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    await waitFor(() => asr.status().state === 'up');
  });
});

describe('PocketsphinxAsr start-up errors', () => {
  it('names a missing binary as a config error', async () => {
    const asr = new PocketsphinxAsr({ binary: '/nonexistent/goassist-ps-stream', primeText: false });
    const err = await asr.init().catch((e: unknown) => e);
    expect(err).toMatchObject({ component: 'asr', code: 'config' });
    expect((err as Error).message).toContain('/nonexistent/goassist-ps-stream');
    expect(asr.status().state).toBe('down');
  });

  it('reports a bad model path as model_load', async () => {
    const asr = new PocketsphinxAsr({ hmm: '/nonexistent/hmm', primeText: false, startTimeoutMs: 10_000 });
    const err = await asr.init().catch((e: unknown) => e);
    expect(err).toMatchObject({ component: 'asr', code: 'model_load' });
    expect(asr.status()).toMatchObject({ state: 'down' });
  });
});
