/**
 * The voice runtime main.ts uses while no pipeline is wired in: it says so truthfully. Every
 * component reports `down`, readiness stays false (so POST /sessions is 503 not_ready), and no
 * conversation can be created.
 */
import type { ComponentName, ComponentStatus } from '../engines/types.js';
import type { VoiceRuntime } from '../session/voice-runtime.js';

const DETAIL = 'voice pipeline not wired into runtime/main.ts';

export function unwiredVoiceRuntime(): VoiceRuntime {
  const status: ComponentStatus = { state: 'down', engine: 'none', detail: DETAIL };
  const components = (): Record<ComponentName, ComponentStatus> => ({
    vad: status,
    asr: status,
    llm: status,
    tts: status,
    avatar: status,
  });
  return {
    engines: { components, ready: () => false, init: async () => {}, close: async () => {} },
    conversationFactory: () => {
      throw new Error(DETAIL);
    },
  };
}
