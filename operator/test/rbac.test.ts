import { jest } from '@jest/globals';
import type { KubeClient } from '../kube/client.js';
import { KINDS, resourcePath } from '../kube/kinds.js';
import {
  createCr,
  deleteNamespace,
  DEV,
  getCr,
  kubectl,
  list,
  NO_NODE,
  openTestNamespace,
  patchSpec,
  serviceAccountKubeconfig,
  sharedKubeconfig,
  startTestOperator,
  uniqueName,
  waitFor,
  waitForCondition,
  type TestOperator,
} from './harness.js';

jest.setTimeout(180_000);

const kubeconfig = sharedKubeconfig();
const ns = uniqueName('gad-rbac');
const SA = 'system:serviceaccount:goassist-system:goassist-operator';
let client: KubeClient;
let op: TestOperator;

beforeAll(async () => {
  client = await openTestNamespace(kubeconfig, ns);
  await kubectl(kubeconfig, ['apply', '-f', 'config/manager/namespace.yaml']);
  await kubectl(kubeconfig, ['apply', '-k', 'config/rbac']);
  const saKubeconfig = await serviceAccountKubeconfig(kubeconfig, 'goassist-system', 'goassist-operator');
  op = await startTestOperator({
    kubeconfig: saKubeconfig,
    namespace: ns,
    leaderElection: true,
    leaseNamespace: 'goassist-system',
    leaseName: ns,
    identity: 'rbac-op',
  });
});

afterAll(async () => {
  await op?.stop();
  await deleteNamespace(client, ns);
  await client?.request('DELETE', resourcePath(KINDS.Lease, 'goassist-system', ns)).catch(() => undefined);
  client?.close();
});

async function forbidden(): Promise<number> {
  const m = await op.metrics.apiRequests.get();
  return m.values.filter((v) => v.labels.code === '403').reduce((a, v) => a + v.value, 0);
}

describe('config/rbac is enough, and no more than needed', () => {
  it('runs the whole lifecycle as the goassist-operator ServiceAccount without a single 403', async () => {
    await waitFor('leadership with the ServiceAccount', () => op.isLeader(), 30_000);
    await createCr(client, ns, 'voice', {
      image: 'ghcr.io/goassist/goassist:0.1.0',
      replicas: 0,
      nodeSelector: NO_NODE,
      runtime: DEV,
      ingress: { host: 'rbac.test.local', tls: { clusterIssuer: 'letsencrypt' } },
    });
    await createCr(client, ns, 'scaled', {
      image: 'ghcr.io/goassist/goassist:0.1.0',
      nodeSelector: NO_NODE,
      runtime: DEV,
      autoscaling: { minReplicas: 1, maxReplicas: 3 },
    });
    await createCr(client, ns, 'invalid', {
      image: 'ghcr.io/goassist/goassist:0.1.0',
      runtime: DEV,
      resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } },
    });
    const first = (await waitForCondition(client, ns, 'voice', 'Ready', 'True')).status!.stableRevision!;
    await waitFor(
      'HPA created',
      async () => (await list(client, 'HorizontalPodAutoscaler', ns)).length === 1,
    );
    await waitForCondition(client, ns, 'invalid', 'Ready', 'False');
    await patchSpec(client, ns, 'voice', { image: 'ghcr.io/goassist/goassist:0.2.0' });
    await waitFor('promotion (needs delete)', async () => {
      const c = await getCr(client, ns, 'voice');
      const deployments = (await list(client, 'Deployment', ns)).map((d) => d.metadata.name);
      return c.status?.stableRevision !== first && !deployments.includes(`voice-${first}`);
    });
    await client.request('DELETE', resourcePath(KINDS.Ingress, ns, 'voice'));
    await waitFor('Ingress recreated', () =>
      client.request('GET', resourcePath(KINDS.Ingress, ns, 'voice')).then(() => true),
    );
    const events = (await list<{ reportingController?: string; reason: string }>(client, 'Event', ns)).filter(
      (e) => e.reportingController === 'goassist.io/operator',
    );
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Ready', 'RevisionPromoted', 'InvalidSpec']),
    );
    expect(await forbidden()).toBe(0);
  });

  it.each([
    ['list', 'deployments.apps', '--all-namespaces', 'yes'],
    ['patch', 'goassistdeployments.goassist.io', '-n=default --subresource=status', 'yes'],
    ['create', 'events.events.k8s.io', '-n=default', 'yes'],
    ['update', 'leases.coordination.k8s.io', '-n=goassist-system', 'yes'],
    ['get', 'secrets', '-n=default', 'no'],
    ['list', 'pods', '--all-namespaces', 'no'],
    ['update', 'goassistdeployments.goassist.io', '-n=default', 'no'],
    ['delete', 'goassistdeployments.goassist.io', '-n=default', 'no'],
    ['update', 'leases.coordination.k8s.io', '-n=default', 'no'],
    ['create', 'clusterroles.rbac.authorization.k8s.io', '', 'no'],
  ])('can-i %s %s %s: %s', async (verb, resource, scope, expected) => {
    const args = ['auth', 'can-i', verb, resource, `--as=${SA}`];
    if (scope) args.push(...scope.split(' '));
    const out = await kubectl(kubeconfig, args).catch((err: { stdout?: string }) => err.stdout ?? '');
    expect(out.trim()).toBe(expected);
  });
});
