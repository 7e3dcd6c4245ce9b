import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  type V1Pod,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../controlplane/index.js';
import { repoRoot } from '../controlplane/paths.js';
import { waitFor } from '../controlplane/wait.js';
import { HARNESS_STATE_DIR } from './harness-lock.js';
import { HARNESS_NETWORK, isInHarnessNetwork, startNodeAgent, type NodeAgent } from './index.js';

const NS = 'agent-test';
const NODE = 'goassist-local-0';
const SCRIPT = join(repoRoot(), 'hack', 'nodeagent', 'testdata', 'http-pod.mjs');

let cp: ControlPlane;
let agent: NodeAgent;
let core: CoreV1Api;
let apps: AppsV1Api;
let discovery: DiscoveryV1Api;
let work: string;
const agentLog: string[] = [];

const netnsList = (): string[] =>
  execFileSync('ip', ['netns', 'list'])
    .toString()
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);

function podSpec(extra: Partial<V1PodSpec> = {}, env: { name: string; value: string }[] = []): V1PodSpec {
  return {
    nodeName: extra.nodeName,
    terminationGracePeriodSeconds: 30,
    containers: [
      {
        name: 'app',
        image: 'goassist/runtime:test',
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
        env,
      },
    ],
    ...extra,
  };
}

const isReady = (p: V1Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function readyPod(name: string): Promise<V1Pod> {
  return waitFor(`pod ${name} Ready`, async () => {
    const p = await core.readNamespacedPod({ namespace: NS, name });
    return isReady(p) ? p : undefined;
  });
}

async function gone(name: string): Promise<void> {
  await waitFor(`pod ${name} deleted`, async () => {
    try {
      await core.readNamespacedPod({ namespace: NS, name });
      return false;
    } catch (err) {
      return (err as { code?: number }).code === 404;
    }
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'goassist-agent-test-'));
  cp = await startControlPlane();
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  discovery = kc.makeApiClient(DiscoveryV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await waitFor('default ServiceAccount in the test namespace', () =>
    core.readNamespacedServiceAccount({ namespace: NS, name: 'default' }),
  );
}, 300_000);

afterAll(async () => {
  if (process.env.GOASSIST_AGENT_TEST_LOG)
    writeFileSync(process.env.GOASSIST_AGENT_TEST_LOG, agentLog.join('\n'));
  await agent?.stop();
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('on start, removes namespaces and slots left behind by a killed agent', async () => {
  // Forge the remains of an agent that died: a slot file naming a dead pid, and one of its namespaces.
  const dead = spawnSync('true').pid!;
  const slot = HARNESS_NETWORK.agentSlotMax;
  mkdirSync(HARNESS_STATE_DIR, { recursive: true });
  writeFileSync(
    join(HARNESS_STATE_DIR, `slot-${slot}.json`),
    JSON.stringify({ pid: dead, nodeName: 'gone' }),
  );
  execFileSync('ip', ['netns', 'add', `ga${slot}p9`]);

  agent = await startNodeAgent({
    kubeconfigPath: cp.kubeconfigPath,
    nodeName: NODE,
    command: () => ({ cmd: process.execPath, args: [SCRIPT] }),
    log: (line) => agentLog.push(`${new Date().toISOString()} ${line}`),
  });
  expect(netnsList()).not.toContain(`ga${slot}p9`);
  expect(existsSync(join(HARNESS_STATE_DIR, `slot-${slot}.json`))).toBe(false);
  const node = await core.readNode({ name: NODE });
  expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: HARNESS_NETWORK.bridgeIp });
}, 60_000);

test('a Deployment pod is scheduled, runs as a real process in its netns, turns Ready, lands in an EndpointSlice', async () => {
  await core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: 'creds' }, stringData: { key: 's3cret' } },
  });
  await core.createNamespacedConfigMap({
    namespace: NS,
    body: { metadata: { name: 'cfg' }, data: { mode: 'fast' } },
  });
  await core.createNamespacedService({
    namespace: NS,
    body: {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
  });
  const spec = podSpec();
  spec.containers[0]!.env = [
    { name: 'PLAIN', value: 'hello' },
    { name: 'EXPANDED', value: '$(PLAIN)-world' },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'APP_LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
    { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'key' } } },
    { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
  ];
  await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec },
      },
    },
  });
  const name = await waitFor('a pod of Deployment web', async () => {
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
    return list.items[0]?.metadata?.name;
  });
  const pod = await readyPod(name);
  expect(pod.spec?.nodeName).toBe(NODE);
  expect(pod.status?.phase).toBe('Running');
  const podIp = pod.status!.podIP!;
  expect(isInHarnessNetwork(podIp)).toBe(true);
  expect(agent.podIp(NS, name)).toBe(podIp);

  // The host reaches the pod's own network namespace through the bridge.
  const res = await fetch(`http://${podIp}:8080/readyz`);
  expect(await res.text()).toBe('ok');
  const env = (await (await fetch(`http://${podIp}:8080/env`)).json()) as Record<string, string>;
  expect(env).toMatchObject({
    PLAIN: 'hello',
    EXPANDED: 'hello-world',
    POD_NAME: name,
    POD_NAMESPACE: NS,
    POD_IP: podIp,
    APP_LABEL: 'web',
    API_KEY: 's3cret',
    MODE: 'fast',
  });
  expect(env.GOASSIST_TEST_KUBECONFIG).toBeUndefined(); // the agent's own env does not leak in

  const slice = await waitFor('an EndpointSlice listing the pod as ready', async () => {
    const list = await discovery.listNamespacedEndpointSlice({
      namespace: NS,
      labelSelector: 'kubernetes.io/service-name=web',
    });
    const s = list.items.find((es) =>
      es.endpoints.some((e) => e.addresses.includes(podIp) && e.conditions?.ready === true),
    );
    return s;
  });
  expect(slice.ports?.[0]?.port).toBe(8080);
});

test('deleting a pod sends SIGTERM, SIGKILL after the grace period, then removes the pod', async () => {
  const signals = join(work, 'stubborn.log');
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'stubborn' },
      spec: podSpec({ nodeName: NODE, terminationGracePeriodSeconds: 2 }, [
        { name: 'SIGNAL_LOG', value: signals },
        { name: 'IGNORE_SIGTERM', value: '1' },
      ]),
    },
  });
  await readyPod('stubborn');
  const pid = Number(/listening (\d+)/.exec(readFileSync(signals, 'utf8'))![1]);
  const netns = execFileSync('ip', ['netns', 'identify', String(pid)])
    .toString()
    .trim();
  expect(netns).toMatch(/^ga\d+p\d+$/);

  await core.deleteNamespacedPod({ namespace: NS, name: 'stubborn' });
  await gone('stubborn');
  const lines = readFileSync(signals, 'utf8').trim().split('\n');
  const term = lines.indexOf('SIGTERM');
  expect(term).toBeGreaterThan(0);
  // It kept running after SIGTERM (ticking) until the grace period ran out and SIGKILL ended it.
  expect(lines.slice(term + 1).filter((l) => l === 'tick').length).toBeGreaterThan(0);
  expect(existsSync(`/proc/${pid}`)).toBe(false);
  expect(netnsList()).not.toContain(netns);
});

test('a pod that exits on SIGTERM is removed without waiting for the grace period', async () => {
  const signals = join(work, 'polite.log');
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'polite' },
      spec: podSpec({ nodeName: NODE, terminationGracePeriodSeconds: 600 }, [
        { name: 'SIGNAL_LOG', value: signals },
      ]),
    },
  });
  await readyPod('polite');
  await core.deleteNamespacedPod({ namespace: NS, name: 'polite' });
  // With a 600 s grace period, seeing the pod gone within the default wait means it did not wait for SIGKILL.
  await gone('polite');
  expect(readFileSync(signals, 'utf8')).toContain('SIGTERM');
});

test('a missing Secret holds the container in CreateContainerConfigError until it exists', async () => {
  const spec = podSpec({ nodeName: NODE });
  spec.containers[0]!.env = [{ name: 'K', valueFrom: { secretKeyRef: { name: 'later', key: 'k' } } }];
  await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'waits' }, spec } });
  const waiting = await waitFor('CreateContainerConfigError', async () => {
    const p = await core.readNamespacedPod({ namespace: NS, name: 'waits' });
    const w = p.status?.containerStatuses?.[0]?.state?.waiting;
    return w?.reason === 'CreateContainerConfigError' ? w : undefined;
  });
  expect(waiting.message).toContain('later');
  await core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: 'later' }, stringData: { k: 'v' } },
  });
  await readyPod('waits');
});

test('a process that exits is restarted in the same namespace (restartPolicy Always) and becomes Ready again', async () => {
  const signals = join(work, 'restarts.log');
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'restarts' },
      spec: podSpec({ nodeName: NODE, restartPolicy: 'Always' }, [
        { name: 'SIGNAL_LOG', value: signals },
        { name: 'EXIT_AFTER_MS', value: '1500' },
      ]),
    },
  });
  const firstIp = (await readyPod('restarts')).status!.podIP;
  const restarted = await waitFor('a restart', async () => {
    const p = await core.readNamespacedPod({ namespace: NS, name: 'restarts' });
    const cs = p.status?.containerStatuses?.[0];
    return cs && cs.restartCount >= 1 ? p : undefined;
  });
  expect(restarted.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(3);
  expect(restarted.status?.podIP).toBe(firstIp);
  const pids = [...readFileSync(signals, 'utf8').matchAll(/listening (\d+)/g)].map((m) => m[1]!);
  expect(new Set(pids).size).toBeGreaterThanOrEqual(2);
  await core.deleteNamespacedPod({ namespace: NS, name: 'restarts', gracePeriodSeconds: 1 });
  await gone('restarts');
});

test('a failing liveness probe gets the process restarted with SIGTERM', async () => {
  const signals = join(work, 'liveness.log');
  const spec = podSpec({ nodeName: NODE, terminationGracePeriodSeconds: 5 }, [
    { name: 'SIGNAL_LOG', value: signals },
    { name: 'LIVEZ_FAIL_AFTER_MS', value: '1500' },
  ]);
  spec.containers[0]!.livenessProbe = {
    httpGet: { path: '/livez', port: 8080 },
    periodSeconds: 1,
    failureThreshold: 2,
  };
  await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'unhealthy' }, spec } });
  await waitFor('a liveness restart', async () => {
    const p = await core.readNamespacedPod({ namespace: NS, name: 'unhealthy' });
    return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1;
  });
  expect(readFileSync(signals, 'utf8')).toContain('SIGTERM');
  await waitFor(
    'the second process to listen',
    () => readFileSync(signals, 'utf8').match(/listening/g)!.length >= 2,
  );
  await core.deleteNamespacedPod({ namespace: NS, name: 'unhealthy', gracePeriodSeconds: 1 });
  await gone('unhealthy');
});

test('keeps running pods and picks up new ones after the apiserver restarts', async () => {
  await cp.restartApiserver();
  const restartedAt = Date.now();
  await core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name: 'after-restart' }, spec: podSpec({ nodeName: NODE }) },
  });
  const pod = await readyPod('after-restart');
  expect(isInHarnessNetwork(pod.status!.podIP!)).toBe(true);
  const web = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' })).items[0]!;
  expect(isReady(web)).toBe(true);
  // The lease is still being renewed by the agent.
  const lease = await waitFor(
    'a lease renewal after the restart',
    async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(cp.kubeconfigPath);
      const l = await kc
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ namespace: 'kube-node-lease', name: NODE });
      return new Date(l.spec!.renewTime!).getTime() > restartedAt ? l : undefined;
    },
    30_000,
  );
  expect(lease.spec?.holderIdentity).toBe(NODE);
});

test('stop removes its namespaces, its slot and (as the last agent) the bridge, and deletes its Node', async () => {
  const ip = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' })).items[0]!.status!
    .podIP!;
  const slot = Number(ip.split('.')[2]);
  expect(netnsList().some((n) => n.startsWith(`ga${slot}p`))).toBe(true);
  await agent.stop();
  expect(netnsList().filter((n) => n.startsWith(`ga${slot}p`))).toEqual([]);
  expect(existsSync(join(HARNESS_STATE_DIR, `slot-${slot}.json`))).toBe(false);
  const otherAgents = execFileSync('ls', [HARNESS_STATE_DIR]).toString().includes('slot-');
  if (!otherAgents) expect(existsSync(`/sys/class/net/${HARNESS_NETWORK.bridgeName}`)).toBe(false);
  await expect(core.readNode({ name: NODE })).rejects.toMatchObject({ code: 404 });
});
