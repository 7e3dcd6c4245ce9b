/**
 * Config -> engines. One factory record per component over the provider names the config accepts
 * (a string-literal union), so adding a provider without a factory does not compile, and a name that
 * is not in the record fails loudly with a config error instead of falling back to a default.
 */
import type { RuntimeConfig } from '../config/index.js';
import type { ASR_ENGINES, TTS_ENGINES } from '../config/schema.js';
import { OpenAiAsr } from './asr/openai.js';
import { cpuBudget } from '../config/cpu-budget.js';
import { PocketsphinxAsr } from './asr/pocketsphinx.js';
import { createLlm } from './llm/index.js';
import { NETWORK_TTS } from './tts/network.js';
import {
  EngineError,
  type AsrEngine,
  type ComponentName,
  type LlmEngine,
  type TtsEngine,
  type VadEngine,
} from './types.js';
import { SileroVad } from './vad/silero.js';

export type VadProvider = 'silero';
export type AsrProvider = (typeof ASR_ENGINES)[number];
export type TtsProvider = (typeof TTS_ENGINES)[number];

/** Heavy engines (native bindings, WASM) are imported only when the config selects them. */
type Factory<E> = (config: RuntimeConfig) => E | Promise<E>;

export const VAD_FACTORIES: Record<VadProvider, Factory<VadEngine>> = {
  silero: (c) => new SileroVad({ modelPath: c.VAD_MODEL_PATH }),
};

export const ASR_FACTORIES: Record<AsrProvider, Factory<AsrEngine>> = {
  // A decoder is held for the whole utterance but busy only about a third of that time, so two per
  // CPU of the pod's budget (docs/performance.md: 2 per CPU served twice the sessions of 1 or 4).
  pocketsphinx: (c) => new PocketsphinxAsr({ workers: c.ASR_WORKERS ?? 2 * cpuBudget() }),
  whisper: async (c) => {
    const { WhisperAsr } = await import('./asr/whisper.js');
    return new WhisperAsr({
      modelPath: required(c.ASR_MODEL_PATH, 'asr', 'ASR_MODEL_PATH'),
      language: c.ASR_LANGUAGE,
    });
  },
  openai: (c) =>
    new OpenAiAsr({
      baseUrl: required(c.ASR_BASE_URL ?? c.LLM_BASE_URL, 'asr', 'ASR_BASE_URL'),
      apiKey: c.ASR_API_KEY ?? c.LLM_API_KEY,
      model: c.ASR_MODEL_NAME,
      language: c.ASR_LANGUAGE,
    }),
};

const networkTts =
  (name: 'openai' | 'coqui' | 'bark'): Factory<TtsEngine> =>
  (c) =>
    NETWORK_TTS[name]({
      baseUrl: required(
        c.TTS_BASE_URL ?? (name === 'openai' ? c.LLM_BASE_URL : undefined),
        'tts',
        'TTS_BASE_URL',
      ),
      apiKey: c.TTS_API_KEY ?? (name === 'openai' ? c.LLM_API_KEY : undefined),
      voice: c.TTS_VOICE,
      model: c.TTS_MODEL_NAME,
      speakerId: c.TTS_SPEAKER_ID,
      language: c.TTS_LANGUAGE,
    });

export const TTS_FACTORIES: Record<TtsProvider, Factory<TtsEngine>> = {
  espeak: async (c) => {
    const { EspeakTts } = await import('./tts/espeak.js');
    return new EspeakTts(c.TTS_VOICE !== undefined ? { voice: c.TTS_VOICE } : {});
  },
  openai: networkTts('openai'),
  coqui: networkTts('coqui'),
  bark: networkTts('bark'),
};

/** The factory of `name`, or a config EngineError naming the providers there are. */
export function pickFactory<K extends string, F>(
  component: ComponentName,
  table: Record<K, F>,
  name: string,
): F {
  if (!Object.hasOwn(table, name)) {
    const known = Object.keys(table).join(', ');
    throw new EngineError(component, 'config', `unknown ${component} provider "${name}" (one of: ${known})`);
  }
  return table[name as K];
}

export interface VoiceEngines {
  vad: VadEngine;
  asr: AsrEngine;
  llm: LlmEngine;
  tts: TtsEngine;
}

/** Builds (does not load: that is `init()`) the engines the config names. */
export async function createEngines(config: RuntimeConfig): Promise<VoiceEngines> {
  return {
    vad: await pickFactory('vad', VAD_FACTORIES, 'silero')(config),
    asr: await pickFactory('asr', ASR_FACTORIES, config.ASR_ENGINE)(config),
    // The pipeline sends the system prompt with the history, so the engine gets none of its own.
    llm: createLlm({
      baseUrl: config.LLM_BASE_URL,
      apiKey: config.LLM_API_KEY,
      modelPath: config.LLM_MODEL_PATH,
      model: config.LLM_MODEL_NAME,
      timeoutMs: config.LLM_TIMEOUT_MS,
      maxRetries: config.LLM_MAX_RETRIES,
      maxTokens: config.LLM_MAX_TOKENS,
      temperature: config.LLM_TEMPERATURE,
    }),
    tts: await pickFactory('tts', TTS_FACTORIES, config.TTS_ENGINE)(config),
  };
}

function required(value: string | undefined, component: ComponentName, name: string): string {
  if (value === undefined)
    throw new EngineError(component, 'config', `${name} is required for this ${component} engine`);
  return value;
}
