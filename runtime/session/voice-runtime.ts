/**
 * What the server needs from the voice pipeline: engines with a readiness flag and per-component
 * status, and a factory of per-session conversations. runtime/pipeline's `createVoiceRuntime`
 * returns one; runtime/main.ts hands it to the server.
 */
import type { ComponentName, ComponentStatus } from '../engines/types.js';
import type { ConversationFactory } from './conversation.js';

export interface RuntimeEngines {
  /** Status of every component, `avatar` included (state `disabled` when ENABLE_AVATAR=false). */
  components(): Record<ComponentName, ComponentStatus>;
  /** True once every required engine is loaded and usable; /readyz follows it. */
  ready(): boolean;
  /** Loads models / checks endpoints; called once after the server listens. */
  init(): Promise<void>;
  close(): Promise<void>;
}

export interface VoiceRuntime {
  engines: RuntimeEngines;
  conversationFactory: ConversationFactory;
}
