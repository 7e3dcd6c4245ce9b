/**
 * Optional hook points of the turn pipeline for tracing and the avatar. The pipeline calls them;
 * it never depends on what stands behind them. Both default to doing nothing.
 */
/** Stages of a turn, in order. Each gets one span per turn (a false-interruption resume adds none). */
export type TurnStage = 'end_of_turn' | 'asr' | 'llm' | 'tts' | 'playout';

export interface StageSpan {
  /** `error` is set when the stage failed (an abort is not a failure and ends the span normally). */
  end(error?: unknown): void;
  /** A point event on the stage: `first_token` (llm), `first_chunk` (tts). */
  event?(name: string, attributes?: Record<string, string | number | boolean>): void;
  /** Runs every step of `iterable` in the stage's trace context, so the engine's HTTP/gRPC calls carry it. */
  wrap?<T>(iterable: AsyncIterable<T>): AsyncIterable<T>;
}

export interface TurnSpan {
  /** A stage began at `startTime` (performance.now() ms; defaults to now). */
  stage(stage: TurnStage, startTime?: number): StageSpan;
  /** A point event on the turn, e.g. `first_audio`, `barge_in`, `clear`, `resume`. */
  event(name: string, attributes?: Record<string, string | number | boolean>): void;
  end(outcome: string, attributes?: Record<string, string | number | boolean>): void;
}

export interface TurnTracer {
  /** Called when a turn is confirmed (end of turn or a text message); `startTime` is performance.now() ms. */
  startTurn(attrs: { sessionId: string; turnId: number; startTime: number }): TurnSpan;
  /** The session's conversation closed (ends a per-session span, if the tracer keeps one). */
  endSession?(sessionId: string): void;
}

/** The per-turn avatar hook; its shape lives with the avatar engine (pipeline depends on engines, not back). */
export type { AvatarSink, AvatarSinkContext, AvatarSinkFactory } from '../engines/avatar/avatar-sink.js';

export const NOOP_STAGE_SPAN: StageSpan = { end() {} };
export const NOOP_TURN_SPAN: TurnSpan = {
  stage: () => NOOP_STAGE_SPAN,
  event() {},
  end() {},
};
export const NOOP_TRACER: TurnTracer = { startTurn: () => NOOP_TURN_SPAN };
