import { release as kernelRelease } from 'node:os';
import { join } from 'node:path';
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  V1MicroTime,
  type V1Node,
  type V1NodeCondition,
  type V1Pod,
  type V1PodList,
} from '@kubernetes/client-node';
import { repoRoot } from '../controlplane/paths.js';
import { HARNESS_NETWORK } from './netrange.js';
import { AgentNetwork } from './network.js';
import { PodRunner, type PodCommand } from './pod-runner.js';

export { HARNESS_NETWORK, isInHarnessNetwork } from './netrange.js';
export type { PodCommand } from './pod-runner.js';

export interface NodeAgentOptions {
  kubeconfigPath: string;
  nodeName: string;
  /** The process to run for a pod; defaults to the GoAssist runtime (`node dist/runtime/main.js`). */
  command?: (pod: V1Pod) => PodCommand;
  log?: (line: string) => void;
  capacity?: { cpu: string; memory: string; pods: string };
}

export interface NodeAgent {
  nodeName: string;
  stop(): Promise<void>;
  podIp(namespace: string, name: string): string | undefined;
}

const LEASE_DURATION_SECONDS = 40;
const LEASE_RENEW_MS = 10_000;
const NODE_STATUS_MS = 30_000;
const INFORMER_RETRY_MS = 1_000;
const STOP_GRACE_MS = 3_000;

/** The runtime as built by `npm run build`; the pod's container image is not run. */
export function defaultRuntimeCommand(): PodCommand {
  return { cmd: process.execPath, args: [join(repoRoot(), 'dist', 'runtime', 'main.js')] };
}

function nodeConditions(): V1NodeCondition[] {
  const t = new Date();
  const c = (type: string, status: string, reason: string, message: string): V1NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: t,
    lastTransitionTime: t,
  });
  return [
    c('Ready', 'True', 'KubeletReady', 'goassist node agent is posting ready status'),
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'node agent has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'node agent has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'node agent has sufficient PID available'),
  ];
}

function nodeStatus(nodeName: string, capacity: Record<string, string>): V1Node['status'] {
  return {
    capacity,
    allocatable: capacity,
    conditions: nodeConditions(),
    addresses: [
      { type: 'InternalIP', address: HARNESS_NETWORK.bridgeIp },
      { type: 'Hostname', address: nodeName },
    ],
    nodeInfo: {
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      bootID: '',
      containerRuntimeVersion: 'goassist-nodeagent://0.1.0',
      kernelVersion: kernelRelease(),
      kubeProxyVersion: '',
      kubeletVersion: 'v0.0.0-goassist-nodeagent',
      machineID: '',
      operatingSystem: 'linux',
      osImage: 'GoAssist local node agent',
      systemUUID: '',
    },
  };
}

/**
 * Registers a Node and runs the pods bound to it as real local processes (see hack/README.md).
 * Needs root: it creates network namespaces and a bridge.
 */
export async function startNodeAgent(opts: NodeAgentOptions): Promise<NodeAgent> {
  const { nodeName } = opts;
  const log = opts.log ?? ((): void => {});
  const command = opts.command ?? ((): PodCommand => defaultRuntimeCommand());
  const capacity = {
    'ephemeral-storage': '100Gi',
    ...(opts.capacity ?? { cpu: '32', memory: '64Gi', pods: '110' }),
  };
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const network = await AgentNetwork.claim(nodeName, log);
  const runners = new Map<string, PodRunner>();
  const timers: NodeJS.Timeout[] = [];
  let stopping = false;

  const patchNodeStatus = async (): Promise<void> => {
    await core.patchNodeStatus(
      { name: nodeName, body: { status: nodeStatus(nodeName, capacity) } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  };

  const renewLease = async (): Promise<void> => {
    const spec = {
      holderIdentity: nodeName,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      renewTime: new V1MicroTime(),
    };
    try {
      await coordination.patchNamespacedLease(
        { name: nodeName, namespace: 'kube-node-lease', body: { spec } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await coordination.createNamespacedLease({
        namespace: 'kube-node-lease',
        body: { metadata: { name: nodeName, namespace: 'kube-node-lease' }, spec },
      });
    }
  };

  try {
    try {
      await core.createNode({
        body: {
          metadata: {
            name: nodeName,
            labels: {
              'kubernetes.io/hostname': nodeName,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              'goassist.io/node-agent': 'true',
            },
          },
          spec: {},
          status: nodeStatus(nodeName, capacity),
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    await patchNodeStatus();
    await renewLease();
  } catch (err) {
    await network.release();
    throw err;
  }
  log(`node ${nodeName} registered (pods from slot ${network.slot}: 10.213.${network.slot}.0/24)`);

  const every = (ms: number, fn: () => Promise<void>, what: string): void => {
    timers.push(
      setInterval(() => {
        fn().catch((err: unknown) => log(`${what} failed: ${(err as Error).message}`));
      }, ms),
    );
  };
  every(LEASE_RENEW_MS, renewLease, 'lease renewal');
  every(NODE_STATUS_MS, patchNodeStatus, 'node status update');

  const deps = { core, network, hostIp: HARNESS_NETWORK.bridgeIp, cwd: repoRoot(), command, log };
  const keyOf = (pod: V1Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

  const onPod = (pod: V1Pod): void => {
    if (stopping) return;
    const key = keyOf(pod);
    const existing = runners.get(key);
    if (existing && existing.uid === pod.metadata?.uid) {
      existing.update(pod);
      return;
    }
    if (existing) void existing.kill(0); // same name, new pod: the old one is gone
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (pod.metadata?.deletionTimestamp) {
      // Nothing of ours runs for it (e.g. the agent restarted): finalise at once.
      core
        .deleteNamespacedPod({
          name: pod.metadata.name!,
          namespace: pod.metadata.namespace!,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } },
        })
        .catch(() => undefined);
      return;
    }
    const runner = new PodRunner(pod, deps);
    runners.set(key, runner);
    void runner
      .run()
      .catch((err: unknown) => log(`[${key}] runner failed: ${(err as Error).message}`))
      .finally(() => {
        // A completed (Succeeded/Failed) runner stays mapped so a later deletion still finalises the pod.
        if (runners.get(key) === runner && runner.terminated) runners.delete(key);
      });
  };

  const onPodGone = (pod: V1Pod): void => {
    const key = keyOf(pod);
    const runner = runners.get(key);
    if (!runner || runner.uid !== pod.metadata?.uid) return;
    runners.delete(key);
    void runner.kill(0);
  };

  const fieldSelector = `spec.nodeName=${nodeName}`;
  const informer = new ListWatch<V1Pod>(
    '/api/v1/pods',
    new Watch(kc),
    () => core.listPodForAllNamespaces({ fieldSelector }) as Promise<V1PodList>,
    false,
    undefined,
    fieldSelector,
  );
  informer.on('add', onPod);
  informer.on('update', onPod);
  informer.on('delete', onPodGone);
  // A list or watch that fails (apiserver restarting, connection dropped) is retried until stop().
  const restartInformer = (err: unknown): void => {
    if (stopping) return;
    log(`pod watch error: ${(err as Error)?.message ?? String(err)}; retrying`);
    setTimeout(() => {
      if (!stopping) informer.start().catch(restartInformer);
    }, INFORMER_RETRY_MS);
  };
  informer.on('error', restartInformer);
  await informer.start();

  return {
    nodeName,
    podIp(namespace: string, name: string): string | undefined {
      return runners.get(`${namespace}/${name}`)?.podIp;
    },
    async stop(): Promise<void> {
      if (stopping) return;
      stopping = true;
      for (const t of timers) clearInterval(t);
      await informer.stop();
      await Promise.all([...runners.values()].map((r) => r.kill(STOP_GRACE_MS)));
      runners.clear();
      await network.release();
      // Without its Node, the pod GC controller removes the pods that were bound here.
      await core.deleteNode({ name: nodeName }).catch(() => undefined);
      await coordination
        .deleteNamespacedLease({ name: nodeName, namespace: 'kube-node-lease' })
        .catch(() => undefined);
      log(`node ${nodeName} stopped`);
    },
  };
}
