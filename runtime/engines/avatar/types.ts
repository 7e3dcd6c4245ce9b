/**
 * The avatar engine: turns the agent's voice into facial animation (blendshape weights over time).
 *
 * One call per agent turn. The pipeline pushes the same PCM it sends to the client, in the same order,
 * so a frame's `timeCode` (seconds from the first sample pushed) is a position in the turn's agent audio.
 * Avatar work never blocks or delays the voice: `push` and `end` return at once and never throw; a slow or
 * failed avatar only ends the frame stream early (with an error the caller counts and reports).
 */
import type { Engine, EngineError } from '../types.js';

export interface AvatarTurnOptions {
  /** Sample rate of the PCM that will be pushed. */
  sampleRate: number;
  /** The turn's signal: barge-in or turn end aborts it, which cancels the upstream call at once. */
  signal: AbortSignal;
}

/** One animation key frame: weights are positional against the turn's `names`. */
export interface BlendshapeFrame {
  /** Seconds from the first audio sample of the turn. */
  timeCode: number;
  weights: number[];
}

export type AvatarEvent =
  /** Sent once, first: the blendshape names every later frame's weights refer to. */
  { kind: 'names'; names: string[] } | { kind: 'frame'; frame: BlendshapeFrame };

/** How one avatar turn ended (resolved by `AvatarTurn.done`). */
export type AvatarTurnResult =
  | { outcome: 'completed'; frames: number }
  /** Aborted by the turn's signal (barge-in, turn end): a normal end, not an error. */
  | { outcome: 'aborted'; frames: number }
  /** Not attempted: the engine is backing off after failures (reconnect pending). */
  | { outcome: 'skipped'; frames: 0 }
  | { outcome: 'failed'; frames: number; error: EngineError };

export interface AvatarTurn {
  /** Queues agent audio (bounded; on overflow the avatar gives up this turn, the voice is untouched). */
  push(pcm: Int16Array): void;
  /** No more audio in this turn. */
  end(): void;
  /** Names, then frames as they arrive. Ends normally on completion, abort, skip or failure. */
  events(): AsyncIterable<AvatarEvent>;
  /** Settles (never rejects) once the turn is over. */
  readonly done: Promise<AvatarTurnResult>;
}

export interface AvatarEngine extends Engine {
  readonly component: 'avatar';
  startTurn(opts: AvatarTurnOptions): AvatarTurn;
}
