import { spawnSync } from 'node:child_process';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../controlplane/index.js';
import { waitFor } from '../controlplane/wait.js';
import { HARNESS_NETWORK, isInHarnessNetwork } from '../nodeagent/netrange.js';
import { startKwok, type Kwok } from './index.js';

const NS = 'kwok-test';
let cp: ControlPlane;
let kwok: Kwok;
let core: CoreV1Api;

/** 10.213.128.0/18 covers third octets 128..191. */
const inKwokCidr = (ip: string): boolean => {
  const third = Number(ip.split('.')[2]);
  return isInHarnessNetwork(ip) && third >= 128 && third <= 191;
};

beforeAll(async () => {
  cp = await startControlPlane();
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
}, 300_000);

afterAll(async () => {
  await kwok?.stop();
  await cp?.stop();
});

test('creates Ready fake nodes whose address lies in the harness range', async () => {
  kwok = await startKwok({ kubeconfigPath: cp.kubeconfigPath, nodeCount: 3 });
  expect(kwok.nodeNames).toHaveLength(3);
  for (const name of kwok.nodeNames) {
    const node = await core.readNode({ name });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address).toBe(
      HARNESS_NETWORK.bridgeIp,
    );
  }
}, 120_000);

test('Deployment pods are scheduled onto the fake nodes and turn Running with pod IPs in the KWOK range', async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'many' },
      spec: {
        replicas: 20,
        selector: { matchLabels: { app: 'many' } },
        template: {
          metadata: { labels: { app: 'many' } },
          spec: { containers: [{ name: 'app', image: 'goassist/runtime:test' }] },
        },
      },
    },
  });
  const pods = await waitFor('20 Running pods with IPs', async () => {
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=many' });
    const running = list.items.filter((p: V1Pod) => p.status?.phase === 'Running' && p.status.podIP);
    return running.length === 20 ? running : undefined;
  });
  for (const p of pods) {
    expect(kwok.nodeNames).toContain(p.spec?.nodeName);
    expect(inKwokCidr(p.status!.podIP!)).toBe(true);
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  }
  expect(new Set(pods.map((p) => p.status!.podIP)).size).toBe(20);
});

test('the host has no route off the machine for fake pod IPs', async () => {
  const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=many' })).items;
  for (const p of pods) {
    const r = spawnSync('ip', ['route', 'get', p.status!.podIP!], { encoding: 'utf8' });
    const answer = r.stdout + r.stderr;
    // On the harness bridge when a node agent has one up, otherwise unreachable; never via a gateway.
    expect(answer.includes(`dev ${HARNESS_NETWORK.bridgeName}`) || /No route to host/.test(answer)).toBe(
      true,
    );
    expect(answer).not.toMatch(/ via /);
  }
});

test('stop deletes the fake nodes', async () => {
  await kwok.stop();
  const list = await core.listNode();
  expect(list.items.map((n) => n.metadata?.name)).not.toEqual(expect.arrayContaining([kwok.nodeNames[0]]));
});
