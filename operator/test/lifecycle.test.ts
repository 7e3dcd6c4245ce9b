import { jest } from '@jest/globals';
import type { KubeClient } from '../kube/client.js';
import { KINDS, resourcePath } from '../kube/kinds.js';
import {
  closeTestNamespace,
  condition,
  createCr,
  getCr,
  kubectl,
  list,
  NO_NODE,
  openTestNamespace,
  patchSpec,
  sharedKubeconfig,
  startTestOperator,
  uniqueName,
  waitFor,
  waitForCondition,
  waitForOnlyDeployment,
  waitForPromotion,
  type TestOperator,
} from './harness.js';

jest.setTimeout(180_000);

const kubeconfig = sharedKubeconfig();
const ns = uniqueName('gad-life');
let client: KubeClient;
let op: TestOperator;

const spec = {
  image: 'ghcr.io/goassist/goassist:0.1.0',
  replicas: 0,
  nodeSelector: NO_NODE,
  runtime: { environment: 'development', maxSessions: 20 },
  ingress: { host: 'voice.test.local', className: 'nginx', tls: { secretName: 'voice-tls' } },
};

beforeAll(async () => {
  client = await openTestNamespace(kubeconfig, ns);
  op = await startTestOperator({ kubeconfig, namespace: ns });
});

afterAll(async () => {
  await op?.stop();
  await closeTestNamespace(client, ns);
});

const names = (items: Array<{ metadata: { name: string } }>) => items.map((i) => i.metadata.name).sort();

describe('GoAssistDeployment lifecycle against a real API server', () => {
  let firstRevision = '';

  it('creates the revision Deployment, Services, PDB and Ingress, and reports Ready', async () => {
    await createCr(client, ns, 'voice', spec);
    const cr = await waitForCondition(client, ns, 'voice', 'Ready', 'True');
    firstRevision = cr.status!.stableRevision!;
    expect(firstRevision).toMatch(/^[0-9a-f]{10}$/);
    expect(cr.status!.phase).toBe('Ready');
    expect(cr.status!.observedGeneration).toBe(1);
    expect(names(await list(client, 'Deployment', ns))).toEqual([`voice-${firstRevision}`]);
    expect(names(await list(client, 'Service', ns))).toEqual(['voice', `voice-${firstRevision}`]);
    expect(names(await list(client, 'PodDisruptionBudget', ns))).toEqual([`voice-${firstRevision}`]);
    const [ingress] = await list<{
      metadata: { annotations: Record<string, string> };
      spec: { tls: unknown };
    }>(client, 'Ingress', ns);
    expect(ingress!.metadata.annotations['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
    expect(ingress!.spec.tls).toEqual([{ hosts: ['voice.test.local'], secretName: 'voice-tls' }]);
    const printed = await kubectl(kubeconfig, ['get', 'gad', '-n', ns, 'voice']);
    expect(printed).toMatch(/PHASE\s+READY/);
    expect(printed).toMatch(/voice\s+Ready\s+True/);
    await kubectl(kubeconfig, ['wait', '-n', ns, 'gad/voice', '--for=condition=Ready', '--timeout=10s']);
  });

  it('scales through the scale subresource without a new revision', async () => {
    await kubectl(kubeconfig, ['scale', '-n', ns, 'gad/voice', '--replicas=2']);
    await waitFor('Deployment scaled to 2', async () => {
      const d = await client.request<{ spec: { replicas: number } }>(
        'GET',
        resourcePath(KINDS.Deployment, ns, `voice-${firstRevision}`),
      );
      return d.spec.replicas === 2;
    });
    // No node matches the pods' selector, so they cannot become ready.
    const cr = await waitForCondition(client, ns, 'voice', 'Ready', 'False');
    expect(cr.status!.stableRevision).toBe(firstRevision);
    expect(condition(cr, 'Ready')!.reason).toBe('ReplicasNotReady');
    await kubectl(kubeconfig, ['scale', '-n', ns, 'gad/voice', '--replicas=0']);
    await waitForCondition(client, ns, 'voice', 'Ready', 'True');
  });

  it('replaces the revision on a pod-affecting change once the new one is ready', async () => {
    await patchSpec(client, ns, 'voice', { image: 'ghcr.io/goassist/goassist:0.2.0' });
    const cr = await waitForPromotion(client, ns, 'voice', firstRevision, 'promotion of the new revision');
    const second = cr.status!.stableRevision!;
    expect(cr.status!.canaryRevision).toBeUndefined();
    await waitForOnlyDeployment(client, ns, `voice-${second}`, 'old revision removed');
    const stable = await client.request<{ spec: { selector: Record<string, string> } }>(
      'GET',
      resourcePath(KINDS.Service, ns, 'voice'),
    );
    expect(stable.spec.selector['goassist.io/revision']).toBe(second);
    const events = await list<{ reason: string; note: string }>(client, 'Event', ns);
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Ready', 'RevisionPromoted']));
    firstRevision = second;
  });

  it('starts no new revision while paused, and does once unpaused', async () => {
    await patchSpec(client, ns, 'voice', { paused: true, image: 'ghcr.io/goassist/goassist:0.3.0' });
    const paused = await waitFor('paused status', async () => {
      const c = await getCr(client, ns, 'voice');
      return c.status?.observedGeneration === c.metadata.generation ? c : undefined;
    });
    expect(paused.status!.phase).toBe('Paused');
    expect(condition(paused, 'Progressing')).toMatchObject({ status: 'False', reason: 'Paused' });
    expect(paused.status!.stableRevision).toBe(firstRevision);
    expect(names(await list(client, 'Deployment', ns))).toEqual([`voice-${firstRevision}`]);
    await patchSpec(client, ns, 'voice', { paused: false });
    const resumed = await waitForPromotion(client, ns, 'voice', firstRevision, 'unpaused promotion');
    firstRevision = resumed.status!.stableRevision!;
  });

  it('keeps the old revision serving while a new one cannot become ready', async () => {
    await patchSpec(client, ns, 'voice', { replicas: 1, runtime: { maxSessions: 21 } });
    const cr = await waitFor('new revision progressing', async () => {
      const c = await getCr(client, ns, 'voice');
      return c.status?.observedGeneration === c.metadata.generation && c.status?.canaryRevision
        ? c
        : undefined;
    });
    expect(cr.status!.stableRevision).toBe(firstRevision);
    expect(condition(cr, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewRevision' });
    expect(cr.status!.phase).toBe('Progressing');
    expect(names(await list(client, 'Deployment', ns))).toEqual(
      [`voice-${cr.status!.canaryRevision}`, `voice-${firstRevision}`].sort(),
    );
    const stable = await client.request<{ spec: { selector: Record<string, string> } }>(
      'GET',
      resourcePath(KINDS.Service, ns, 'voice'),
    );
    expect(stable.spec.selector['goassist.io/revision']).toBe(firstRevision);
  });

  it('leaves garbage collection of every child to owner references when the CR is deleted', async () => {
    await client.request('DELETE', resourcePath(KINDS.GoAssistDeployment, ns, 'voice'));
    await waitFor(
      'children garbage-collected',
      async () => {
        const left = [
          ...(await list(client, 'Deployment', ns)),
          ...(await list(client, 'Service', ns)),
          ...(await list(client, 'PodDisruptionBudget', ns)),
          ...(await list(client, 'Ingress', ns)),
        ];
        return left.length === 0;
      },
      90_000,
    );
  });
});
