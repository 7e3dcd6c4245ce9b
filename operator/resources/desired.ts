import type { ValidGoAssistDeployment } from '../api/types.js';
import { buildDeployment } from './deployment.js';
import { buildHpa } from './hpa.js';
import { buildHttpRoute } from './httproute.js';
import { buildIngress } from './ingress.js';
import { buildPdb } from './pdb.js';
import { buildRevisionService, buildStableService } from './service.js';
import type { KubeObject } from './types.js';

/** Every object one revision runs on: Deployment, Service, PDB and (with autoscaling) HPA. */
export function revisionObjects(cr: ValidGoAssistDeployment, revision: string): KubeObject[] {
  const objects = [
    buildDeployment(cr, revision),
    buildRevisionService(cr, revision),
    buildPdb(cr, revision),
  ] as KubeObject[];
  const hpa = buildHpa(cr, revision);
  if (hpa) objects.push(hpa as KubeObject);
  return objects;
}

/** The objects fronting the stable revision: the stable Service and the Ingress or HTTPRoute. */
export function frontObjects(cr: ValidGoAssistDeployment, stableRevision: string): KubeObject[] {
  const objects = [buildStableService(cr, stableRevision)] as KubeObject[];
  const ingress = buildIngress(cr);
  if (ingress) objects.push(ingress as KubeObject);
  const route = buildHttpRoute(cr);
  if (route) objects.push(route);
  return objects;
}
