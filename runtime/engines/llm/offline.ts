import { sleep, throwIfAborted } from '../retry.js';
import type { ChatMessage, ComponentStatus, LlmEngine, TurnOptions } from '../types.js';
import { offlineReply } from './offline-replies.js';

/**
 * The embedded offline responder, used when no LLM endpoint is configured (`LLM_BASE_URL` empty).
 * It is not a language model: rule-based replies (greetings, time, date, sums, echo, help),
 * streamed word by word like a model's tokens. Its status says `offline: true` so /health and
 * the UI can label it.
 */
export interface OfflineLlmOptions {
  assistantName?: string;
  timeZone?: string;
  /** Pause between words; 0 yields each word on its own turn of the event loop. */
  wordDelayMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

export class OfflineLlm implements LlmEngine {
  readonly component = 'llm' as const;
  readonly name = 'offline';
  private readonly shutdown = new AbortController();

  constructor(private readonly opts: OfflineLlmOptions = {}) {}

  async init(): Promise<void> {}

  status(): ComponentStatus {
    return {
      state: 'up',
      engine: 'offline',
      offline: true,
      detail: 'embedded rule-based responder, no language model (set LLM_BASE_URL to use one)',
    };
  }

  async close(): Promise<void> {
    this.shutdown.abort();
  }

  stream(messages: readonly ChatMessage[], opts: TurnOptions): AsyncIterable<string> {
    return this.run(messages, opts);
  }

  private async *run(messages: readonly ChatMessage[], opts: TurnOptions): AsyncGenerator<string> {
    const signal = AbortSignal.any([opts.signal, this.shutdown.signal]);
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    const reply = offlineReply(lastUser?.content ?? '', {
      now: this.opts.now?.() ?? new Date(),
      timeZone: this.opts.timeZone,
      assistantName: this.opts.assistantName ?? 'GoAssist',
    });
    const words = reply.match(/\s*\S+/g) ?? [];
    for (const word of words) {
      if (this.opts.wordDelayMs) await sleep(this.opts.wordDelayMs, signal);
      else await new Promise((resolve) => setImmediate(resolve));
      throwIfAborted(signal);
      yield word;
    }
  }
}
