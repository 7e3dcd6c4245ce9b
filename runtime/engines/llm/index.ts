import type { LlmEngine } from '../types.js';
import { LlamaLlm } from './llama.js';
import { OfflineLlm } from './offline.js';
import { OpenAiLlm } from './openai.js';

/** The LLM settings of the runtime config (LLM_*), as plain values. */
export interface LlmSettings {
  /** LLM_BASE_URL: an OpenAI-compatible endpoint; takes precedence over `modelPath`. */
  baseUrl?: string;
  /** A local GGUF chat model run in-process (e.g. SmolLM2-135M from hack/models/smollm2.ts). */
  modelPath?: string;
  apiKey?: string;
  model: string;
  systemPrompt?: string;
  /** LLM_TIMEOUT_MS: to the first token, and the longest pause between tokens. */
  timeoutMs?: number;
  maxRetries?: number;
  maxTokens?: number;
  temperature?: number;
  /** For the offline responder's times and dates. */
  timeZone?: string;
}

/** An endpoint if one is set, else a local model if one is given, else the rule-based offline responder. */
export function createLlm(s: LlmSettings): LlmEngine {
  if (!s.baseUrl && s.modelPath) {
    return new LlamaLlm({
      modelPath: s.modelPath,
      systemPrompt: s.systemPrompt,
      maxTokens: s.maxTokens,
      temperature: s.temperature,
    });
  }
  if (!s.baseUrl) return new OfflineLlm({ timeZone: s.timeZone });
  return new OpenAiLlm({
    baseUrl: s.baseUrl,
    apiKey: s.apiKey,
    model: s.model,
    systemPrompt: s.systemPrompt,
    firstTokenTimeoutMs: s.timeoutMs,
    idleTimeoutMs: s.timeoutMs,
    maxRetries: s.maxRetries,
    maxTokens: s.maxTokens,
    temperature: s.temperature,
  });
}

export { LlamaLlm } from './llama.js';
export { OfflineLlm } from './offline.js';
export { OpenAiLlm } from './openai.js';
