import { loadConfig } from '../config/index.js';
import { OpenAiAsr } from './asr/openai.js';
import { PocketsphinxAsr } from './asr/pocketsphinx.js';
import { ASR_FACTORIES, TTS_FACTORIES, createEngines, pickFactory } from './index.js';
import { OfflineLlm } from './llm/offline.js';
import { OpenAiLlm } from './llm/openai.js';
import { EspeakTts } from './tts/espeak.js';
import { OpenAiTts } from './tts/openai.js';
import { EngineError } from './types.js';
import { SileroVad } from './vad/silero.js';

const config = (env: Record<string, string> = {}) => loadConfig({ ENVIRONMENT: 'test', ...env });

describe('engine selection', () => {
  test('embedded defaults: silero, pocketsphinx, offline LLM, espeak', async () => {
    const engines = await createEngines(config());
    expect(engines.vad).toBeInstanceOf(SileroVad);
    expect(engines.asr).toBeInstanceOf(PocketsphinxAsr);
    expect(engines.llm).toBeInstanceOf(OfflineLlm);
    expect(engines.tts).toBeInstanceOf(EspeakTts);
  });

  test('network engines from the config', async () => {
    const engines = await createEngines(
      config({ LLM_BASE_URL: 'http://127.0.0.1:9/v1', ASR_ENGINE: 'openai', TTS_ENGINE: 'openai' }),
    );
    expect(engines.llm).toBeInstanceOf(OpenAiLlm);
    expect(engines.asr).toBeInstanceOf(OpenAiAsr);
    expect(engines.tts).toBeInstanceOf(OpenAiTts);
  });

  test('an unknown provider fails loudly with a config error naming the known ones', () => {
    expect(() => pickFactory('tts', TTS_FACTORIES, 'festival')).toThrow(EngineError);
    expect(() => pickFactory('asr', ASR_FACTORIES, 'toString')).toThrow(
      /unknown asr provider "toString" \(one of: pocketsphinx, whisper, openai\)/,
    );
  });
});
