/**
 * Scripted engines for unit tests of the pipeline's logic (STYLE.md: fakes only here; the same
 * behaviours are covered end to end with the real engines in runtime/test/e2e).
 */
import type {
  AsrEngine,
  AsrResult,
  AsrStream,
  AudioChunk,
  ChatMessage,
  ComponentStatus,
  LlmEngine,
  TtsEngine,
  TurnOptions,
  VadEngine,
  VadStream,
} from '../../engines/types.js';
import type { ResamplerFactory } from '../resampler.js';

const up = (engine: string): ComponentStatus => ({ state: 'up', engine });
const base = { init: async () => {}, close: async () => {} };

/** Speech probability 1 for frames whose peak exceeds 1000, else 0. */
export function loudnessVad(): VadEngine {
  return {
    ...base,
    component: 'vad',
    name: 'loudness',
    sampleRate: 16000,
    frameSamples: 512,
    status: () => up('loudness'),
    createStream(): VadStream {
      return {
        process: async (frame) => (frame.some((v) => Math.abs(v) > 1000 / 32768) ? 1 : 0),
        reset() {},
        close() {},
      };
    },
  };
}

/** Recognises "loud" audio as `text()`; silence-only audio as "". */
export function scriptedAsr(text: (loudSamples: number) => string | Error): AsrEngine & { finished: number } {
  const engine = {
    ...base,
    component: 'asr' as const,
    name: 'scripted',
    sampleRate: 16000,
    finished: 0,
    status: () => up('scripted'),
    stream(opts: TurnOptions): AsrStream {
      let loud = 0;
      return {
        push(pcm) {
          if (pcm.some((v) => Math.abs(v) > 1000)) loud += pcm.length;
        },
        async *partials() {},
        async finish(): Promise<AsrResult> {
          opts.signal.throwIfAborted();
          engine.finished++;
          const result = text(loud);
          if (result instanceof Error) throw result;
          return { text: result };
        },
      };
    },
  };
  return engine;
}

export interface LlmCall {
  messages: readonly ChatMessage[];
  aborted: boolean;
}

/** Streams `reply()` word by word, `delayMs` apart; records calls and whether they were aborted. */
export function scriptedLlm(
  reply: (call: number) => string | Error,
  delayMs = 5,
): LlmEngine & { calls: LlmCall[] } {
  const calls: LlmCall[] = [];
  return {
    ...base,
    component: 'llm',
    name: 'scripted',
    calls,
    status: () => up('scripted'),
    async *stream(messages, opts) {
      const call: LlmCall = { messages: [...messages], aborted: false };
      calls.push(call);
      opts.signal.addEventListener('abort', () => (call.aborted = true), { once: true });
      const text = reply(calls.length);
      if (text instanceof Error) throw text;
      for (const word of text.split(/(?<= )/)) {
        await new Promise((r) => setTimeout(r, delayMs));
        opts.signal.throwIfAborted();
        yield word;
      }
    },
  };
}

/** 10 ms of a tone at 24 kHz per character of text, in 40 ms chunks. */
export function scriptedTts(fail?: (text: string) => Error | undefined): TtsEngine & { texts: string[] } {
  const texts: string[] = [];
  return {
    ...base,
    component: 'tts',
    name: 'scripted',
    texts,
    status: () => up('scripted'),
    async *synthesize(text, opts): AsyncGenerator<AudioChunk> {
      texts.push(text);
      const error = fail?.(text);
      if (error) throw error;
      const total = text.length * 240;
      for (let done = 0; done < total; done += 960) {
        opts.signal.throwIfAborted();
        await new Promise((r) => setTimeout(r, 1));
        const pcm = new Int16Array(Math.min(960, total - done)).fill(3000);
        yield { pcm, sampleRate: 24000 };
      }
    },
  };
}

/** Only equal rates: the tests keep every stream at its engine's rate. */
export const identityResampler: ResamplerFactory = (from, to) => {
  if (from !== to) throw new Error(`test resampler cannot convert ${from} -> ${to}`);
  return { process: (pcm) => pcm, flush: () => new Int16Array(0) };
};
