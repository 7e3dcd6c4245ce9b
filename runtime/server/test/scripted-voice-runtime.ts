/**
 * A scripted voice runtime for the server's own tests: the server is the unit under test, so the
 * conversation just records what reached it and echoes frames back through the transport. The real
 * pipeline is exercised by runtime/pipeline's tests and by the child-process tests of main.js.
 */
import type { ComponentName, ComponentStatus } from '../../engines/types.js';
import type { Conversation, ConversationContext, SessionTransport } from '../../session/conversation.js';
import type { VoiceRuntime } from '../../session/voice-runtime.js';

export interface ScriptedConversation extends Conversation {
  ctx: ConversationContext;
  attaches: number;
  detaches: number;
  closed: boolean;
  binary: Buffer[];
  texts: string[];
}

export interface ScriptedVoiceRuntime extends VoiceRuntime {
  conversations: ScriptedConversation[];
  setReady(ready: boolean): void;
  setAvatar(status: ComponentStatus): void;
}

export function scriptedVoiceRuntime(opts: { ready?: boolean } = {}): ScriptedVoiceRuntime {
  let ready = opts.ready ?? true;
  let avatar: ComponentStatus = { state: 'disabled', engine: 'none' };
  const conversations: ScriptedConversation[] = [];
  const up = (engine: string): ComponentStatus => ({ state: ready ? 'up' : 'loading', engine });
  return {
    conversations,
    setReady(r) {
      ready = r;
    },
    setAvatar(status) {
      avatar = status;
    },
    engines: {
      components: (): Record<ComponentName, ComponentStatus> => ({
        vad: up('scripted'),
        asr: up('scripted'),
        llm: up('scripted'),
        tts: up('scripted'),
        avatar,
      }),
      ready: () => ready,
      init: async () => {},
      close: async () => {},
    },
    conversationFactory(ctx) {
      let transport: SessionTransport | undefined;
      const conv: ScriptedConversation = {
        ctx,
        attaches: 0,
        detaches: 0,
        closed: false,
        binary: [],
        texts: [],
        attach(t) {
          transport = t;
          conv.attaches += 1;
          t.sendEvent({ type: 'attached', count: conv.attaches });
        },
        handleBinary(data) {
          conv.binary.push(Buffer.from(data));
          transport?.sendAudio(
            new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
          );
        },
        handleText(text) {
          conv.texts.push(text);
          const msg = JSON.parse(text) as { type: string; state?: string; outcome?: string; ttfaMs?: number };
          if (msg.type === 'state' && msg.state !== undefined) {
            try {
              ctx.onStateChange(msg.state as Parameters<ConversationContext['onStateChange']>[0]);
              transport?.sendEvent({ type: 'state', state: msg.state });
            } catch (err) {
              transport?.sendEvent({ type: 'error', code: (err as { code?: string }).code ?? 'error' });
            }
          }
          if (msg.type === 'turn')
            ctx.onTurnCompleted?.({ outcome: msg.outcome ?? 'completed', ttfaMs: msg.ttfaMs });
        },
        detach() {
          transport = undefined;
          conv.detaches += 1;
        },
        async close() {
          conv.closed = true;
        },
      };
      conversations.push(conv);
      return conv;
    },
  };
}
