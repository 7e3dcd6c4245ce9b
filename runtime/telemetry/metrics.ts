/**
 * The runtime's one Prometheus registry. Every metric of the contract (contract/metrics.ts) is
 * registered at start, so a scrape of a fresh pod already shows every name, and every series
 * carries `revision` (a registry default label) so stable and canary can be told apart.
 *
 * Who observes what (so nothing is counted twice):
 * - the session registry: sessions started/ended, active/max sessions, and — from
 *   ConversationContext.onTurnCompleted — `goassist_turns_total` and `goassist_ttfa_seconds`;
 * - the pipeline (through `PipelineMetrics`): barge-in, per-stage histograms, errors;
 * - the server: `goassist_component_up` from the engines' status on every scrape.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  BARGE_IN_BUCKETS,
  METRIC,
  REVISION_LABEL,
  STAGE_BUCKETS,
  TTFA_BUCKETS,
  TURN_OUTCOMES,
} from '../../contract/metrics.js';
import type { ComponentName, ComponentStatus } from '../engines/types.js';

export const COMPONENTS: readonly ComponentName[] = ['vad', 'asr', 'llm', 'tts', 'avatar'];

/** Reasons a session ends (label `reason` of goassist_sessions_ended_total). */
export const SESSION_END_REASONS = [
  'client_closed',
  'deleted',
  'idle_timeout',
  'max_duration',
  'drain_timeout',
  'error',
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export interface MetricsOptions {
  revision: string;
  maxSessions: number;
  /** Node process metrics (CPU, memory, event loop lag). */
  processMetrics?: boolean;
}

/** Live values read at scrape time; bound once the session registry and engines exist. */
export interface LiveSources {
  activeSessions: () => number;
  components: () => Record<ComponentName, ComponentStatus>;
}

export function createRuntimeMetrics(opts: MetricsOptions) {
  let live: LiveSources | undefined;
  const registry = new Registry();
  registry.setDefaultLabels({ [REVISION_LABEL]: opts.revision });
  const registers = [registry];

  const metrics = {
    registry,
    bindLiveSources(sources: LiveSources): void {
      live = sources;
    },
    ttfaSeconds: new Histogram({
      name: METRIC.ttfaSeconds,
      help: 'Time to first audio: end of user speech to the first agent audio byte written to the socket.',
      buckets: TTFA_BUCKETS,
      registers,
    }),
    bargeInSeconds: new Histogram({
      name: METRIC.bargeInSeconds,
      help: 'Barge-in latency: start of interrupting speech to the last agent audio frame and the clear event.',
      buckets: BARGE_IN_BUCKETS,
      registers,
    }),
    turnsTotal: new Counter({
      name: METRIC.turnsTotal,
      help: 'Turns by outcome (completed, interrupted, failed, empty).',
      labelNames: ['outcome'],
      registers,
    }),
    errorsTotal: new Counter({
      name: METRIC.errorsTotal,
      help: 'Errors by component and type.',
      labelNames: ['component', 'type'],
      registers,
    }),
    activeSessions: new Gauge({
      name: METRIC.activeSessions,
      help: 'Sessions from creation until they end.',
      registers,
      collect() {
        this.set(live?.activeSessions() ?? 0);
      },
    }),
    maxSessions: new Gauge({ name: METRIC.maxSessions, help: 'MAX_CONCURRENT_SESSIONS.', registers }),
    sessionsStartedTotal: new Counter({
      name: METRIC.sessionsStartedTotal,
      help: 'Sessions created.',
      registers,
    }),
    sessionsEndedTotal: new Counter({
      name: METRIC.sessionsEndedTotal,
      help: 'Sessions ended, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    componentUp: new Gauge({
      name: METRIC.componentUp,
      help: '1 when the component is up (or disabled), 0 when loading or down.',
      labelNames: ['component'],
      registers,
      collect() {
        const status = live?.components();
        for (const c of COMPONENTS) this.set({ component: c }, componentUpValue(status?.[c]));
      },
    }),
    asrSeconds: stageHistogram(METRIC.asrSeconds, 'ASR: end of utterance to final transcript.', registers),
    llmTtftSeconds: stageHistogram(METRIC.llmTtftSeconds, 'LLM: request to first token.', registers),
    ttsFirstChunkSeconds: stageHistogram(
      METRIC.ttsFirstChunkSeconds,
      'TTS: text to first audio chunk.',
      registers,
    ),
    endOfTurnSeconds: stageHistogram(
      METRIC.endOfTurnSeconds,
      'End-of-turn wait: last speech frame to turn confirmed.',
      registers,
    ),
  };

  metrics.maxSessions.set(opts.maxSessions);
  // Zero-valued series from the start, so rate() over a fresh pod is 0 and not "no data".
  for (const outcome of TURN_OUTCOMES) metrics.turnsTotal.inc({ outcome }, 0);
  for (const reason of SESSION_END_REASONS) metrics.sessionsEndedTotal.inc({ reason }, 0);
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return metrics;
}

function stageHistogram(name: string, help: string, registers: Registry[]) {
  return new Histogram({ name, help, buckets: STAGE_BUCKETS, registers });
}

function componentUpValue(status: ComponentStatus | undefined): number {
  return status !== undefined && (status.state === 'up' || status.state === 'disabled') ? 1 : 0;
}

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetrics>;

/** What the pipeline observes. Turns and TTFA are not here: they come through onTurnCompleted. */
export type PipelineMetrics = Pick<
  RuntimeMetrics,
  | 'bargeInSeconds'
  | 'errorsTotal'
  | 'asrSeconds'
  | 'llmTtftSeconds'
  | 'ttsFirstChunkSeconds'
  | 'endOfTurnSeconds'
>;
