import { jest } from '@jest/globals';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { startControlPlane } from '../../hack/controlplane/index.js';
import type { KubeClient } from '../kube/client.js';
import { KINDS, resourcePath } from '../kube/kinds.js';
import {
  createCr,
  createNamespace,
  DEV,
  NO_NODE,
  openTestNamespace,
  patchSpec,
  startTestOperator,
  waitFor,
  waitForCondition,
  waitForOnlyDeployment,
  waitForPromotion,
  type TestOperator,
} from './harness.js';

jest.setTimeout(300_000);

// Its own control plane: restarting the shared one would disturb every other test.
let cp: ControlPlane;
let client: KubeClient;
let op: TestOperator;
const ns = 'restart';

beforeAll(async () => {
  cp = await startControlPlane({ controllerManager: true, scheduler: false });
  client = await openTestNamespace(cp.kubeconfigPath, ns);
  // Cluster-wide (no WATCH_NAMESPACE): this control plane is ours alone.
  op = await startTestOperator({
    kubeconfig: cp.kubeconfigPath,
    namespace: undefined,
    leaseNamespace: ns,
    leaderElection: true,
    identity: 'restart-op',
  });
  await waitFor('leadership', () => op.isLeader());
});

afterAll(async () => {
  await op?.stop();
  client?.close();
  await cp?.stop();
});

describe('API server restart', () => {
  it('recovers its watches and leadership and goes on reconciling', async () => {
    await createCr(client, ns, 'voice', {
      image: 'ghcr.io/goassist/goassist:0.1.0',
      replicas: 0,
      nodeSelector: NO_NODE,
      runtime: DEV,
    });
    const first = (await waitForCondition(client, ns, 'voice', 'Ready', 'True')).status!.stableRevision!;
    const listsBefore = op.manager.crs.lists;

    await cp.restartApiserver();

    // The informers notice the broken watches and list again.
    await waitFor('CR informer relisted', () => op.manager.crs.lists > listsBefore, 60_000);
    await waitFor('leader again', () => op.isLeader(), 60_000);

    // A change made after the restart is acted on: new revision promoted, old one removed.
    await patchSpec(client, ns, 'voice', { image: 'ghcr.io/goassist/goassist:0.2.0' });
    const cr = await waitForPromotion(client, ns, 'voice', first, 'new revision after restart');
    const second = cr.status!.stableRevision!;
    await waitForOnlyDeployment(client, ns, `voice-${second}`, 'only the new revision left');

    // Cluster-wide: a resource in another namespace is reconciled too.
    await createNamespace(client, 'elsewhere');
    await createCr(client, 'elsewhere', 'voice', {
      image: 'ghcr.io/goassist/goassist:0.1.0',
      replicas: 0,
      nodeSelector: NO_NODE,
      runtime: DEV,
    });
    await waitForCondition(client, 'elsewhere', 'voice', 'Ready', 'True');

    // And drift is still seen.
    await client.request('DELETE', resourcePath(KINDS.Service, ns, 'voice'));
    await waitFor('stable Service recreated', () =>
      client.request('GET', resourcePath(KINDS.Service, ns, 'voice')).then(() => true),
    );
  });
});
