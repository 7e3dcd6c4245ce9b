import type { KubeClient } from './client.js';
import { isConflict, isNotFound } from './errors.js';
import { KINDS, resourcePath } from './kinds.js';
import { sleep } from './informer.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** A lease not renewed for this long may be taken over. */
  leaseDurationMs?: number;
  /** The leader gives up if it could not renew for this long. */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), as client-go does it: a lease is expired when
 * its record has not changed for leaseDuration as observed on this process's own clock (no clock-skew
 * trust in renewTime). Defaults: 8 s lease, 5 s renew deadline, 1.5 s retry: a killed leader is replaced
 * within about 11 s. On stop the leader releases the lease so a successor takes over at once.
 */
export class LeaderElector {
  private readonly abort = new AbortController();
  private leading = false;
  private observed: { record: string; at: number } | undefined;
  private lease: Lease | undefined;
  private loop: Promise<void> | undefined;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 8_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 5_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 1_500;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops electing; a leader releases its lease. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (this.leading) {
      this.setLeading(false);
      await this.release().catch((err: Error) =>
        this.opts.log?.('lease release failed', { error: err.message }),
      );
    }
  }

  private get path(): string {
    return resourcePath(KINDS.Lease, this.opts.namespace, this.opts.name);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let lastRenew = 0;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.opts.log?.('leader election request failed', { error: (err as Error).message });
      }
      if (signal.aborted) break;
      if (ok) {
        lastRenew = Date.now();
        if (!this.leading) this.setLeading(true);
      } else if (this.leading && Date.now() - lastRenew > this.renewDeadlineMs) {
        this.setLeading(false);
      }
      await sleep(this.retryPeriodMs, signal);
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.opts.log?.(leading ? 'became leader' : 'lost leadership', {
      identity: this.opts.identity,
      lease: this.opts.name,
    });
    if (leading) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading();
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = new Date();
    const timeoutMs = Math.max(1000, this.renewDeadlineMs / 2);
    let lease: Lease;
    try {
      lease = await this.client.request<Lease>('GET', this.path, { signal, timeoutMs });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        this.lease = await this.client.request<Lease>(
          'POST',
          resourcePath(KINDS.Lease, this.opts.namespace),
          {
            body: {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name: this.opts.name, namespace: this.opts.namespace },
              spec: this.spec(now, now, 0),
            },
            signal,
            timeoutMs,
          },
        );
        return true;
      } catch (createErr) {
        if (isConflict(createErr)) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const mine = holder === this.opts.identity;
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const expired = !holder || Date.now() - this.observed.at > durationMs;
    if (!mine && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
    const acquire = mine && spec.acquireTime ? new Date(spec.acquireTime) : now;
    try {
      this.lease = await this.client.request<Lease>('PUT', this.path, {
        body: { ...lease, spec: this.spec(acquire, now, transitions) },
        signal,
        timeoutMs,
      });
      this.observed = undefined;
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private spec(acquire: Date, renew: Date, transitions: number): Lease['spec'] {
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: microTime(acquire),
      renewTime: microTime(renew),
      leaseTransitions: transitions,
    };
  }

  private async release(): Promise<void> {
    const lease = await this.client.request<Lease>('GET', this.path, { timeoutMs: 3000 });
    if (lease.spec?.holderIdentity !== this.opts.identity) return;
    await this.client.request('PUT', this.path, {
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: microTime(new Date()),
        },
      },
      timeoutMs: 3000,
    });
  }
}
