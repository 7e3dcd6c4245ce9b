import type { V1Deployment } from '@kubernetes/client-node';
import {
  computeStatus,
  deploymentFailing,
  deploymentReady,
  invalidStatus,
  type Observation,
} from './status.js';

const now = new Date('2026-01-01T00:00:00Z');
const dep = (
  replicas: number,
  ready: number,
  extra: Partial<NonNullable<V1Deployment['status']>> = {},
): V1Deployment => ({
  metadata: { generation: 2 },
  spec: { replicas, selector: {}, template: {} },
  status: {
    observedGeneration: 2,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: ready,
    availableReplicas: ready,
    ...extra,
  },
});
const base: Observation = {
  name: 'voice',
  generation: 3,
  paused: false,
  specRevision: 'r1',
  stableRevision: 'r1',
  desiredReplicas: 2,
  stable: dep(2, 2),
};
const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions!.find((c) => c.type === type)!;

describe('deployment readiness', () => {
  it('needs the current generation observed and every replica updated, ready and available', () => {
    expect(deploymentReady(dep(2, 2))).toBe(true);
    expect(deploymentReady(dep(2, 1))).toBe(false);
    expect(deploymentReady({ ...dep(2, 2), status: { ...dep(2, 2).status, observedGeneration: 1 } })).toBe(
      false,
    );
    expect(deploymentReady(dep(0, 0))).toBe(true);
    expect(deploymentReady(undefined)).toBe(false);
  });
  it('reports a stalled rollout', () => {
    expect(
      deploymentFailing(
        dep(2, 0, {
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'deadline exceeded',
            },
          ],
        }),
      ),
    ).toBe('deadline exceeded');
    expect(deploymentFailing(dep(2, 2))).toBeUndefined();
  });
});

describe('computeStatus', () => {
  it('is Ready with the stable revision, selector and replica counts', () => {
    const s = computeStatus(undefined, base, now);
    expect(s).toMatchObject({
      observedGeneration: 3,
      phase: 'Ready',
      stableRevision: 'r1',
      readyReplicas: 2,
      replicas: 2,
      canaryWeight: 0,
      selector: 'goassist.io/deployment=voice,goassist.io/revision=r1',
    });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'Available', observedGeneration: 3 });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'Stable' });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'False', reason: 'Healthy' });
    expect(s.canaryRevision).toBeUndefined();
  });

  it('is Progressing while a new revision comes up, Ready=False', () => {
    const s = computeStatus(
      undefined,
      { ...base, specRevision: 'r2', canaryRevision: 'r2', canary: dep(2, 1) },
      now,
    );
    expect(s.phase).toBe('Progressing');
    expect(s.canaryRevision).toBe('r2');
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewRevision' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'RevisionNotReady' });
  });

  it('is Degraded when a Deployment reports failure', () => {
    const s = computeStatus(
      undefined,
      {
        ...base,
        stable: dep(2, 1, {
          conditions: [
            { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota exceeded' },
          ],
        }),
      },
      now,
    );
    expect(s.phase).toBe('Degraded');
    expect(cond(s, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'PodsFailing',
      message: 'quota exceeded',
    });
  });

  it('is Paused when the spec asks for a revision that is held back', () => {
    const s = computeStatus(undefined, { ...base, paused: true, specRevision: 'r2' }, now);
    expect(s.phase).toBe('Paused');
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'Paused' });
  });

  it('keeps transition times and analysis results across passes', () => {
    const first = computeStatus(
      {
        lastAnalysis: {
          revision: 'r1',
          time: 't',
          verdict: 'pass',
          samples: { turns: 30, ttfa: 30, bargeIn: 3 },
        },
        ttfaP95Ms: 640,
      },
      base,
      now,
    );
    const second = computeStatus(first, { ...base, generation: 4 }, new Date('2026-01-01T01:00:00Z'));
    expect(cond(second, 'Ready').lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(second.lastAnalysis?.verdict).toBe('pass');
    expect(second.ttfaP95Ms).toBe(640);
  });
});

describe('invalidStatus', () => {
  it('names every problem and keeps what the status said about running revisions', () => {
    const s = invalidStatus(
      { stableRevision: 'r1', readyReplicas: 2 },
      5,
      [
        { field: 'spec.a', message: 'bad' },
        { field: 'spec.b', message: 'worse' },
      ],
      now,
    );
    expect(s).toMatchObject({
      phase: 'Invalid',
      observedGeneration: 5,
      stableRevision: 'r1',
      readyReplicas: 2,
      message: 'spec.a: bad; spec.b: worse',
    });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
  });
});
