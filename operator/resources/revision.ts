import { createHash } from 'node:crypto';
import type { GoAssistDeploymentSpec } from '../api/schema.js';

/** Hex characters of the revision hash; `<name>-<hash>` must fit a 63-character Service name. */
export const REVISION_HASH_LENGTH = 10;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** The part of the spec that changes what a pod runs; a change here is a new revision. */
export function podAffectingSpec(spec: GoAssistDeploymentSpec): unknown {
  return {
    image: spec.image,
    imagePullPolicy: spec.imagePullPolicy,
    runtime: spec.runtime,
    resources: spec.resources,
    nodeSelector: spec.nodeSelector,
    tolerations: spec.tolerations,
  };
}

/** Revision name: a hash of the pod-affecting spec (ARCHITECTURE.md "Revisions"). */
export function revisionHash(spec: GoAssistDeploymentSpec): string {
  const json = JSON.stringify(canonical(podAffectingSpec(spec)));
  return createHash('sha256').update(json).digest('hex').slice(0, REVISION_HASH_LENGTH);
}
