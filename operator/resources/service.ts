import type { V1Service } from '@kubernetes/client-node';
import { RUNTIME_DEFAULT_PORT } from '../../contract/runtime-env.js';
import type { ValidGoAssistDeployment } from '../api/types.js';
import { PORT_NAME } from './deployment.js';
import { commonLabels, revisionLabels, revisionObjectName, revisionSelector } from './labels.js';
import { childMeta } from './owner.js';

function service(
  cr: ValidGoAssistDeployment,
  name: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(cr, name, labels),
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [
        {
          name: PORT_NAME,
          port: RUNTIME_DEFAULT_PORT,
          targetPort: PORT_NAME,
          protocol: 'TCP',
          appProtocol: 'http',
        },
      ],
    },
  };
}

/** The Service of one revision (rollouts and analysis address a revision through it). */
export function buildRevisionService(cr: ValidGoAssistDeployment, revision: string): V1Service {
  const name = cr.metadata.name;
  return service(
    cr,
    revisionObjectName(name, revision),
    revisionLabels(name, revision),
    revisionSelector(name, revision),
  );
}

/** The stable Service `<name>`: selects the stable revision's pods; the Ingress points at it. */
export function buildStableService(cr: ValidGoAssistDeployment, stableRevision: string): V1Service {
  const name = cr.metadata.name;
  return service(cr, name, commonLabels(name), revisionSelector(name, stableRevision));
}
