import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { ValidGoAssistDeployment } from '../api/types.js';
import { revisionLabels, revisionObjectName, revisionSelector } from './labels.js';
import { childMeta } from './owner.js';

/** One voluntary disruption at a time per revision; draining pods keep their sessions until the deadline. */
export function buildPdb(cr: ValidGoAssistDeployment, revision: string): V1PodDisruptionBudget {
  const name = cr.metadata.name;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMeta(cr, revisionObjectName(name, revision), revisionLabels(name, revision)),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: revisionSelector(name, revision) },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
