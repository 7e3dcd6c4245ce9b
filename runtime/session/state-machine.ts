import { IllegalTransitionError } from '../errors.js';
import type { SessionState } from './conversation.js';

/**
 * Allowed transitions. The main loop is idle -> listening -> thinking -> speaking -> interrupted ->
 * listening; besides it: a turn that ends normally goes back to listening, a barge-in may hit while
 * thinking, a false interruption resumes speaking, a detached socket returns to idle, and any state
 * may end. Nothing leaves `ended`.
 */
export const TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  idle: ['listening', 'ended'],
  listening: ['thinking', 'idle', 'ended'],
  thinking: ['speaking', 'listening', 'interrupted', 'idle', 'ended'],
  speaking: ['listening', 'interrupted', 'idle', 'ended'],
  interrupted: ['listening', 'thinking', 'speaking', 'idle', 'ended'],
  ended: [],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class SessionStateMachine {
  #state: SessionState = 'idle';

  get state(): SessionState {
    return this.#state;
  }

  /** Moves to `to`; the same state again is a no-op. Throws IllegalTransitionError otherwise. */
  transition(to: SessionState): boolean {
    if (to === this.#state && to !== 'ended') return false;
    if (!canTransition(this.#state, to)) throw new IllegalTransitionError(this.#state, to);
    this.#state = to;
    return true;
  }
}
