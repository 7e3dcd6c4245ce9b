import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { ensureControlPlaneBinaries } from '../controlplane/binaries.js';
import { ControlPlaneError } from '../controlplane/errors.js';
import { repoRoot } from '../controlplane/paths.js';
import { freeLoopbackPort } from '../controlplane/ports.js';
import { ManagedProcess } from '../controlplane/process.js';
import { HARNESS_NETWORK } from '../nodeagent/netrange.js';
import { ensureHarnessGuardRoute } from '../nodeagent/network.js';

export interface KwokOptions {
  kubeconfigPath: string;
  nodeCount: number;
  /** Node names are `${namePrefix}-${i}`; default `kwok-node`. */
  namePrefix?: string;
  /** Adds the `kwok.x-k8s.io/node=fake:NoSchedule` taint, so only pods that tolerate it land there. */
  taint?: boolean;
  log?: (line: string) => void;
}

export interface Kwok {
  nodeNames: string[];
  stop(): Promise<void>;
}

/** Label that marks the nodes this helper creates; kwok manages exactly these. */
export const KWOK_NODE_LABEL = 'goassist.io/kwok';
const NODES_READY_TIMEOUT_MS = 60_000;

function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * KWOK v0.8 creates its pod IP pool on first use without a lock, so a burst of first pods can get
 * duplicate IPs from racing pools. One pod taken through the pool first makes the pool exist.
 */
async function warmUpIpPool(core: CoreV1Api, nodeName: string, kwok: ManagedProcess): Promise<void> {
  const name = `kwok-warmup-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name },
      spec: { nodeName, containers: [{ name: 'warmup', image: 'kwok.invalid/warmup' }] },
    },
  });
  const deadline = Date.now() + NODES_READY_TIMEOUT_MS;
  for (;;) {
    const exited = kwok.exitError();
    if (exited) throw exited;
    const pod = await core.readNamespacedPod({ namespace: 'default', name });
    if (pod.status?.podIP) break;
    if (Date.now() > deadline) {
      throw new ControlPlaneError(
        'NOT_READY',
        `kwok gave warm-up pod ${name} no IP; last output:\n${kwok.recentOutput()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await core.deleteNamespacedPod({ namespace: 'default', name, gracePeriodSeconds: 0 });
}

/**
 * Starts KWOK for `nodeCount` fake nodes: pods bound to them turn Running and Ready with IPs from
 * HARNESS_NETWORK.kwokPodCidr, inside the harness range, without running anything.
 */
export async function startKwok(opts: KwokOptions): Promise<Kwok> {
  const log = opts.log ?? ((): void => {});
  const prefix = opts.namePrefix ?? 'kwok-node';
  // Nothing sent to a fake pod IP may leave the machine, bridge or no bridge.
  await ensureHarnessGuardRoute();
  const binDir = await ensureControlPlaneBinaries(log);
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const serverPort = await freeLoopbackPort();
  const kwok = new ManagedProcess(
    'kwok',
    join(binDir, 'kwok'),
    [
      `--kubeconfig=${opts.kubeconfigPath}`,
      `--config=${join(repoRoot(), 'hack', 'kwok', 'stages.yaml')}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-label-selector=${KWOK_NODE_LABEL}=true`,
      `--cidr=${HARNESS_NETWORK.kwokPodCidr}`,
      `--node-ip=${HARNESS_NETWORK.bridgeIp}`,
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${serverPort}`,
    ],
    log,
  );
  const nodeNames = Array.from({ length: opts.nodeCount }, (_, i) => `${prefix}-${i}`);
  const stop = async (): Promise<void> => {
    await kwok.stop();
    await Promise.all(nodeNames.map((name) => core.deleteNode({ name }).catch(() => undefined)));
  };
  try {
    for (const name of nodeNames) {
      try {
        await core.createNode({
          body: {
            metadata: {
              name,
              labels: { [KWOK_NODE_LABEL]: 'true', type: 'kwok', 'kubernetes.io/hostname': name },
              annotations: { 'kwok.x-k8s.io/node': 'fake' },
            },
            spec: opts.taint
              ? { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] }
              : {},
          },
        });
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
      }
    }
    const deadline = Date.now() + NODES_READY_TIMEOUT_MS;
    for (;;) {
      const exited = kwok.exitError();
      if (exited) throw exited;
      const list = await core.listNode({ labelSelector: `${KWOK_NODE_LABEL}=true` });
      const ready = list.items.filter((n) => nodeNames.includes(n.metadata!.name!) && isReady(n)).length;
      if (ready === nodeNames.length) break;
      if (Date.now() > deadline) {
        throw new ControlPlaneError(
          'NOT_READY',
          `kwok: ${ready}/${nodeNames.length} nodes Ready after ${NODES_READY_TIMEOUT_MS} ms; last output:\n` +
            kwok.recentOutput(),
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await warmUpIpPool(core, nodeNames[0]!, kwok);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodeNames, stop };
}
