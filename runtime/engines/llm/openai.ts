import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { errorFromOpenAi, openAiClient, probeOpenAiStatus, retryAfterOf } from '../http.js';
import { streamWithRetry } from '../upstream.js';
import {
  EngineError,
  isAbortError,
  type ChatMessage,
  type ComponentStatus,
  type LlmEngine,
  type TurnOptions,
} from '../types.js';

/**
 * LLM over any OpenAI-compatible `POST {baseUrl}/chat/completions` with `stream: true`
 * (OpenAI, vLLM, Ollama, llama.cpp server ...), read as server-sent events.
 *
 * The SDK's own retries are off: `streamWithRetry` retries 408/429/5xx, connection errors and
 * first-token timeouts before the first token only. `init()` probes `GET {baseUrl}/models` and
 * reports up/down but never fails start-up: a down LLM fails turns, not the process.
 */
export interface OpenAiLlmOptions {
  /** e.g. `https://api.openai.com/v1`, `http://vllm:8000/v1`, `http://ollama:11434/v1`. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  systemPrompt?: string;
  /** From sending the request to the first token, per try. */
  firstTokenTimeoutMs?: number;
  /** Between two tokens once the reply has started. */
  idleTimeoutMs?: number;
  /** Extra tries before the first token. */
  maxRetries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  maxTokens?: number;
  temperature?: number;
  /** Timeout of the start-up reachability probe. */
  probeTimeoutMs?: number;
}

export const OPENAI_LLM_DEFAULTS = {
  firstTokenTimeoutMs: 10_000,
  idleTimeoutMs: 15_000,
  maxRetries: 2,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 2_000,
  probeTimeoutMs: 2_000,
} as const;

export class OpenAiLlm implements LlmEngine {
  readonly component = 'llm' as const;
  readonly name = 'openai';
  private client: OpenAI | undefined;
  private readonly shutdown = new AbortController();
  private current: ComponentStatus = { state: 'loading', engine: 'openai' };

  constructor(private readonly opts: OpenAiLlmOptions) {}

  async init(): Promise<void> {
    if (!this.opts.model) throw new EngineError('llm', 'config', 'LLM model name is empty');
    this.client = openAiClient('llm', {
      baseUrl: this.opts.baseUrl,
      apiKey: this.opts.apiKey,
      timeoutMs: this.firstTokenTimeoutMs() + 1_000,
    });
    this.current = await probeOpenAiStatus(
      this.opts.baseUrl,
      this.opts.apiKey,
      this.opts.probeTimeoutMs ?? OPENAI_LLM_DEFAULTS.probeTimeoutMs,
      this.opts.model,
    );
  }

  status(): ComponentStatus {
    return { ...this.current };
  }

  async close(): Promise<void> {
    this.shutdown.abort();
  }

  stream(messages: readonly ChatMessage[], opts: TurnOptions): AsyncIterable<string> {
    return this.run(messages, opts);
  }

  private async *run(messages: readonly ChatMessage[], opts: TurnOptions): AsyncGenerator<string> {
    const client = this.client;
    if (!client) throw new EngineError('llm', 'internal', 'OpenAiLlm.stream called before init()');
    const signal = AbortSignal.any([opts.signal, this.shutdown.signal]);
    const body = this.requestBody(messages);
    const tokens = streamWithRetry((trySignal) => this.deltas(client, body, trySignal), {
      component: 'llm',
      signal,
      firstOutputTimeoutMs: this.firstTokenTimeoutMs(),
      idleTimeoutMs: this.opts.idleTimeoutMs ?? OPENAI_LLM_DEFAULTS.idleTimeoutMs,
      retries: this.opts.maxRetries ?? OPENAI_LLM_DEFAULTS.maxRetries,
      retryBaseDelayMs: this.opts.retryBaseDelayMs ?? OPENAI_LLM_DEFAULTS.retryBaseDelayMs,
      retryMaxDelayMs: this.opts.retryMaxDelayMs ?? OPENAI_LLM_DEFAULTS.retryMaxDelayMs,
      mapError: (err) => errorFromOpenAi('llm', err),
      delayHintMs: retryAfterOf,
    });
    try {
      yield* tokens;
      this.markUp();
    } catch (err) {
      if (!isAbortError(err)) this.markFailure(err);
      throw err;
    }
  }

  private requestBody(messages: readonly ChatMessage[]): OpenAI.Chat.ChatCompletionCreateParamsStreaming {
    const all: ChatMessage[] = [];
    if (this.opts.systemPrompt && messages[0]?.role !== 'system') {
      all.push({ role: 'system', content: this.opts.systemPrompt });
    }
    all.push(...messages);
    return {
      model: this.opts.model,
      messages: all,
      stream: true,
      ...(this.opts.maxTokens !== undefined ? { max_tokens: this.opts.maxTokens } : {}),
      ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
    };
  }

  /** One try: the text deltas of one streamed completion. */
  private async *deltas(
    client: OpenAI,
    body: OpenAI.Chat.ChatCompletionCreateParamsStreaming,
    signal: AbortSignal,
  ): AsyncGenerator<string> {
    const stream = await client.chat.completions.create(body, { signal, maxRetries: 0 });
    let chunks = 0;
    for await (const chunk of stream) {
      const delta = deltaOf(chunk);
      chunks++;
      if (delta) yield delta;
    }
    if (signal.aborted) return;
    if (chunks === 0)
      throw new EngineError('llm', 'bad_response', 'stream ended without a single completion chunk');
  }

  private firstTokenTimeoutMs(): number {
    return this.opts.firstTokenTimeoutMs ?? OPENAI_LLM_DEFAULTS.firstTokenTimeoutMs;
  }

  private markUp(): void {
    if (this.current.state !== 'up') this.current = { state: 'up', engine: 'openai' };
  }

  private markFailure(err: unknown): void {
    const code = err instanceof EngineError ? err.code : 'internal';
    if (code === 'unavailable' || code === 'timeout') {
      this.current = {
        state: 'down',
        engine: 'openai',
        detail: err instanceof Error ? err.message : String(err),
      };
    }
  }
}

/** The text of one chunk; throws bad_response on a chunk that is not a chat.completion.chunk. */
function deltaOf(chunk: ChatCompletionChunk): string {
  const raw = chunk as unknown;
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { choices?: unknown }).choices)) {
    throw new EngineError('llm', 'bad_response', 'stream chunk has no choices array');
  }
  const content: unknown = chunk.choices[0]?.delta?.content;
  if (content === undefined || content === null) return '';
  if (typeof content !== 'string')
    throw new EngineError('llm', 'bad_response', 'delta content is not a string');
  return content;
}
