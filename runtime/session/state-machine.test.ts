import { IllegalTransitionError } from '../errors.js';
import type { SessionState } from './conversation.js';
import { SessionStateMachine, TRANSITIONS, canTransition } from './state-machine.js';

const STATES: SessionState[] = ['idle', 'listening', 'thinking', 'speaking', 'interrupted', 'ended'];

function machineIn(path: SessionState[]): SessionStateMachine {
  const m = new SessionStateMachine();
  for (const s of path) m.transition(s);
  return m;
}

const PATH_TO: Record<SessionState, SessionState[]> = {
  idle: [],
  listening: ['listening'],
  thinking: ['listening', 'thinking'],
  speaking: ['listening', 'thinking', 'speaking'],
  interrupted: ['listening', 'thinking', 'speaking', 'interrupted'],
  ended: ['ended'],
};

describe('session state machine', () => {
  it('starts idle and walks the main loop', () => {
    const m = new SessionStateMachine();
    expect(m.state).toBe('idle');
    for (const s of ['listening', 'thinking', 'speaking', 'interrupted', 'listening'] as const) {
      expect(m.transition(s)).toBe(true);
      expect(m.state).toBe(s);
    }
  });

  it('treats the same state again as a no-op', () => {
    const m = machineIn(['listening']);
    expect(m.transition('listening')).toBe(false);
    expect(m.state).toBe('listening');
  });

  describe.each(STATES)('from %s', (from) => {
    it.each(STATES.filter((to) => to !== from))('to %s follows the table', (to) => {
      const m = machineIn(PATH_TO[from]);
      expect(m.state).toBe(from);
      if (canTransition(from, to)) {
        m.transition(to);
        expect(m.state).toBe(to);
      } else {
        expect(() => m.transition(to)).toThrow(IllegalTransitionError);
        expect(m.state).toBe(from); // a refused transition changes nothing
      }
    });
  });

  it('rejects the illegal jumps a buggy pipeline could make', () => {
    expect(() => machineIn([]).transition('speaking')).toThrow(
      'illegal session state transition idle -> speaking',
    );
    expect(() => machineIn(['listening']).transition('speaking')).toThrow(IllegalTransitionError);
    expect(() => machineIn(['listening']).transition('interrupted')).toThrow(IllegalTransitionError);
    expect(() => machineIn(['ended']).transition('listening')).toThrow(IllegalTransitionError);
    expect(() => machineIn(['ended']).transition('ended')).toThrow(IllegalTransitionError);
  });

  it('lets every live state end, and nothing leave ended', () => {
    for (const s of STATES.filter((x) => x !== 'ended')) expect(TRANSITIONS[s]).toContain('ended');
    expect(TRANSITIONS.ended).toEqual([]);
  });
});
