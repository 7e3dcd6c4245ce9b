import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HARNESS_STATE_DIR, pidAlive, withHarnessLock } from './harness-lock.js';
import { HARNESS_NETWORK } from './netrange.js';

const run = promisify(execFile);
const NETNS_PATTERN = /^ga(\d+)p(\d+)$/;
const FIRST_HOST = 2;
const LAST_HOST = 254;

export class NodeAgentNetworkError extends Error {
  override readonly name = 'NodeAgentNetworkError';
  constructor(
    readonly code: 'IP_COMMAND_FAILED' | 'NO_FREE_SLOT' | 'NO_FREE_ADDRESS',
    message: string,
  ) {
    super(message);
  }
}

export async function ip(args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? '').trim();
    throw new NodeAgentNetworkError(
      'IP_COMMAND_FAILED',
      `ip ${args.join(' ')}: ${stderr || (err as Error).message}`,
    );
  }
}

function slotFile(slot: number): string {
  return join(HARNESS_STATE_DIR, `slot-${slot}.json`);
}

function slotOwner(slot: number): number | undefined {
  try {
    return (JSON.parse(readFileSync(slotFile(slot), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

async function listNetns(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => NETNS_PATTERN.test(n));
}

/** Kills whatever still runs in a harness namespace and deletes it (its veth pair goes with it). */
async function destroyNetns(name: string): Promise<void> {
  const pids = (await ip(['netns', 'pids', name]).catch(() => ''))
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((p) => Number.isInteger(p) && p > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await ip(['netns', 'delete', name]).catch(() => undefined);
}

async function bridgeExists(): Promise<boolean> {
  return existsSync(`/sys/class/net/${HARNESS_NETWORK.bridgeName}`);
}

async function ensureBridge(): Promise<void> {
  const br = HARNESS_NETWORK.bridgeName;
  if (!(await bridgeExists())) await ip(['link', 'add', br, 'type', 'bridge']);
  const addrs = await ip(['-4', '-o', 'addr', 'show', 'dev', br]);
  if (!addrs.includes(`${HARNESS_NETWORK.bridgeIp}/`)) {
    await ip(['addr', 'add', `${HARNESS_NETWORK.bridgeIp}/${HARNESS_NETWORK.prefixLength}`, 'dev', br]);
  }
  await ip(['link', 'set', br, 'up']);
}

/** Under the lock: drops slots and namespaces of agents that died without cleaning up. */
async function reapDeadAgents(log: (line: string) => void): Promise<void> {
  const live = new Set<number>();
  for (const f of readdirSync(HARNESS_STATE_DIR)) {
    const m = /^slot-(\d+)\.json$/.exec(f);
    if (!m) continue;
    const slot = Number(m[1]);
    const owner = slotOwner(slot);
    if (owner !== undefined && pidAlive(owner)) live.add(slot);
    else {
      log(`reclaiming slot ${slot} of dead node agent pid ${owner}`);
      rmSync(slotFile(slot), { force: true });
    }
  }
  for (const ns of await listNetns()) {
    const slot = Number(NETNS_PATTERN.exec(ns)![1]);
    if (!live.has(slot)) {
      log(`removing namespace ${ns} left by a killed run`);
      await destroyNetns(ns);
    }
  }
  if (live.size === 0 && (await bridgeExists())) {
    log(`removing bridge ${HARNESS_NETWORK.bridgeName} left by a killed run`);
    await ip(['link', 'delete', HARNESS_NETWORK.bridgeName]).catch(() => undefined);
  }
}

const GUARD_ROUTE_METRIC = '4242';

/**
 * Installs (once; it stays) `unreachable 10.213.0.0/16` at a high metric. While the bridge exists its
 * own route wins; without it (KWOK or the control plane alone), a packet for a fake pod IP or a
 * ClusterIP fails locally with EHOSTUNREACH instead of following the default route off the machine.
 */
export async function ensureHarnessGuardRoute(): Promise<void> {
  const routes = await ip(['-4', 'route', 'show', 'type', 'unreachable']);
  if (routes.split('\n').some((l) => l.startsWith(`unreachable ${HARNESS_NETWORK.cidr} `))) return;
  await ip(['route', 'add', 'unreachable', HARNESS_NETWORK.cidr, 'metric', GUARD_ROUTE_METRIC]).catch(
    (err) => {
      if (!/File exists/.test((err as Error).message)) throw err;
    },
  );
}

async function forgetNeighbor(address: string): Promise<void> {
  await ip(['neigh', 'flush', 'to', address, 'dev', HARNESS_NETWORK.bridgeName]).catch(() => undefined);
}

export interface PodNetwork {
  netns: string;
  ip: string;
}

/**
 * One node agent's share of the harness network: a /24 slot of the bridge's range, one network namespace
 * per pod, each with a veth pair whose host end sits on the bridge. Namespaces get no default route,
 * so a pod reaches only the bridge's range (the host as HARNESS_NETWORK.bridgeIp and other pods).
 */
export class AgentNetwork {
  private readonly used = new Set<number>();
  private nextHost = FIRST_HOST;

  private constructor(
    readonly slot: number,
    private readonly log: (line: string) => void,
  ) {}

  static async claim(nodeName: string, log: (line: string) => void): Promise<AgentNetwork> {
    return withHarnessLock(async () => {
      await ensureHarnessGuardRoute();
      await reapDeadAgents(log);
      for (let slot = HARNESS_NETWORK.agentSlotMin; slot <= HARNESS_NETWORK.agentSlotMax; slot++) {
        if (existsSync(slotFile(slot))) continue;
        writeFileSync(slotFile(slot), JSON.stringify({ pid: process.pid, nodeName }));
        await ensureBridge();
        return new AgentNetwork(slot, log);
      }
      throw new NodeAgentNetworkError(
        'NO_FREE_SLOT',
        'all node agent slots of the harness network are taken',
      );
    });
  }

  async addPod(): Promise<PodNetwork> {
    // Round-robin, so a freed address is reused as late as possible.
    let host: number | undefined;
    for (let i = 0; i <= LAST_HOST - FIRST_HOST; i++) {
      const candidate = FIRST_HOST + ((this.nextHost - FIRST_HOST + i) % (LAST_HOST - FIRST_HOST + 1));
      if (!this.used.has(candidate)) {
        host = candidate;
        break;
      }
    }
    if (host === undefined) {
      throw new NodeAgentNetworkError('NO_FREE_ADDRESS', `slot ${this.slot} has no free pod address`);
    }
    this.nextHost = host + 1;
    this.used.add(host);
    const netns = `ga${this.slot}p${host}`;
    const hostVeth = `gav${this.slot}p${host}`;
    const podIp = `10.213.${this.slot}.${host}`;
    try {
      await withHarnessLock(async () => {
        await ensureBridge();
        await destroyNetns(netns);
        await ip(['netns', 'add', netns]);
        await ip(['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
        await ip(['link', 'set', hostVeth, 'master', HARNESS_NETWORK.bridgeName, 'up']);
      });
      await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', netns, 'addr', 'add', `${podIp}/${HARNESS_NETWORK.prefixLength}`, 'dev', 'eth0']);
      await ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
      // The host may still hold the MAC of an earlier pod with this address.
      await forgetNeighbor(podIp);
    } catch (err) {
      await destroyNetns(netns);
      this.used.delete(host);
      throw err;
    }
    return { netns, ip: podIp };
  }

  async removePod(pod: PodNetwork): Promise<void> {
    await destroyNetns(pod.netns);
    await forgetNeighbor(pod.ip);
    const m = NETNS_PATTERN.exec(pod.netns);
    if (m) this.used.delete(Number(m[2]));
  }

  /** Deletes every namespace of this slot, frees the slot, and removes the bridge if no agent is left. */
  async release(): Promise<void> {
    await withHarnessLock(async () => {
      for (const ns of await listNetns()) {
        if (Number(NETNS_PATTERN.exec(ns)![1]) === this.slot) await destroyNetns(ns);
      }
      this.used.clear();
      rmSync(slotFile(this.slot), { force: true });
      const others = readdirSync(HARNESS_STATE_DIR).filter((f) => /^slot-\d+\.json$/.test(f));
      if (others.length === 0 && (await bridgeExists())) {
        this.log(`removing bridge ${HARNESS_NETWORK.bridgeName}`);
        await ip(['link', 'delete', HARNESS_NETWORK.bridgeName]);
      }
    });
  }
}
