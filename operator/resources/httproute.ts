import { RUNTIME_DEFAULT_PORT } from '../../contract/runtime-env.js';
import type { ValidGoAssistDeployment } from '../api/types.js';
import { commonLabels } from './labels.js';
import { childMeta } from './owner.js';
import type { KubeObject } from './types.js';

export const HTTPROUTE_API_VERSION = 'gateway.networking.k8s.io/v1';

/** The Gateway API HTTPRoute in front of the stable Service (trafficRouter gatewayAPI). */
export function buildHttpRoute(cr: ValidGoAssistDeployment): KubeObject | undefined {
  const ing = cr.spec.ingress;
  const gw = cr.spec.rollout.gateway;
  if (cr.spec.rollout.trafficRouter !== 'gatewayAPI' || !ing || !gw) return undefined;
  const name = cr.metadata.name;
  return {
    apiVersion: HTTPROUTE_API_VERSION,
    kind: 'HTTPRoute',
    metadata: childMeta(cr, name, commonLabels(name)),
    spec: {
      parentRefs: gw.parentRefs.map((p) => ({ ...p })),
      hostnames: [ing.host],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: ing.path } }],
          backendRefs: [{ name, port: RUNTIME_DEFAULT_PORT }],
        },
      ],
    },
  };
}
