import type { V1Deployment } from '@kubernetes/client-node';
import { LABEL_DEPLOYMENT, LABEL_REVISION } from '../api/names.js';
import type { Condition, GoAssistDeploymentStatus, Phase } from '../api/schema.js';
import type { SpecProblem } from '../api/validate.js';
import type { ConditionInput } from './conditions.js';
import { setConditions } from './conditions.js';

/** What a reconcile pass saw, enough to write the status (pure input). */
export interface Observation {
  name: string;
  generation: number;
  paused: boolean;
  /** The revision the spec asks for. */
  specRevision: string;
  stableRevision: string;
  /** A revision being brought up to replace the stable one, if any. */
  canaryRevision?: string;
  desiredReplicas: number;
  stable?: V1Deployment;
  canary?: V1Deployment;
}

/** A Deployment has rolled out its current spec and all wanted replicas are available. */
export function deploymentReady(d: V1Deployment | undefined): boolean {
  if (!d) return false;
  const want = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  if ((st.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return false;
  return (
    (st.updatedReplicas ?? 0) >= want &&
    (st.availableReplicas ?? 0) >= want &&
    (st.readyReplicas ?? 0) >= want
  );
}

/** A Deployment reports that it cannot make progress (deadline exceeded or pods that cannot be created). */
export function deploymentFailing(d: V1Deployment | undefined): string | undefined {
  for (const c of d?.status?.conditions ?? []) {
    if (c.type === 'Progressing' && c.status === 'False') return c.message ?? c.reason ?? 'rollout stalled';
    if (c.type === 'ReplicaFailure' && c.status === 'True') return c.message ?? c.reason ?? 'replica failure';
  }
  return undefined;
}

function readyCount(d: V1Deployment | undefined): string {
  return `${d?.status?.readyReplicas ?? 0}/${d?.spec?.replicas ?? 0}`;
}

export function selectorOf(name: string, revision: string): string {
  return `${LABEL_DEPLOYMENT}=${name},${LABEL_REVISION}=${revision}`;
}

/** Status of a healthy or progressing GoAssistDeployment, built in one piece (written once per pass). */
export function computeStatus(
  prev: GoAssistDeploymentStatus | undefined,
  o: Observation,
  now: Date,
): GoAssistDeploymentStatus {
  const stableReady = deploymentReady(o.stable);
  const failing = deploymentFailing(o.canary) ?? deploymentFailing(o.stable);
  const conds: ConditionInput[] = [];
  let phase: Phase;
  let message: string;

  if (o.canaryRevision) {
    message = `rolling out revision ${o.canaryRevision}: ${readyCount(o.canary)} replicas ready; revision ${o.stableRevision} keeps serving until then`;
    conds.push({ type: 'Progressing', status: 'True', reason: 'NewRevision', message });
    conds.push(
      stableReady
        ? {
            type: 'Ready',
            status: 'False',
            reason: 'RevisionNotReady',
            message: `revision ${o.canaryRevision} is not ready yet (${readyCount(o.canary)})`,
          }
        : {
            type: 'Ready',
            status: 'False',
            reason: 'ReplicasNotReady',
            message: `revision ${o.stableRevision} has ${readyCount(o.stable)} replicas ready`,
          },
    );
    phase = 'Progressing';
  } else {
    const scaledToZero = o.desiredReplicas === 0;
    if (stableReady) {
      message = scaledToZero
        ? `revision ${o.stableRevision} is scaled to zero`
        : `revision ${o.stableRevision} is running with ${readyCount(o.stable)} replicas ready`;
      conds.push({
        type: 'Ready',
        status: 'True',
        reason: scaledToZero ? 'ScaledToZero' : 'Available',
        message,
      });
      phase = 'Ready';
    } else {
      message = `revision ${o.stableRevision} has ${readyCount(o.stable)} replicas ready`;
      conds.push({ type: 'Ready', status: 'False', reason: 'ReplicasNotReady', message });
      phase = o.stable?.status?.readyReplicas ? 'Degraded' : 'Pending';
    }
    if (o.paused && o.specRevision !== o.stableRevision) {
      const pausedMsg = `paused: the spec's revision ${o.specRevision} is not started while spec.paused is true`;
      conds.push({ type: 'Progressing', status: 'False', reason: 'Paused', message: pausedMsg });
      message = `${message}; ${pausedMsg}`;
      phase = 'Paused';
    } else {
      conds.push({
        type: 'Progressing',
        status: 'False',
        reason: 'Stable',
        message: `revision ${o.stableRevision} is the current revision`,
      });
    }
  }
  if (failing) {
    conds.push({ type: 'Degraded', status: 'True', reason: 'PodsFailing', message: failing });
    if (phase !== 'Paused') phase = 'Degraded';
  } else {
    conds.push({ type: 'Degraded', status: 'False', reason: 'Healthy', message: 'no failures reported' });
  }
  const status: GoAssistDeploymentStatus = {
    observedGeneration: o.generation,
    phase,
    conditions: setConditions(prev?.conditions, conds, o.generation, now),
    stableRevision: o.stableRevision,
    canaryWeight: 0,
    replicas: o.stable?.status?.replicas ?? 0,
    readyReplicas: o.stable?.status?.readyReplicas ?? 0,
    selector: selectorOf(o.name, o.stableRevision),
    message,
  };
  if (o.canaryRevision) status.canaryRevision = o.canaryRevision;
  // Analysis results belong to the progressive-delivery work; keep what it wrote.
  if (prev?.lastAnalysis) status.lastAnalysis = prev.lastAnalysis;
  if (prev?.ttfaP95Ms !== undefined) status.ttfaP95Ms = prev.ttfaP95Ms;
  return status;
}

/** Status of a GoAssistDeployment whose spec cannot be acted on; running children are left alone. */
export function invalidStatus(
  prev: GoAssistDeploymentStatus | undefined,
  generation: number,
  problems: readonly SpecProblem[],
  now: Date,
  reason: 'InvalidSpec' = 'InvalidSpec',
): GoAssistDeploymentStatus {
  const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  const conditions: Condition[] = setConditions(
    prev?.conditions,
    [
      { type: 'Ready', status: 'False', reason, message },
      { type: 'Progressing', status: 'False', reason, message: 'waiting for a valid spec' },
      { type: 'Degraded', status: 'True', reason, message },
    ],
    generation,
    now,
  );
  const status: GoAssistDeploymentStatus = {
    ...prev,
    observedGeneration: generation,
    phase: 'Invalid',
    conditions,
    message,
  };
  return status;
}
