import { jest } from '@jest/globals';
import type { KubeClient } from '../kube/client.js';
import { KINDS, resourcePath } from '../kube/kinds.js';
import {
  closeTestNamespace,
  createCr,
  DEV,
  getCr,
  list,
  NO_NODE,
  openTestNamespace,
  patchSpec,
  sharedKubeconfig,
  uniqueName,
  waitFor,
  waitForCondition,
} from './harness.js';
import { spawnOperator, stopProcess, type OperatorProcess } from './processes.js';

jest.setTimeout(240_000);

/** The bound: the standby takes over within 15 s of the leader being killed. */
const TAKEOVER_LIMIT_MS = 15_000;

const kubeconfig = sharedKubeconfig();
const ns = uniqueName('gad-leader');
let client: KubeClient;
const procs: OperatorProcess[] = [];

interface Lease {
  spec: { holderIdentity?: string | null; leaseTransitions?: number };
}
const holder = async () =>
  (
    await client
      .request<Lease>('GET', resourcePath(KINDS.Lease, ns, 'goassist-operator'))
      .catch(() => undefined)
  )?.spec.holderIdentity ?? undefined;

beforeAll(async () => {
  client = await openTestNamespace(kubeconfig, ns);
  const env = { KUBECONFIG: kubeconfig, WATCH_NAMESPACE: ns, POD_NAMESPACE: ns };
  procs.push(spawnOperator('op-a', env), spawnOperator('op-b', env));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => stopProcess(p)));
  await closeTestNamespace(client, ns);
});

describe('leader election with two replicas', () => {
  it('lets only the leader write, and the standby takes over when the leader is killed', async () => {
    const leaderId = await waitFor('a leader', holder, 60_000);
    const leader = procs.find((p) => p.identity === leaderId)!;
    const standby = procs.find((p) => p.identity !== leaderId)!;

    await createCr(client, ns, 'voice', {
      image: 'ghcr.io/goassist/goassist:0.1.0',
      replicas: 0,
      nodeSelector: NO_NODE,
      runtime: DEV,
    });
    await waitForCondition(client, ns, 'voice', 'Ready', 'True');
    const events = (
      await list<{ reportingController?: string; reportingInstance: string }>(client, 'Event', ns)
    ).filter((e) => e.reportingController === 'goassist.io/operator');
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.reportingInstance))).toEqual(new Set([leaderId]));

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    const newHolder = await waitFor(
      'lease taken over',
      async () => ((await holder()) === standby.identity ? standby.identity : undefined),
      30_000,
      100,
    );
    const takeoverMs = Date.now() - killedAt;
    expect(newHolder).toBe(standby.identity);
    expect(takeoverMs).toBeLessThan(TAKEOVER_LIMIT_MS);

    // The new leader reconciles.
    await patchSpec(client, ns, 'voice', { image: 'ghcr.io/goassist/goassist:0.2.0' });
    await waitFor('new revision by the new leader', async () => {
      const c = await getCr(client, ns, 'voice');
      return (
        c.status?.observedGeneration === c.metadata.generation &&
        c.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True'
      );
    });
    process.stdout.write(`leader failover: lease taken over ${takeoverMs} ms after SIGKILL\n`);
  });

  it('hands the lease over at once on a graceful stop', async () => {
    const current = procs.find((p) => p.child.exitCode === null && p.child.signalCode === null)!;
    const replacement = spawnOperator('op-c', {
      KUBECONFIG: kubeconfig,
      WATCH_NAMESPACE: ns,
      POD_NAMESPACE: ns,
    });
    procs.push(replacement);
    await new Promise((r) => setTimeout(r, 4000));
    expect(await holder()).toBe(current.identity);
    const stoppedAt = Date.now();
    await stopProcess(current);
    await waitFor('op-c leads', async () => ((await holder()) === 'op-c' ? true : undefined), 20_000, 100);
    // Released, not expired: well under the lease duration.
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
  });
});
