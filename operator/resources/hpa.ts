import type { V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import { METRIC } from '../../contract/metrics.js';
import type { ValidGoAssistDeployment } from '../api/types.js';
import { revisionLabels, revisionObjectName } from './labels.js';
import { childMeta } from './owner.js';

/**
 * The HPA of one revision, or undefined without autoscaling. CPU utilisation always; the average of
 * goassist_active_sessions per pod as a Pods metric when targetActiveSessionsPerPod is set, which needs a
 * custom metrics adapter (prometheus-adapter or similar) to serve that metric (docs/operator.md).
 */
export function buildHpa(
  cr: ValidGoAssistDeployment,
  revision: string,
): V2HorizontalPodAutoscaler | undefined {
  const as = cr.spec.autoscaling;
  if (!as) return undefined;
  const name = revisionObjectName(cr.metadata.name, revision);
  const metrics: V2MetricSpec[] = [
    {
      type: 'Resource',
      resource: {
        name: 'cpu',
        target: { type: 'Utilization', averageUtilization: as.targetCPUUtilizationPercentage },
      },
    },
  ];
  if (as.targetActiveSessionsPerPod !== undefined) {
    metrics.push({
      type: 'Pods',
      pods: {
        metric: { name: METRIC.activeSessions },
        target: { type: 'AverageValue', averageValue: String(as.targetActiveSessionsPerPod) },
      },
    });
  }
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMeta(cr, name, revisionLabels(cr.metadata.name, revision)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: as.minReplicas,
      maxReplicas: as.maxReplicas,
      metrics,
      // Sessions last minutes: scale down slowly so draining pods are not replaced by churn.
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
        },
      },
    },
  };
}
