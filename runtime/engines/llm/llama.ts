import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { abortErrorOf, throwIfAborted } from '../retry.js';
import {
  EngineError,
  type ChatMessage,
  type ComponentStatus,
  type LlmEngine,
  type TurnOptions,
} from '../types.js';

/**
 * An embedded LLM: a small GGUF chat model (by default SmolLM2-135M-Instruct, fetched from PyPI by
 * hack/models/smollm2.ts) run on the CPU in-process by llama.cpp through `@fugood/llama.node`.
 * One model context per process; turns take it one at a time (a 135M model answers in about a
 * second, so queueing beats loading several copies). The chat template is the model's own.
 */
export interface LlamaLlmOptions {
  modelPath: string;
  systemPrompt?: string;
  maxTokens?: number;
  temperature?: number;
  contextSize?: number;
  threads?: number;
}

/**
 * One thread by default: llama.cpp's threads spin while they wait, so on a small shared machine
 * (pocketsphinx workers, other sessions) two threads measured 2-4x slower than one.
 */
export const LLAMA_DEFAULTS = { maxTokens: 128, temperature: 0.3, contextSize: 2048, threads: 1 } as const;

/** The part of `@fugood/llama.node` used here (its published types are TypeScript sources, not declarations). */
interface LlamaBinding {
  loadModel(options: {
    model: string;
    n_ctx?: number;
    n_threads?: number;
    n_gpu_layers?: number;
  }): Promise<LlamaContext>;
  toggleNativeLog(enable: boolean): Promise<void>;
}

interface LlamaContext {
  completion(
    options: { messages: ChatMessage[]; n_predict?: number; temperature?: number },
    onToken: (token: { token: string }) => void,
  ): Promise<{ text: string }>;
  stopCompletion(): void;
  release(): Promise<void>;
}

const BINDING = '@fugood/llama.node';

export class LlamaLlm implements LlmEngine {
  readonly component = 'llm' as const;
  readonly name = 'llama';
  private context: LlamaContext | undefined;
  private lock: Promise<void> = Promise.resolve();
  private readonly shutdown = new AbortController();
  private current: ComponentStatus = { state: 'loading', engine: 'llama' };

  constructor(private readonly opts: LlamaLlmOptions) {}

  async init(): Promise<void> {
    const file = await stat(this.opts.modelPath).catch(() => undefined);
    if (!file?.isFile()) {
      throw new EngineError(
        'llm',
        'config',
        `LLM model file not found: ${this.opts.modelPath} (run: make models)`,
      );
    }
    try {
      const binding = (await import(BINDING)) as LlamaBinding;
      await binding.toggleNativeLog(false);
      this.context = await binding.loadModel({
        model: this.opts.modelPath,
        n_ctx: this.opts.contextSize ?? LLAMA_DEFAULTS.contextSize,
        n_threads: this.opts.threads ?? LLAMA_DEFAULTS.threads,
        n_gpu_layers: 0,
      });
    } catch (err) {
      this.current = { state: 'down', engine: 'llama', detail: 'model failed to load' };
      throw new EngineError(
        'llm',
        'model_load',
        `cannot load ${this.opts.modelPath}: ${String(err)}`,
        false,
        {
          cause: err,
        },
      );
    }
    this.current = {
      state: 'up',
      engine: 'llama',
      detail: `${basename(this.opts.modelPath)} on CPU (local model)`,
    };
  }

  status(): ComponentStatus {
    return { ...this.current };
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    const context = this.context;
    this.context = undefined;
    await this.lock;
    await context?.release();
  }

  stream(messages: readonly ChatMessage[], opts: TurnOptions): AsyncIterable<string> {
    return this.run(messages, opts);
  }

  private async *run(messages: readonly ChatMessage[], opts: TurnOptions): AsyncGenerator<string> {
    const signal = AbortSignal.any([opts.signal, this.shutdown.signal]);
    const release = await this.acquire(signal);
    try {
      const context = this.context;
      if (!context) throw new EngineError('llm', 'internal', 'LlamaLlm used before init() or after close()');
      yield* this.complete(context, this.withSystemPrompt(messages), signal);
    } finally {
      release();
    }
  }

  /** One completion, its tokens handed over as the native callback produces them. */
  private async *complete(
    context: LlamaContext,
    messages: ChatMessage[],
    signal: AbortSignal,
  ): AsyncGenerator<string> {
    const pending: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const notify = (): void => {
      wake?.();
      wake = undefined;
    };
    const done = context
      .completion(
        {
          messages,
          n_predict: this.opts.maxTokens ?? LLAMA_DEFAULTS.maxTokens,
          temperature: this.opts.temperature ?? LLAMA_DEFAULTS.temperature,
        },
        ({ token }) => {
          if (token) pending.push(token);
          notify();
        },
      )
      .then(
        () => undefined,
        (err: unknown) => {
          failure = err;
        },
      )
      .finally(() => {
        finished = true;
        notify();
      });
    const onAbort = (): void => {
      context.stopCompletion();
      notify();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        throwIfAborted(signal);
        const token = pending.shift();
        if (token !== undefined) {
          yield token;
          continue;
        }
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (failure)
        throw new EngineError('llm', 'internal', `local model failed: ${String(failure)}`, false, {
          cause: failure,
        });
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!finished) context.stopCompletion();
      // The context serves one completion at a time: the next turn waits for this one to stop.
      await done;
    }
  }

  private withSystemPrompt(messages: readonly ChatMessage[]): ChatMessage[] {
    const all = messages.map((m) => ({ role: m.role, content: m.content }));
    if (this.opts.systemPrompt && all[0]?.role !== 'system')
      all.unshift({ role: 'system', content: this.opts.systemPrompt });
    return all;
  }

  /** Waits for the model context; an abort while waiting gives the turn up without holding the queue. */
  private async acquire(signal: AbortSignal): Promise<() => void> {
    const previous = this.lock;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.lock = previous.then(() => mine);
    if (signal.aborted) {
      void previous.then(release);
      throw abortErrorOf(signal);
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        void previous.then(release);
        reject(abortErrorOf(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void previous.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    return release;
  }
}
