/** Where a kind lives in the API (the operator only talks to these). */
export interface KindRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export const KINDS = {
  GoAssistDeployment: {
    group: 'goassist.io',
    version: 'v1alpha1',
    plural: 'goassistdeployments',
    kind: 'GoAssistDeployment',
  },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  Service: { group: '', version: 'v1', plural: 'services', kind: 'Service' },
  HorizontalPodAutoscaler: {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
  },
  PodDisruptionBudget: {
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
  },
  Ingress: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress' },
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', kind: 'HTTPRoute' },
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' },
  Event: { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event' },
} as const satisfies Record<string, KindRef>;

export type KindName = keyof typeof KINDS;

export function apiVersionOf(ref: KindRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

export function kindByName(kind: string): KindRef | undefined {
  return (Object.values(KINDS) as KindRef[]).find((k) => k.kind === kind);
}

/** REST path of a collection or object: `/apis/apps/v1/namespaces/ns/deployments/name/status`. */
export function resourcePath(ref: KindRef, namespace?: string, name?: string, subresource?: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  let path = namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${ref.plural}`
    : `${base}/${ref.plural}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}
