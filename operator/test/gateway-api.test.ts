import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { startControlPlane } from '../../hack/controlplane/index.js';
import type { KubeClient } from '../kube/client.js';
import { KINDS, resourcePath } from '../kube/kinds.js';
import {
  condition,
  createCr,
  DEV,
  kubectl,
  list,
  NO_NODE,
  openTestNamespace,
  patchSpec,
  startTestOperator,
  waitFor,
  waitForCondition,
  type TestOperator,
} from './harness.js';

jest.setTimeout(300_000);

const run = promisify(execFile);
/** The Gateway API release whose standard-channel CRDs the test installs (from its Go module). */
const GATEWAY_API_MODULE = 'sigs.k8s.io/gateway-api@v1.4.0';

/** Path of the HTTPRoute CRD inside the Gateway API Go module (downloaded once into the Go module cache). */
async function httpRouteCrd(): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', GATEWAY_API_MODULE], {
    cwd: '/tmp',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const dir = (JSON.parse(stdout) as { Dir?: string; Error?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${GATEWAY_API_MODULE} gave no directory: ${stdout}`);
  return join(dir, 'config', 'crd', 'standard', 'gateway.networking.k8s.io_httproutes.yaml');
}

// Its own control plane: installing the Gateway API changes what every operator started later sees.
let cp: ControlPlane;
let client: KubeClient;
let op: TestOperator;
const ns = 'gateway';

const spec = {
  image: 'ghcr.io/goassist/goassist:0.1.0',
  replicas: 0,
  nodeSelector: NO_NODE,
  runtime: DEV,
  ingress: { host: 'voice.gateway.test' },
  rollout: {
    trafficRouter: 'gatewayAPI',
    gateway: { parentRefs: [{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }] },
  },
};

beforeAll(async () => {
  cp = await startControlPlane({ controllerManager: true, scheduler: false });
  client = await openTestNamespace(cp.kubeconfigPath, ns);
  op = await startTestOperator({ kubeconfig: cp.kubeconfigPath, namespace: ns });
});

afterAll(async () => {
  await op?.stop();
  client?.close();
  await cp?.stop();
});

interface HttpRoute {
  spec: {
    hostnames: string[];
    parentRefs: unknown[];
    rules: Array<{ backendRefs: Array<{ name: string; port: number }> }>;
  };
}

describe('trafficRouter gatewayAPI', () => {
  it('says Ready=False while the cluster does not serve the Gateway API', async () => {
    await createCr(client, ns, 'voice', spec);
    const cr = await waitForCondition(client, ns, 'voice', 'Ready', 'False');
    expect(condition(cr, 'Ready')!.message).toContain('gatewayAPI is not served by this cluster');
    expect(cr.status!.phase).toBe('Invalid');
  });

  it('routes through an HTTPRoute once the Gateway API is installed, without a restart', async () => {
    await kubectl(cp.kubeconfigPath, ['apply', '--server-side', '-f', await httpRouteCrd()]);
    await kubectl(cp.kubeconfigPath, [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/httproutes.gateway.networking.k8s.io',
    ]);
    // The operator looks again within its 30 s recheck.
    await waitForCondition(client, ns, 'voice', 'Ready', 'True', 90_000);
    const route = await client.request<HttpRoute>('GET', resourcePath(KINDS.HTTPRoute, ns, 'voice'));
    expect(route.spec.hostnames).toEqual(['voice.gateway.test']);
    expect(route.spec.parentRefs).toEqual([
      expect.objectContaining({ name: 'public', namespace: 'gateway-system', sectionName: 'https' }),
    ]);
    expect(route.spec.rules[0]!.backendRefs).toEqual([
      expect.objectContaining({ name: 'voice', port: 8000 }),
    ]);
    expect(await list(client, 'Ingress', ns)).toEqual([]);
  });

  it('switches to an Ingress and removes the HTTPRoute when the router changes to nginx', async () => {
    await patchSpec(client, ns, 'voice', { rollout: { trafficRouter: 'nginx', gateway: null } });
    await waitFor('Ingress instead of HTTPRoute', async () => {
      const ingresses = await list(client, 'Ingress', ns);
      const routes = await list(client, 'HTTPRoute', ns);
      return ingresses.length === 1 && routes.length === 0;
    });
  });
});
