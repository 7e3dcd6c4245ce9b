import { jest } from '@jest/globals';
import { isInHarnessNetwork, startNodeAgent, type NodeAgent } from '../../hack/nodeagent/index.js';
import type { KubeClient } from '../kube/client.js';
import {
  createCr,
  deleteNamespace,
  DEV,
  openTestNamespace,
  sharedKubeconfig,
  startTestOperator,
  uniqueName,
  waitFor,
  waitForCondition,
  type TestOperator,
} from './harness.js';

jest.setTimeout(300_000);

const kubeconfig = sharedKubeconfig();
const ns = uniqueName('gad-e2e');
const nodeName = uniqueName('gad-e2e-node');
let client: KubeClient;
let op: TestOperator;
let agent: NodeAgent;
const agentLog: string[] = [];

beforeAll(async () => {
  client = await openTestNamespace(kubeconfig, ns);
  agent = await startNodeAgent({ kubeconfigPath: kubeconfig, nodeName, log: (l) => agentLog.push(l) });
  op = await startTestOperator({ kubeconfig, namespace: ns });
});

afterAll(async () => {
  await op?.stop();
  // Deleting the namespace ends the pods; the agent then stops their processes.
  await deleteNamespace(client, ns);
  await agent?.stop();
  await client?.request('DELETE', `/api/v1/nodes/${nodeName}`).catch(() => undefined);
  client?.close();
});

interface EndpointSlice {
  metadata: { labels: Record<string, string> };
  endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }>;
}

describe('a GoAssistDeployment whose pods are real runtime processes', () => {
  it('reaches Ready=True from the runtime\u2019s own /readyz, behind real EndpointSlices', async () => {
    await createCr(client, ns, 'voice', {
      image: 'ghcr.io/goassist/goassist:0.1.0',
      replicas: 1,
      nodeSelector: { 'kubernetes.io/hostname': nodeName },
      runtime: { ...DEV, maxSessions: 4, drainTimeoutSeconds: 5 },
    });
    // The node agent starts the runtime for the pod in its own network namespace.
    const pods = await waitFor(
      'a running pod with an IP',
      async () => {
        const res = await client.request<{
          items: Array<{
            metadata: { name: string; labels: Record<string, string> };
            status: { phase?: string; podIP?: string };
          }>;
        }>('GET', `/api/v1/namespaces/${ns}/pods`, {
          query: { labelSelector: 'goassist.io/deployment=voice' },
        });
        return res.items.some((p) => p.status.phase === 'Running' && p.status.podIP) ? res.items : undefined;
      },
      120_000,
    );
    const pod = pods[0]!;
    const revision = pod.metadata.labels['goassist.io/revision']!;
    const ip = agent.podIp(ns, pod.metadata.name);
    expect(ip).toBe(pod.status.podIP);
    expect(isInHarnessNetwork(ip!)).toBe(true);
    const livez = await waitFor(
      'runtime /livez',
      () =>
        fetch(`http://${ip}:8000/livez`, { signal: AbortSignal.timeout(3000) }).then((r) =>
          r.ok ? r : undefined,
        ),
      60_000,
    );
    expect(livez.status).toBe(200);

    let cr;
    try {
      cr = await waitForCondition(client, ns, 'voice', 'Ready', 'True', 120_000);
    } catch (err) {
      const readyz = await fetch(`http://${ip}:8000/readyz`, { signal: AbortSignal.timeout(3000) }).then(
        (r) => r.text(),
        (e: Error) => e.message,
      );
      throw new Error(`${(err as Error).message}\nthe runtime's /readyz says: ${readyz}`);
    }
    expect(cr.status!.stableRevision).toBe(revision);
    expect(cr.status!.readyReplicas).toBe(1);
    expect(cr.status!.phase).toBe('Ready');

    // kube-controller-manager built the stable Service's endpoints from the real pod.
    const slices = await waitFor('ready endpoint in the stable Service', async () => {
      const res = await client.request<{ items: EndpointSlice[] }>(
        'GET',
        `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
        { query: { labelSelector: 'kubernetes.io/service-name=voice' } },
      );
      return res.items.some((s) => s.endpoints?.some((e) => e.addresses.includes(ip!) && e.conditions?.ready))
        ? res.items
        : undefined;
    });
    expect(slices.length).toBeGreaterThan(0);

    // The process is the runtime, and it learnt its revision through the downward API.
    const health = await fetch(`http://${ip}:8000/health`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);
    expect(((await health.json()) as { max_sessions: number }).max_sessions).toBe(4);
    const metrics = await (
      await fetch(`http://${ip}:8000/metrics`, { signal: AbortSignal.timeout(5000) })
    ).text();
    expect(metrics).toContain(`revision="${revision}"`);
  });
});
