/** A conversation wired to scripted engines and a recording transport, for pipeline unit tests. */
import type { SessionState, SessionTransport } from '../../session/conversation.js';
import { createRuntimeMetrics } from '../../telemetry/metrics.js';
import { DEFAULT_CLAUSE_OPTIONS } from '../clause-splitter.js';
import { VoiceConversation, type PipelineEngines, type PipelineOptions } from '../conversation.js';
import { identityResampler } from './scripted-engines.js';

export type Sent =
  | { kind: 'event'; event: { type: string } & Record<string, unknown>; at: number }
  | { kind: 'audio'; samples: number; at: number };

export const TEST_OPTIONS: PipelineOptions = {
  defaultInputSampleRate: 16000,
  outputSampleRate: 24000,
  vadThreshold: 0.5,
  vadNegThreshold: 0.35,
  endOfTurnSilenceMs: 96,
  minSpeechMs: 200,
  bargeInMinSpeechMs: 64,
  falseInterruptionResume: true,
  falseInterruptionTimeoutMs: 1500,
  prerollMs: 96,
  postrollMs: 64,
  maxBufferedInputMs: 2000,
  systemPrompt: 'You are a test.',
  maxHistoryMessages: 40,
  pacerChunkMs: 20,
  pacerLeadMs: 60,
  maxQueuedAudioMs: 2000,
  maxSocketBufferedBytes: 1 << 20,
  clauses: DEFAULT_CLAUSE_OPTIONS,
};

export function harness(engines: PipelineEngines, options: Partial<PipelineOptions> = {}) {
  const sent: Sent[] = [];
  const states: SessionState[] = [];
  const turns: { outcome: string; ttfaMs?: number }[] = [];
  const metrics = createRuntimeMetrics({ revision: 'test', maxSessions: 1, processMetrics: false });
  const conversation = new VoiceConversation(
    { sessionId: 's1', onStateChange: (s) => states.push(s), onTurnCompleted: (t) => turns.push(t) },
    { engines, options: { ...TEST_OPTIONS, ...options }, metrics, createResampler: identityResampler },
  );
  const transport: SessionTransport = {
    sendEvent: (event) => sent.push({ kind: 'event', event, at: performance.now() }),
    sendAudio: (pcm) => sent.push({ kind: 'audio', samples: pcm.length, at: performance.now() }),
    bufferedBytes: () => 0,
  };
  conversation.attach(transport);

  const events = (type?: string) =>
    sent.flatMap((s) =>
      s.kind === 'event' && (type === undefined || s.event.type === type) ? [s.event] : [],
    );

  async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      if (performance.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; events: ${JSON.stringify(events().map((e) => e.type))}`,
        );
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Sends `ms` of loud (speech) or quiet audio in 32 ms frames at real-time pace. */
  async function sendAudio(ms: number, loud: boolean): Promise<void> {
    for (let t = 0; t < ms; t += 32) {
      const frame = new Int16Array(512).fill(loud ? 5000 : 0);
      conversation.handleBinary(Buffer.from(frame.buffer));
      await new Promise((r) => setTimeout(r, 32));
    }
  }

  return { conversation, sent, states, turns, metrics, events, waitFor, sendAudio };
}
