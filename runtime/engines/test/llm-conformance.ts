/**
 * Conformance suite every LLM engine passes (the LLM counterpart of conformance.ts beside it):
 * status after init, a streamed reply of text deltas, abort as a normal end (an AbortError, never an
 * EngineError, and no token after it), early `break` cleaning up, and the engine working afterwards.
 */
import { EngineError, isAbortError, type ChatMessage, type LlmEngine } from '../types.js';

export interface LlmFixture {
  /** An engine, not yet initialised. */
  engine: LlmEngine;
  /** A question the engine answers with more than one token. */
  question?: string;
  teardown?: () => Promise<void>;
}

async function settle(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (error) {
    return error;
  }
}

function expectAbort(error: unknown): void {
  expect(isAbortError(error)).toBe(true);
  expect(error).not.toBeInstanceOf(EngineError);
}

export function describeLlmConformance(
  label: string,
  setup: () => Promise<LlmFixture>,
  timeoutMs = 60_000,
): void {
  describe(`LLM conformance: ${label}`, () => {
    let fx: LlmFixture;
    let messages: ChatMessage[];
    beforeAll(async () => {
      fx = await setup();
      messages = [{ role: 'user', content: fx.question ?? 'What is the capital of France?' }];
      await fx.engine.init();
    }, 300_000);
    afterAll(async () => {
      await fx.engine.close();
      await fx.teardown?.();
    });

    it(
      'is up after init and names itself',
      () => {
        expect(fx.engine.component).toBe('llm');
        expect(fx.engine.status()).toMatchObject({ state: 'up', engine: fx.engine.name });
      },
      timeoutMs,
    );

    it(
      'streams a reply as several string deltas',
      async () => {
        const deltas: string[] = [];
        for await (const d of fx.engine.stream(messages, { signal: new AbortController().signal }))
          deltas.push(d);
        expect(deltas.length).toBeGreaterThan(1);
        for (const d of deltas) expect(typeof d).toBe('string');
        expect(deltas.join('').trim().length).toBeGreaterThan(0);
      },
      timeoutMs,
    );

    it(
      'ends with an AbortError and no token when the signal is already aborted',
      async () => {
        const ac = new AbortController();
        ac.abort();
        let tokens = 0;
        const error = await settle(
          (async () => {
            for await (const _ of fx.engine.stream(messages, { signal: ac.signal })) tokens++;
          })(),
        );
        expectAbort(error);
        expect(tokens).toBe(0);
      },
      timeoutMs,
    );

    it(
      'stops with an AbortError right after an abort mid-reply',
      async () => {
        const ac = new AbortController();
        let tokens = 0;
        const error = await settle(
          (async () => {
            for await (const _ of fx.engine.stream(messages, { signal: ac.signal })) {
              tokens++;
              ac.abort();
            }
          })(),
        );
        expect(tokens).toBe(1);
        expectAbort(error);
      },
      timeoutMs,
    );

    it(
      'cleans up when the consumer breaks early, and keeps working',
      async () => {
        for await (const _ of fx.engine.stream(messages, { signal: new AbortController().signal })) break;
        let text = '';
        for await (const d of fx.engine.stream(messages, { signal: new AbortController().signal })) text += d;
        expect(text.length).toBeGreaterThan(0);
        expect(fx.engine.status().state).toBe('up');
      },
      timeoutMs,
    );

    it(
      'close() resolves',
      async () => {
        await expect(fx.engine.close()).resolves.toBeUndefined();
      },
      timeoutMs,
    );
  });
}
