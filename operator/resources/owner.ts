import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../api/names.js';
import type { ValidGoAssistDeployment } from '../api/types.js';

export function ownerReference(cr: ValidGoAssistDeployment): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: cr.metadata.name,
    uid: cr.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function childMeta(
  cr: ValidGoAssistDeployment,
  name: string,
  labels: Record<string, string>,
  annotations?: Record<string, string>,
): V1ObjectMeta {
  const meta: V1ObjectMeta = {
    name,
    namespace: cr.metadata.namespace,
    labels,
    ownerReferences: [ownerReference(cr)],
  };
  if (annotations && Object.keys(annotations).length) meta.annotations = annotations;
  return meta;
}
