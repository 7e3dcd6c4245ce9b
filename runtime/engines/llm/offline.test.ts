import { isAbortError } from '../types.js';
import { OfflineLlm } from './offline.js';
import { offlineReply, parseNumber } from './offline-replies.js';

const ctx = { now: new Date('2026-11-26T15:42:00Z'), timeZone: 'UTC', assistantName: 'GoAssist' };

async function reply(llm: OfflineLlm, text: string): Promise<string[]> {
  const out: string[] = [];
  for await (const w of llm.stream([{ role: 'user', content: text }], {
    signal: new AbortController().signal,
  }))
    out.push(w);
  return out;
}

describe('offline responder rules', () => {
  it.each([
    ['hello', /^Hello! I'm GoAssist, running in offline mode/],
    ['good morning there', /^Good morning! /],
    ['what time is it', /^It's 3:42 PM\.$/],
    ['what day is it today', /^Today is Thursday, November 26\.$/],
    ['who are you', /^I'm GoAssist, a voice assistant\. I'm running in offline mode/],
    ['what can you do', /^In offline mode I can tell you the time/],
    ['how are you', /^I'm doing well/],
    ['thank you', /^You're welcome!$/],
    ['goodbye', /^Goodbye!/],
    ['say the weather is nice', /^The weather is nice\.$/],
    ['what is two plus three', /is 5\.$/],
    ['what is 12 times 4', /is 48\.$/],
    ['what is ten divided by zero', /^Dividing by zero/],
    ['why is the sky blue', /^You asked: why is the sky blue\? I'm in offline mode/],
    ['the cat sat on the mat', /^I heard you say: the cat sat on the mat\. I'm in offline mode/],
    ['   ', /^Sorry, I didn't catch that/],
  ])('%s', (text, expected) => {
    expect(offlineReply(text, ctx)).toMatch(expected);
  });

  it('reads numbers as speech recognisers write them', () => {
    expect(parseNumber('twenty one')).toBe(21);
    expect(parseNumber('three hundred and five')).toBe(305);
    expect(parseNumber('42')).toBe(42);
    expect(parseNumber('many')).toBeUndefined();
  });
});

describe('OfflineLlm', () => {
  it('is labelled offline in its status', async () => {
    const llm = new OfflineLlm();
    await llm.init();
    expect(llm.status()).toMatchObject({ state: 'up', engine: 'offline', offline: true });
  });

  it('streams the reply word by word, answering the last user message', async () => {
    const llm = new OfflineLlm({ now: () => ctx.now, timeZone: 'UTC' });
    const words = await reply(llm, 'what time is it');
    expect(words).toEqual(["It's", ' 3:42', ' PM.']);
    const history = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: 'hello' },
      { role: 'assistant' as const, content: 'Hello!' },
      { role: 'user' as const, content: 'thanks' },
    ];
    const out: string[] = [];
    for await (const w of llm.stream(history, { signal: new AbortController().signal })) out.push(w);
    expect(out.join('')).toBe("You're welcome!");
  });

  it('stops at once on abort with an AbortError', async () => {
    const llm = new OfflineLlm({ wordDelayMs: 60_000 });
    const ac = new AbortController();
    const pending = (async () => {
      for await (const _ of llm.stream([{ role: 'user', content: 'hello' }], { signal: ac.signal }));
    })().catch((e: unknown) => e);
    setImmediate(() => ac.abort());
    expect(isAbortError(await pending)).toBe(true);
  });

  it('stops streaming when closed', async () => {
    const llm = new OfflineLlm({ wordDelayMs: 60_000 });
    const pending = (async () => {
      for await (const _ of llm.stream([{ role: 'user', content: 'hello' }], {
        signal: new AbortController().signal,
      }));
    })().catch((e: unknown) => e);
    setImmediate(() => void llm.close());
    expect(isAbortError(await pending)).toBe(true);
  });
});
