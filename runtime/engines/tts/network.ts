import type { TtsEngine } from '../types.js';
import { BarkTts } from './bark.js';
import { CoquiTts, type CoquiApi } from './coqui.js';
import { OpenAiTts } from './openai.js';

/** TTS engines that run on a server, by TTS_ENGINE name. */
export type NetworkTtsName = 'openai' | 'coqui' | 'bark';

/** The TTS settings of the runtime config (TTS_*), as plain values. */
export interface NetworkTtsSettings {
  baseUrl: string;
  apiKey?: string;
  /** openai: voice (default alloy); bark: voice preset such as v2/en_speaker_6. */
  voice?: string;
  /** openai: model (default tts-1); coqui: `tts` or `xtts-stream` to force that API (default: detected). */
  model?: string;
  /** coqui: speaker_id (classic) or studio speaker name (XTTS). */
  speakerId?: string;
  /** coqui: language_id (classic) or language (XTTS, default en). */
  language?: string;
}

export const NETWORK_TTS: Record<NetworkTtsName, (s: NetworkTtsSettings) => TtsEngine> = {
  openai: (s) => new OpenAiTts({ baseUrl: s.baseUrl, apiKey: s.apiKey, model: s.model, voice: s.voice }),
  // An unknown TTS_MODEL_NAME reaches CoquiTts.init(), which refuses it with a config error.
  coqui: (s) =>
    new CoquiTts({
      baseUrl: s.baseUrl,
      api: (s.model || 'auto') as CoquiApi | 'auto',
      speakerId: s.speakerId,
      language: s.language,
    }),
  bark: (s) => new BarkTts({ baseUrl: s.baseUrl, apiKey: s.apiKey, voice: s.voice }),
};
