import { ensureSmolLm2 } from '../../../hack/models/smollm2.js';
import { EngineError, isAbortError, type ChatMessage } from '../types.js';
import { LlamaLlm } from './llama.js';

let llm: LlamaLlm;
/** A CPU model on a machine shared with other test workers can be slow; no speed is asserted here. */
const SLOW = 240_000;

beforeAll(async () => {
  llm = new LlamaLlm({
    modelPath: await ensureSmolLm2(),
    systemPrompt: 'You are a helpful voice assistant. Answer in one short sentence.',
    temperature: 0,
    maxTokens: 24,
  });
  await llm.init();
}, 300_000);

afterAll(async () => {
  await llm?.close();
});

const ask = (content: string): ChatMessage[] => [{ role: 'user', content }];

/**
 * The question follows one earlier exchange of the same form. Asked cold, a 135M model sits close
 * to a tie between "The capital…" and a French greeting: on another CPU's SIMD kernels, or with
 * the prompt prefix served from the KV cache, the greedy answer flipped (it said "Bonjour" in CI).
 * With the exchange before it, 12 of 12 samples at temperature 0.8 named Paris.
 */
const askCapitalOfFrance = (): ChatMessage[] => [
  { role: 'user', content: 'What is the capital of Italy?' },
  { role: 'assistant', content: 'The capital of Italy is Rome.' },
  { role: 'user', content: 'What is the capital of France?' },
];

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const t of iterable) out.push(t);
  return out;
}

describe('LlamaLlm with SmolLM2-135M-Instruct on the CPU', () => {
  it('is a real local model, not the offline responder', () => {
    expect(llm.status()).toMatchObject({ state: 'up', engine: 'llama' });
    expect(llm.status().offline).toBeUndefined();
  });

  it(
    'answers a question, streaming token by token',
    async () => {
      const tokens = await collect(
        llm.stream(askCapitalOfFrance(), { signal: new AbortController().signal }),
      );
      expect(tokens.length).toBeGreaterThan(1);
      expect(tokens.join('')).toMatch(/Paris/);
    },
    SLOW,
  );

  it(
    'stops at once on abort, and the next turn works',
    async () => {
      const ac = new AbortController();
      const seen: string[] = [];
      const err = await (async () => {
        for await (const t of llm.stream(ask('Tell me a long story about a dragon.'), {
          signal: ac.signal,
        })) {
          seen.push(t);
          ac.abort();
        }
      })().catch((e: unknown) => e);
      expect(seen).toHaveLength(1);
      expect(isAbortError(err)).toBe(true);
      const next = await collect(llm.stream(askCapitalOfFrance(), { signal: new AbortController().signal }));
      expect(next.join('')).toMatch(/Paris/);
    },
    SLOW,
  );

  it(
    'serves concurrent turns one after the other',
    async () => {
      const signal = new AbortController().signal;
      const order: string[] = [];
      const run = async (label: string): Promise<string> => {
        let text = '';
        for await (const t of llm.stream(askCapitalOfFrance(), { signal })) {
          order.push(label);
          text += t;
        }
        return text;
      };
      const [a, b] = await Promise.all([run('a'), run('b')]);
      expect(a).toMatch(/Paris/);
      expect(b).toMatch(/Paris/);
      // All of one turn's tokens come before any of the other's: the context is never shared.
      expect(order.join('')).toMatch(/^(a+b+|b+a+)$/);
    },
    SLOW,
  );

  it(
    'gives up a turn aborted while waiting for the model',
    async () => {
      const signal = new AbortController().signal;
      const first = collect(llm.stream(ask('Count from one to twenty.'), { signal }));
      const ac = new AbortController();
      const waiting = collect(llm.stream(ask('Hello'), { signal: ac.signal })).catch((e: unknown) => e);
      ac.abort();
      expect(isAbortError(await waiting)).toBe(true);
      expect((await first).length).toBeGreaterThan(0);
    },
    SLOW,
  );

  it(
    'refuses a missing model file with a config error',
    async () => {
      const missing = new LlamaLlm({ modelPath: '/nonexistent/model.gguf' });
      const err = await missing.init().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect(err).toMatchObject({ code: 'config' });
    },
    SLOW,
  );
});
