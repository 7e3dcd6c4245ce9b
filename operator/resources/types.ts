import type { V1ObjectMeta } from '@kubernetes/client-node';

/** Any Kubernetes object with the fields the operator relies on. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  [field: string]: unknown;
}
