import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { GoAssistDeploymentSpec, GoAssistDeploymentStatus } from './schema.js';

/** A GoAssistDeployment as read from the API server (spec not yet parsed). */
export interface GoAssistDeployment {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: unknown;
  status?: GoAssistDeploymentStatus;
}

/** A GoAssistDeployment whose spec passed validation, with every default filled in. */
export interface ValidGoAssistDeployment extends Omit<GoAssistDeployment, 'spec'> {
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string };
  spec: GoAssistDeploymentSpec;
}
