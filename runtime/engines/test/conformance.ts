/**
 * Shared conformance suites every engine adapter passes (STYLE.md "Engines"): init and status,
 * abort as a normal end (an AbortError, never an EngineError), the engine still working after an
 * abort, and close ending work in flight. Call inside a test file:
 *   describeAsrConformance('pocketsphinx', async () => ({ engine, speech }));
 */
import { EngineError, isAbortError, type AsrEngine, type AsrStream, type TtsEngine } from '../types.js';

export interface AsrFixture {
  /** An engine, not yet initialised. */
  engine: AsrEngine;
  /** Speech at engine.sampleRate. */
  speech: Int16Array;
  teardown?: () => Promise<void>;
}

export interface TtsFixture {
  /** An engine, not yet initialised. */
  engine: TtsEngine;
  /** A clause the engine can speak. */
  text?: string;
  teardown?: () => Promise<void>;
}

function pushAll(stream: AsrStream, pcm: Int16Array, chunk = 320): void {
  for (let i = 0; i < pcm.length; i += chunk) stream.push(pcm.subarray(i, i + chunk));
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

function expectAbort(error: unknown): void {
  expect(error).toBeDefined();
  expect(isAbortError(error)).toBe(true);
  expect(error).not.toBeInstanceOf(EngineError);
}

export interface SuiteOptions {
  /** Per-test time limit for slow engines (default: jest's). */
  timeoutMs?: number;
}

export function describeAsrConformance(
  label: string,
  setup: () => Promise<AsrFixture>,
  options: SuiteOptions = {},
): void {
  const t = options.timeoutMs;
  describe(`ASR conformance: ${label}`, () => {
    let fx: AsrFixture;
    beforeAll(async () => {
      fx = await setup();
      await fx.engine.init();
    }, t);
    afterAll(async () => {
      await fx.engine.close();
      await fx.teardown?.();
    }, t);

    it(
      'is up after init and names itself',
      () => {
        expect(fx.engine.component).toBe('asr');
        expect(fx.engine.status()).toMatchObject({ state: 'up', engine: fx.engine.name });
        expect(fx.engine.sampleRate).toBeGreaterThan(0);
      },
      t,
    );

    it(
      'resolves a transcript for pushed audio on finish()',
      async () => {
        const s = fx.engine.stream({ signal: new AbortController().signal });
        pushAll(s, fx.speech);
        const r = await s.finish();
        expect(typeof r.text).toBe('string');
        if (r.confidence !== undefined) {
          expect(r.confidence).toBeGreaterThanOrEqual(0);
          expect(r.confidence).toBeLessThanOrEqual(1);
        }
      },
      t,
    );

    it(
      'rejects finish() with an AbortError when the signal is already aborted',
      async () => {
        const ac = new AbortController();
        ac.abort();
        const s = fx.engine.stream({ signal: ac.signal });
        s.push(fx.speech.subarray(0, 1600));
        expectAbort((await settle(s.finish())).error);
      },
      t,
    );

    it(
      'rejects finish() with an AbortError when aborted mid-utterance',
      async () => {
        const ac = new AbortController();
        const s = fx.engine.stream({ signal: ac.signal });
        pushAll(s, fx.speech.subarray(0, Math.floor(fx.speech.length / 2)));
        ac.abort();
        expectAbort((await settle(s.finish())).error);
      },
      t,
    );

    it(
      'rejects a pending finish() with an AbortError when aborted after it',
      async () => {
        const ac = new AbortController();
        const s = fx.engine.stream({ signal: ac.signal });
        pushAll(s, fx.speech);
        const pending = settle(s.finish());
        ac.abort();
        const { error } = await pending;
        // The transcript may have won the race; if not, the abort must be an AbortError.
        if (error !== undefined) expectAbort(error);
      },
      t,
    );

    it(
      'ends partials() once the utterance is finished',
      async () => {
        const s = fx.engine.stream({ signal: new AbortController().signal });
        const seen: string[] = [];
        const reading = (async () => {
          for await (const p of s.partials()) seen.push(p);
        })();
        pushAll(s, fx.speech);
        await s.finish();
        await reading;
        for (const p of seen) expect(typeof p).toBe('string');
      },
      t,
    );

    it(
      'still works after aborts',
      async () => {
        const s = fx.engine.stream({ signal: new AbortController().signal });
        pushAll(s, fx.speech);
        expect(typeof (await s.finish()).text).toBe('string');
        expect(fx.engine.status().state).toBe('up');
      },
      t,
    );

    it(
      'close() settles utterances in flight',
      async () => {
        const s = fx.engine.stream({ signal: new AbortController().signal });
        pushAll(s, fx.speech.subarray(0, Math.floor(fx.speech.length / 2)));
        const pending = settle(s.finish());
        await fx.engine.close();
        const { error } = await pending;
        if (error !== undefined) expect(error instanceof EngineError || isAbortError(error)).toBe(true);
      },
      t,
    );
  });
}

export function describeTtsConformance(label: string, setup: () => Promise<TtsFixture>): void {
  describe(`TTS conformance: ${label}`, () => {
    let fx: TtsFixture;
    let text: string;
    beforeAll(async () => {
      fx = await setup();
      text = fx.text ?? 'Hello there, this is a test of the speech engine.';
      await fx.engine.init();
    });
    afterAll(async () => {
      await fx.engine.close();
      await fx.teardown?.();
    });

    it('is up after init and names itself', () => {
      expect(fx.engine.component).toBe('tts');
      expect(fx.engine.status()).toMatchObject({ state: 'up', engine: fx.engine.name });
    });

    it('streams PCM16 chunks at one stated rate', async () => {
      const rates = new Set<number>();
      let samples = 0;
      for await (const chunk of fx.engine.synthesize(text, { signal: new AbortController().signal })) {
        expect(chunk.pcm).toBeInstanceOf(Int16Array);
        rates.add(chunk.sampleRate);
        samples += chunk.pcm.length;
      }
      expect(rates.size).toBe(1);
      const [rate] = [...rates];
      expect(rate).toBeGreaterThan(0);
      expect(samples / rate!).toBeGreaterThan(0.2);
    });

    it('ends with an AbortError and no audio when the signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      let chunks = 0;
      const { error } = await settle(
        (async () => {
          for await (const _ of fx.engine.synthesize(text, { signal: ac.signal })) chunks++;
        })(),
      );
      expectAbort(error);
      expect(chunks).toBe(0);
    });

    it('stops with an AbortError when aborted after the first chunk', async () => {
      const ac = new AbortController();
      let chunks = 0;
      const { error } = await settle(
        (async () => {
          for await (const _ of fx.engine.synthesize(text, { signal: ac.signal })) {
            chunks++;
            ac.abort();
          }
        })(),
      );
      expect(chunks).toBe(1);
      expectAbort(error);
    });

    it('cleans up when the consumer breaks early, and keeps working', async () => {
      for await (const _ of fx.engine.synthesize(text, { signal: new AbortController().signal })) break;
      let samples = 0;
      for await (const c of fx.engine.synthesize('Still here.', { signal: new AbortController().signal })) {
        samples += c.pcm.length;
      }
      expect(samples).toBeGreaterThan(0);
      expect(fx.engine.status().state).toBe('up');
    });

    it('close() resolves', async () => {
      await expect(fx.engine.close()).resolves.toBeUndefined();
    });
  });
}
