/**
 * Metric names the runtime exports and the operator reads (ARCHITECTURE.md "Metric names").
 * Both programs import these constants; neither imports the other's internals.
 */
export const METRIC = {
  ttfaSeconds: 'goassist_ttfa_seconds',
  bargeInSeconds: 'goassist_barge_in_seconds',
  turnsTotal: 'goassist_turns_total',
  errorsTotal: 'goassist_errors_total',
  activeSessions: 'goassist_active_sessions',
  maxSessions: 'goassist_max_sessions',
  sessionsStartedTotal: 'goassist_sessions_started_total',
  sessionsEndedTotal: 'goassist_sessions_ended_total',
  componentUp: 'goassist_component_up',
  asrSeconds: 'goassist_asr_seconds',
  llmTtftSeconds: 'goassist_llm_ttft_seconds',
  ttsFirstChunkSeconds: 'goassist_tts_first_chunk_seconds',
  endOfTurnSeconds: 'goassist_end_of_turn_seconds',
} as const;

/** Every runtime series carries this label so stable and canary revisions can be told apart. */
export const REVISION_LABEL = 'revision';

/** Outcomes of a turn (label `outcome` of goassist_turns_total). `failed` turns count towards the error rate. */
export const TURN_OUTCOMES = ['completed', 'interrupted', 'failed', 'empty'] as const;
export type TurnOutcome = (typeof TURN_OUTCOMES)[number];

/** TTFA histogram buckets in seconds; they reach well past 10 s as the contract requires. */
export const TTFA_BUCKETS = [
  0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 30,
];
/** Barge-in histogram buckets in seconds (target: under 0.15 s). */
export const BARGE_IN_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3, 0.5, 1, 2];
/** Per-stage histogram buckets in seconds. */
export const STAGE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
