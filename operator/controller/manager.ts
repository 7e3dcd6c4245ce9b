import { LABEL_DEPLOYMENT } from '../api/names.js';
import type { GoAssistDeployment } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { EventRecorder } from '../kube/events.js';
import { Informer } from '../kube/informer.js';
import type { KindRef } from '../kube/kinds.js';
import { KINDS, resourcePath } from '../kube/kinds.js';
import { WorkQueue } from '../kube/queue.js';
import type { KubeObject } from '../resources/types.js';
import { deepEqual } from './compare.js';
import type { OperatorMetrics } from './metrics.js';
import type { ChildKind, World } from './reconciler.js';
import { CHILD_KINDS, MISSING_API_RECHECK_MS, Reconciler } from './reconciler.js';

export interface ManagerOptions {
  client: KubeClient;
  /** Only this namespace; all namespaces when undefined. */
  namespace?: string;
  /** Identity in Events and the Lease (pod name). */
  identity: string;
  workers?: number;
  metrics?: OperatorMetrics;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * A CR update that changed only its status (usually our own write) needs no pass: the spec and
 * metadata the reconciler acts on are the same. Children's changes enqueue their owner separately.
 */
function onlyStatusChanged(o: KubeObject, old: KubeObject): boolean {
  const m = o.metadata;
  const p = old.metadata;
  return (
    m.generation === p.generation &&
    m.deletionTimestamp === p.deletionTimestamp &&
    deepEqual(m.labels ?? {}, p.labels ?? {}) &&
    deepEqual(m.annotations ?? {}, p.annotations ?? {})
  );
}

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ''}/${name ?? ''}`;

/**
 * Wires informers, the work queue and the reconciler. Informers run (and caches stay warm) whether or
 * not this replica leads; workers run only while it leads, so only the leader writes.
 */
export class Manager {
  readonly queue = new WorkQueue();
  readonly crs: Informer<GoAssistDeployment & KubeObject>;
  readonly children = new Map<ChildKind, Informer<KubeObject>>();
  readonly reconciler: Reconciler;
  private gatewayApi = false;
  private gatewayApiCheckedAt = 0;
  private gatewayApiCheck: Promise<void> | undefined;
  private workersAbort: AbortController | undefined;
  private workerLoops: Promise<void>[] = [];

  constructor(private readonly opts: ManagerOptions) {
    const informerLog = (msg: string, fields?: Record<string, unknown>) => opts.log?.('warn', msg, fields);
    this.crs = new Informer(opts.client, {
      kind: KINDS.GoAssistDeployment,
      namespace: opts.namespace,
      log: informerLog,
    });
    this.crs.addHandlers({
      onAdd: (o) => this.enqueue(o.metadata.namespace, o.metadata.name),
      onUpdate: (o, old) => {
        if (onlyStatusChanged(o, old)) return;
        this.enqueue(o.metadata.namespace, o.metadata.name);
      },
      onDelete: (o) => this.enqueue(o.metadata.namespace, o.metadata.name),
    });
    const events = new EventRecorder(opts.client, 'goassist.io/operator', opts.identity);
    this.reconciler = new Reconciler({
      client: opts.client,
      world: this.world(),
      recordEvent: (target, e) => events.record(target, e),
      log: (msg, fields) => opts.log?.('info', msg, fields),
    });
  }

  private childInformer(kind: ChildKind): Informer<KubeObject> {
    const inf = new Informer<KubeObject>(this.opts.client, {
      kind: KINDS[kind] as KindRef,
      namespace: this.opts.namespace,
      labelSelector: LABEL_DEPLOYMENT,
      indexKeys: (o) => (o.metadata.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid),
      log: (msg, fields) => this.opts.log?.('warn', msg, fields),
    });
    const owner = (o: KubeObject) =>
      this.enqueue(o.metadata.namespace, o.metadata.labels?.[LABEL_DEPLOYMENT]);
    inf.addHandlers({
      onAdd: owner,
      onUpdate: owner,
      onDelete: (o) => {
        this.reconciler.forget(o);
        owner(o);
      },
    });
    return inf;
  }

  private world(): World {
    return {
      cr: (ns, name) => this.crs.get(ns, name),
      // A uid is unique cluster-wide; the namespace check only guards against a forged owner reference.
      owned: (kind, ns, uid) =>
        this.children
          .get(kind)
          ?.byIndex(uid)
          .filter((o) => o.metadata.namespace === ns) ?? [],
      gatewayApiAvailable: () => {
        if (!this.gatewayApi) this.rediscoverGatewayApi();
        return this.gatewayApi;
      },
    };
  }

  enqueue(namespace: string | undefined, name: string | undefined): void {
    if (!name) return;
    this.queue.add(keyOf(namespace, name));
    this.opts.metrics?.queueDepth.set(this.queue.length);
  }

  /** Discovers optional APIs, starts every informer and waits for their first list. */
  async startInformers(): Promise<void> {
    this.gatewayApi = await this.served(KINDS.HTTPRoute);
    for (const kind of CHILD_KINDS) {
      if (kind === 'HTTPRoute' && !this.gatewayApi) continue;
      this.children.set(kind, this.childInformer(kind));
    }
    const all = [this.crs, ...this.children.values()];
    for (const inf of all) inf.start();
    await Promise.all(all.map((i) => i.waitForSync()));
    this.opts.log?.('info', 'caches synced', { crs: this.crs.size, gatewayApi: this.gatewayApi });
  }

  /**
   * The Gateway API CRDs may be installed after the operator started: look again (at most every
   * 30 s, in the background), and once they are served start watching HTTPRoutes and look at every CR.
   */
  private rediscoverGatewayApi(): void {
    if (this.gatewayApiCheck || Date.now() - this.gatewayApiCheckedAt < MISSING_API_RECHECK_MS) return;
    this.gatewayApiCheckedAt = Date.now();
    this.gatewayApiCheck = (async () => {
      try {
        if (!(await this.served(KINDS.HTTPRoute))) return;
        const inf = this.childInformer('HTTPRoute');
        this.children.set('HTTPRoute', inf);
        inf.start();
        await inf.waitForSync();
        this.gatewayApi = true;
        this.opts.log?.('info', 'Gateway API found; watching HTTPRoutes');
        for (const cr of this.crs.list()) this.enqueue(cr.metadata.namespace, cr.metadata.name);
      } catch (err) {
        this.opts.log?.('warn', 'Gateway API discovery failed', { error: (err as Error).message });
      } finally {
        this.gatewayApiCheck = undefined;
      }
    })();
  }

  private async served(ref: KindRef): Promise<boolean> {
    try {
      const list = await this.opts.client.request<{ resources: Array<{ name: string }> }>(
        'GET',
        resourcePath(ref).replace(`/${ref.plural}`, ''),
      );
      return list.resources.some((r) => r.name === ref.plural);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  hasSynced(): boolean {
    return this.crs.hasSynced() && [...this.children.values()].every((i) => i.hasSynced());
  }

  /** Leadership gained: start the workers and look at every CR once. */
  startWorkers(): void {
    if (this.workersAbort) return;
    const abort = new AbortController();
    this.workersAbort = abort;
    for (const cr of this.crs.list()) this.enqueue(cr.metadata.namespace, cr.metadata.name);
    const n = this.opts.workers ?? 4;
    this.workerLoops = Array.from({ length: n }, () => this.work(abort.signal));
  }

  /** Leadership lost or shutting down: in-flight passes are aborted; queued keys wait for the next leader term. */
  async stopWorkers(): Promise<void> {
    const abort = this.workersAbort;
    if (!abort) return;
    this.workersAbort = undefined;
    abort.abort();
    await Promise.all(this.workerLoops);
    this.workerLoops = [];
  }

  private async work(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const key = await this.queue.get(signal);
      if (key === undefined) return;
      if (signal.aborted) {
        // Not ours to process any more: hand it back for the next leader term.
        this.queue.done(key);
        this.queue.add(key);
        return;
      }
      this.opts.metrics?.queueDepth.set(this.queue.length);
      const [ns, name] = key.split('/') as [string, string];
      const stop = this.opts.metrics?.duration.startTimer();
      try {
        const result = await this.reconciler.reconcile(ns, name, signal);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        this.opts.metrics?.reconciles.inc({ result: 'success' });
      } catch (err) {
        if (signal.aborted) {
          this.queue.done(key);
          this.queue.add(key);
          continue;
        }
        const delay = this.queue.addRateLimited(key);
        this.opts.metrics?.reconciles.inc({ result: 'error' });
        this.opts.metrics?.errors.inc();
        this.opts.log?.('error', 'reconcile failed; retrying', {
          key,
          error: (err as Error).message,
          retryInMs: delay,
        });
      } finally {
        stop?.();
      }
      this.queue.done(key);
    }
  }

  async stop(): Promise<void> {
    await this.stopWorkers();
    await this.gatewayApiCheck;
    this.queue.shutdown();
    await Promise.all([this.crs.stop(), ...[...this.children.values()].map((i) => i.stop())]);
  }
}
