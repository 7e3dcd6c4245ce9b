import { createHash } from 'node:crypto';
import type { GoAssistDeploymentSpec } from '../api/schema.js';
import { stableJson } from './stable-json.js';

/** Hex characters of the revision hash; `<name>-<hash>` must fit a 63-character Service name. */
export const REVISION_HASH_LENGTH = 10;

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
  const json = stableJson(podAffectingSpec(spec));
  return createHash('sha256').update(json).digest('hex').slice(0, REVISION_HASH_LENGTH);
}
