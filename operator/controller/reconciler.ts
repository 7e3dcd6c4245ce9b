import type { V1Deployment } from '@kubernetes/client-node';
import { LABEL_REVISION } from '../api/names.js';
import type { GoAssistDeploymentStatus } from '../api/schema.js';
import type { GoAssistDeployment, ValidGoAssistDeployment } from '../api/types.js';
import { validateSpec } from '../api/validate.js';
import type { SpecProblem } from '../api/validate.js';
import { applyObject, deleteObject, patchStatus } from '../kube/apply.js';
import type { KubeClient } from '../kube/client.js';
import type { EventInput, EventTarget } from '../kube/events.js';
import { KINDS, kindByName } from '../kube/kinds.js';
import { desiredReplicas } from '../resources/deployment.js';
import { frontObjects, revisionObjects } from '../resources/desired.js';
import { revisionObjectName } from '../resources/labels.js';
import { revisionHash } from '../resources/revision.js';
import type { KubeObject } from '../resources/types.js';
import { DESIRED_HASH_ANNOTATION, deepEqual, hashOf, isSubset } from './compare.js';
import { getCondition, transitioned } from './conditions.js';
import { computeStatus, deploymentReady, invalidStatus } from './status.js';

/** Kinds a GoAssistDeployment owns. */
export const CHILD_KINDS = [
  'Deployment',
  'Service',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Ingress',
  'HTTPRoute',
] as const;
export type ChildKind = (typeof CHILD_KINDS)[number];

/** The world as the informer caches see it. */
export interface World {
  cr(namespace: string, name: string): GoAssistDeployment | undefined;
  /** Children of a kind in the namespace whose controller owner is the CR with this uid. */
  owned(kind: ChildKind, namespace: string, ownerUid: string): KubeObject[];
  /** Whether the Gateway API (HTTPRoute) is served and watched; a false answer may trigger a new look. */
  gatewayApiAvailable(): boolean;
}

export interface ReconcilerDeps {
  client: KubeClient;
  world: World;
  recordEvent: (target: EventTarget, event: EventInput) => Promise<void>;
  now?: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

/** How soon a resource waiting for an API the cluster does not serve yet is looked at again. */
export const MISSING_API_RECHECK_MS = 30_000;

/** Counts of API writes one pass made (for metrics and tests). */
export interface PassStats {
  applied: number;
  deleted: number;
  statusWritten: boolean;
}

const childKey = (o: KubeObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;

function rvNumber(o: KubeObject | undefined): bigint {
  try {
    return BigInt(o?.metadata.resourceVersion ?? '0');
  } catch {
    return 0n;
  }
}

/**
 * One pass over one GoAssistDeployment: validate, choose revisions, apply the children that differ,
 * delete the ones no longer wanted, write status once. Every decision comes from the CR, its status and
 * the caches; nothing is remembered between passes except the objects this process itself just wrote
 * (so a pass that runs before the watch delivers them does not write them again).
 */
export class Reconciler {
  private readonly lastWritten = new Map<string, KubeObject>();
  private readonly now: () => Date;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The informer saw a child deleted: forget what we wrote so it is recreated. */
  forget(obj: KubeObject): void {
    this.lastWritten.delete(childKey(obj));
  }

  async reconcile(namespace: string, name: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const stats: PassStats = { applied: 0, deleted: 0, statusWritten: false };
    const cr = this.deps.world.cr(namespace, name);
    if (!cr || cr.metadata.deletionTimestamp) return {};
    const generation = cr.metadata.generation ?? 0;

    const validation = validateSpec(cr.spec);
    const problems: SpecProblem[] = validation.ok ? [] : validation.problems;
    const missingGatewayApi =
      validation.ok &&
      validation.spec.rollout.trafficRouter === 'gatewayAPI' &&
      !this.deps.world.gatewayApiAvailable();
    if (missingGatewayApi) {
      problems.push({
        field: 'spec.rollout.trafficRouter',
        message:
          'gatewayAPI is not served by this cluster (the HTTPRoute CRD gateway.networking.k8s.io/v1 is not installed)',
      });
    }
    if (!validation.ok || problems.length) {
      await this.writeStatus(cr, invalidStatus(cr.status, generation, problems, this.now()), stats, signal);
      // A missing API may be installed later; a spec error waits for a spec change.
      return missingGatewayApi ? { requeueAfterMs: MISSING_API_RECHECK_MS } : {};
    }
    const vcr = { ...cr, spec: validation.spec } as ValidGoAssistDeployment;
    const uid = vcr.metadata.uid;
    const owned = (kind: ChildKind) => this.deps.world.owned(kind, namespace, uid);

    const specRevision = revisionHash(vcr.spec);
    const deployments = new Map(
      owned('Deployment').map((d) => [
        d.metadata.labels?.[LABEL_REVISION] ?? '',
        d as V1Deployment & KubeObject,
      ]),
    );
    const recorded = vcr.status?.stableRevision;
    let stable = recorded && deployments.has(recorded) ? recorded : undefined;
    const target = vcr.spec.paused ? (stable ?? specRevision) : specRevision;
    stable ??= target;

    // Apply each kept revision's objects; a pending revision replaces the stable one once it is ready.
    const observed = new Map<string, KubeObject>();
    const desired: KubeObject[] = [];
    for (const rev of new Set([stable, target])) desired.push(...revisionObjects(vcr, rev));
    // Independent objects: applied concurrently so one pass costs one round trip, not four.
    await Promise.all(
      desired.map(async (obj) => observed.set(childKey(obj), await this.ensure(obj, stats, signal))),
    );
    const deploymentOf = (rev: string) =>
      observed.get(`Deployment/${namespace}/${revisionObjectName(name, rev)}`) as V1Deployment | undefined;
    const promoted = target !== stable && deploymentReady(deploymentOf(target));
    const previousStable = stable;
    if (promoted) stable = target;

    const front = frontObjects(vcr, stable);
    desired.push(...front);
    await Promise.all(front.map((obj) => this.ensure(obj, stats, signal)));
    // Old revisions go only once the front objects point at the new one.
    const keep = promoted
      ? desired.filter((o) => o.metadata.labels?.[LABEL_REVISION] !== previousStable)
      : desired;
    const wanted = new Set(keep.map(childKey));
    for (const kind of CHILD_KINDS) {
      if (kind === 'HTTPRoute' && !this.deps.world.gatewayApiAvailable()) continue;
      for (const child of owned(kind)) {
        if (wanted.has(childKey(child))) continue;
        await deleteObject(this.deps.client, kindByName(kind)!, namespace, child.metadata.name!, {
          uid: child.metadata.uid,
          signal,
        });
        this.lastWritten.delete(childKey(child));
        stats.deleted++;
      }
    }

    const canary = target !== stable ? target : undefined;
    const status = computeStatus(
      vcr.status,
      {
        name,
        generation,
        paused: vcr.spec.paused,
        specRevision,
        stableRevision: stable,
        canaryRevision: canary,
        desiredReplicas: desiredReplicas(vcr.spec),
        stable: deploymentOf(stable),
        canary: canary ? deploymentOf(canary) : undefined,
      },
      this.now(),
    );
    await this.writeStatus(vcr, status, stats, signal, {
      previousStable: recorded,
      promoted: promoted ? target : undefined,
      started: canary,
    });
    if (stats.applied || stats.deleted || stats.statusWritten) {
      this.deps.log?.('reconciled', { namespace, name, ...stats });
    }
    return {};
  }

  /** Applies `obj` unless the live object (cache, or what this process last wrote) already matches it. */
  private async ensure(obj: KubeObject, stats: PassStats, signal?: AbortSignal): Promise<KubeObject> {
    const key = childKey(obj);
    const hash = hashOf(obj);
    const withHash: KubeObject = {
      ...obj,
      metadata: {
        ...obj.metadata,
        annotations: { ...obj.metadata.annotations, [DESIRED_HASH_ANNOTATION]: hash },
      },
    };
    const cached = this.deps.world
      .owned(obj.kind as ChildKind, obj.metadata.namespace!, obj.metadata.ownerReferences![0]!.uid)
      .find((o) => o.metadata.name === obj.metadata.name);
    const written = this.lastWritten.get(key);
    const live = written && (!cached || rvNumber(written) > rvNumber(cached)) ? written : cached;
    if (live && live.metadata.annotations?.[DESIRED_HASH_ANNOTATION] === hash && isSubset(obj, live))
      return live;
    const result = await applyObject<KubeObject>(this.deps.client, withHash, signal);
    result.apiVersion ??= obj.apiVersion;
    result.kind ??= obj.kind;
    this.lastWritten.set(key, result);
    stats.applied++;
    this.deps.log?.('applied', {
      kind: obj.kind,
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      created: !live,
    });
    return result;
  }

  private async writeStatus(
    cr: GoAssistDeployment,
    status: GoAssistDeploymentStatus,
    stats: PassStats,
    signal: AbortSignal | undefined,
    transitions: { previousStable?: string; promoted?: string; started?: string } = {},
  ): Promise<void> {
    const prev = cr.status;
    if (deepEqual(prev ?? {}, status)) return;
    const ref = KINDS.GoAssistDeployment;
    await patchStatus(
      this.deps.client,
      ref,
      cr.metadata.namespace!,
      cr.metadata.name!,
      prev as Record<string, unknown> | undefined,
      status as Record<string, unknown>,
      signal,
    );
    stats.statusWritten = true;
    this.deps.log?.('status written', {
      namespace: cr.metadata.namespace,
      name: cr.metadata.name,
      phase: status.phase,
      observedGeneration: status.observedGeneration,
    });
    await this.announce(cr, prev, status, transitions);
  }

  /** Events for changes a person should hear about; each fires once per transition. */
  private async announce(
    cr: GoAssistDeployment,
    prev: GoAssistDeploymentStatus | undefined,
    next: GoAssistDeploymentStatus,
    t: { previousStable?: string; promoted?: string; started?: string },
  ): Promise<void> {
    const target = cr as EventTarget;
    const events: EventInput[] = [];
    const ready = getCondition(next.conditions, 'Ready');
    if (ready && transitioned(prev?.conditions, next.conditions ?? [], 'Ready')) {
      if (ready.reason === 'InvalidSpec')
        events.push({ type: 'Warning', reason: 'InvalidSpec', action: 'Validate', note: ready.message });
      else if (ready.status === 'True')
        events.push({ type: 'Normal', reason: 'Ready', action: 'Reconcile', note: ready.message });
    }
    if (t.started && prev?.canaryRevision !== t.started) {
      events.push({
        type: 'Normal',
        reason: 'NewRevision',
        action: 'Rollout',
        note: `started revision ${t.started} next to ${next.stableRevision}`,
      });
    }
    if (t.promoted) {
      events.push({
        type: 'Normal',
        reason: 'RevisionPromoted',
        action: 'Rollout',
        note: `revision ${t.promoted} replaced ${t.previousStable ?? 'nothing'}`,
      });
    }
    const degraded = getCondition(next.conditions, 'Degraded');
    if (
      degraded?.status === 'True' &&
      degraded.reason === 'PodsFailing' &&
      transitioned(prev?.conditions, next.conditions ?? [], 'Degraded')
    ) {
      events.push({ type: 'Warning', reason: 'PodsFailing', action: 'Reconcile', note: degraded.message });
    }
    for (const e of events) {
      try {
        await this.deps.recordEvent(target, e);
      } catch (err) {
        // An Event is a notification; failing to send one must not fail the pass (status already holds the truth).
        this.deps.log?.('event not recorded', { reason: e.reason, error: (err as Error).message });
      }
    }
  }
}
