import { getCondition, isTrue, setCondition, setConditions } from './conditions.js';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-01T00:05:00.000Z');

describe('conditions', () => {
  it('stamps generation and a second-precision transition time', () => {
    const list = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Available', message: 'ok' },
      3,
      t0,
    );
    expect(list).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Available',
        message: 'ok',
        observedGeneration: 3,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('keeps lastTransitionTime when nothing but the generation changes', () => {
    const a = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Available', message: 'ok' },
      1,
      t0,
    );
    const b = setCondition(a, { type: 'Ready', status: 'True', reason: 'Available', message: 'ok' }, 2, t1);
    expect(b[0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(b[0]!.observedGeneration).toBe(2);
  });

  it.each([
    ['status', { status: 'False' as const, reason: 'Available' as const, message: 'ok' }],
    ['reason', { status: 'True' as const, reason: 'ScaledToZero' as const, message: 'ok' }],
    ['message', { status: 'True' as const, reason: 'Available' as const, message: 'other' }],
  ])('moves lastTransitionTime when %s changes', (_what, change) => {
    const a = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Available', message: 'ok' },
      1,
      t0,
    );
    const b = setCondition(a, { type: 'Ready', ...change }, 1, t1);
    expect(b[0]!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  });

  it('never mutates its input, orders Ready, Progressing, Degraded, and trims long messages', () => {
    const a = setCondition(
      undefined,
      { type: 'Degraded', status: 'False', reason: 'Healthy', message: 'x' },
      1,
      t0,
    );
    const frozen = structuredClone(a);
    const b = setConditions(
      a,
      [
        { type: 'Progressing', status: 'False', reason: 'Stable', message: 'y' },
        { type: 'Ready', status: 'True', reason: 'Available', message: 'z'.repeat(5000) },
      ],
      1,
      t0,
    );
    expect(a).toEqual(frozen);
    expect(b.map((c) => c.type)).toEqual(['Ready', 'Progressing', 'Degraded']);
    expect(getCondition(b, 'Ready')!.message.length).toBeLessThanOrEqual(1024);
    expect(isTrue(b, 'Ready')).toBe(true);
    expect(getCondition(undefined, 'Ready')).toBeUndefined();
  });
});
