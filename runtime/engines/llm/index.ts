import type { LlmEngine } from '../types.js';
import { OfflineLlm } from './offline.js';
import { OpenAiLlm } from './openai.js';

/** The LLM settings of the runtime config (LLM_*), as plain values. */
export interface LlmSettings {
  /** LLM_BASE_URL; empty or absent selects the embedded offline responder. */
  baseUrl?: string;
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

export function createLlm(s: LlmSettings): LlmEngine {
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

export { OfflineLlm } from './offline.js';
export { OpenAiLlm } from './openai.js';
