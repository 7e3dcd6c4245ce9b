import type { V1Ingress } from '@kubernetes/client-node';
import type { ValidGoAssistDeployment } from '../api/types.js';
import { PORT_NAME } from './deployment.js';
import { commonLabels } from './labels.js';
import { childMeta } from './owner.js';

export const AFFINITY_COOKIE = 'goassist-affinity';
/** WebSocket sessions last far longer than ingress-nginx's 60 s proxy default. */
export const STREAM_TIMEOUT_SECONDS = 3600;

/** Annotations: cookie affinity keeps a session's REST calls and its WebSocket on one pod (ingress-nginx). */
export function ingressAnnotations(cr: ValidGoAssistDeployment): Record<string, string> {
  const ing = cr.spec.ingress!;
  const a: Record<string, string> = {
    'nginx.ingress.kubernetes.io/affinity': 'cookie',
    'nginx.ingress.kubernetes.io/affinity-mode': 'persistent',
    'nginx.ingress.kubernetes.io/session-cookie-name': AFFINITY_COOKIE,
    'nginx.ingress.kubernetes.io/session-cookie-path': ing.path,
    'nginx.ingress.kubernetes.io/session-cookie-samesite': 'Lax',
    'nginx.ingress.kubernetes.io/session-cookie-secure': ing.tls ? 'true' : 'false',
    'nginx.ingress.kubernetes.io/proxy-read-timeout': String(STREAM_TIMEOUT_SECONDS),
    'nginx.ingress.kubernetes.io/proxy-send-timeout': String(STREAM_TIMEOUT_SECONDS),
  };
  if (ing.tls?.clusterIssuer) a['cert-manager.io/cluster-issuer'] = ing.tls.clusterIssuer;
  if (ing.tls?.issuer) a['cert-manager.io/issuer'] = ing.tls.issuer;
  return a;
}

export function tlsSecretName(cr: ValidGoAssistDeployment): string | undefined {
  const tls = cr.spec.ingress?.tls;
  if (!tls) return undefined;
  return tls.secretName ?? `${cr.metadata.name}-tls`;
}

/** The Ingress in front of the stable Service, or undefined without spec.ingress or with Gateway API. */
export function buildIngress(cr: ValidGoAssistDeployment): V1Ingress | undefined {
  const ing = cr.spec.ingress;
  if (!ing || cr.spec.rollout.trafficRouter !== 'nginx') return undefined;
  const name = cr.metadata.name;
  const ingress: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: childMeta(cr, name, commonLabels(name), ingressAnnotations(cr)),
    spec: {
      rules: [
        {
          host: ing.host,
          http: {
            paths: [
              {
                path: ing.path,
                pathType: 'Prefix',
                backend: { service: { name, port: { name: PORT_NAME } } },
              },
            ],
          },
        },
      ],
    },
  };
  if (ing.className) ingress.spec!.ingressClassName = ing.className;
  const secretName = tlsSecretName(cr);
  if (secretName) ingress.spec!.tls = [{ hosts: [ing.host], secretName }];
  return ingress;
}
