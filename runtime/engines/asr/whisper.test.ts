import { access } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, speechPcm } from '../../../hack/fixtures/speech.js';
import { describeAsrConformance } from '../test/conformance.js';
import { isAbortError } from '../types.js';
import { WhisperAsr } from './whisper.js';

// Whisper "base" converted to ggml by hack/fetch-whisper-model.sh (run by `make test`).
const MODEL = path.join(cacheDir(), 'models', 'ggml-whisper-base.bin');
// Whisper encodes a full 30 s window per utterance: seconds of CPU, far more on a loaded machine.
const SLOW = 600_000;

async function model(): Promise<string> {
  await access(MODEL).catch(() => {
    throw new Error(`${MODEL} is missing: run hack/fetch-whisper-model.sh (make test does)`);
  });
  return MODEL;
}

describeAsrConformance(
  'whisper',
  async () => ({
    engine: new WhisperAsr({ modelPath: await model() }),
    speech: await speechPcm('hello there'),
  }),
  { timeoutMs: SLOW },
);

describe('WhisperAsr on the real model', () => {
  let asr: WhisperAsr;
  beforeAll(async () => {
    asr = new WhisperAsr({ modelPath: await model() });
    await asr.init();
  }, SLOW);
  afterAll(() => asr.close());

  it(
    'transcribes flite speech with the expected words',
    async () => {
      const s = asr.stream({ signal: new AbortController().signal });
      const pcm = await speechPcm('turn on the kitchen lights please');
      for (let i = 0; i < pcm.length; i += 512) s.push(pcm.subarray(i, i + 512));
      const { text } = await s.finish();
      const words = text
        .toLowerCase()
        .replace(/[^a-z ]/g, '')
        .split(/\s+/);
      expect(words).toEqual(expect.arrayContaining(['turn', 'kitchen', 'lights']));
    },
    SLOW,
  );

  it(
    'an utterance queued behind another rejects with AbortError at once when aborted',
    async () => {
      const first = asr.stream({ signal: new AbortController().signal });
      first.push(await speechPcm('what time is it'));
      const firstDone = first.finish();
      const ac = new AbortController();
      const queued = asr.stream({ signal: ac.signal });
      queued.push(await speechPcm('hello'));
      const pending = queued.finish().catch((e: unknown) => e);
      ac.abort();
      expect(isAbortError(await pending)).toBe(true);
      expect((await firstDone).text.toLowerCase()).toContain('time');
    },
    SLOW,
  );
});
