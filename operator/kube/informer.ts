import type { KubeObject } from '../resources/types.js';
import type { KubeClient } from './client.js';
import { isGone, KubeApiError } from './errors.js';
import type { KindRef } from './kinds.js';
import { resourcePath } from './kinds.js';
import { Backoff } from './backoff.js';

export interface InformerHandlers<T extends KubeObject> {
  onAdd?: (obj: T) => void;
  onUpdate?: (obj: T, old: T) => void;
  onDelete?: (obj: T) => void;
}

export interface InformerOptions {
  kind: KindRef;
  /** Only this namespace; all namespaces when undefined. */
  namespace?: string;
  labelSelector?: string;
  /** Page size of the list calls. */
  pageSize?: number;
  /** Keys under which each object is also indexed (for example its owner's uid), for byIndex(). */
  indexKeys?: (obj: KubeObject) => string[];
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

interface ListResponse<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T | { kind: 'Status'; code?: number; reason?: string; message?: string };
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * List-then-watch cache of one kind. A watch that ends cleanly resumes from the last resourceVersion;
 * one that fails (410 Gone, dropped connection, API server restart) relists after a backoff, and the
 * relist reports every difference to the handlers, deletions included, so nothing is missed.
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly index = new Map<string, Map<string, T>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly abort = new AbortController();
  private readonly backoff = new Backoff(200, 30_000);
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private loop: Promise<void> | undefined;
  private resourceVersion = '';
  /** Number of full lists so far (tests observe recovery through it). */
  lists = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: InformerOptions,
  ) {}

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  /** Objects indexed under `indexKey` (see InformerOptions.indexKeys). */
  byIndex(indexKey: string): T[] {
    return [...(this.index.get(indexKey)?.values() ?? [])];
  }

  private put(key: string, obj: T | undefined): void {
    const old = this.cache.get(key);
    if (old && this.opts.indexKeys) for (const k of this.opts.indexKeys(old)) this.index.get(k)?.delete(key);
    if (obj === undefined) {
      this.cache.delete(key);
      return;
    }
    this.cache.set(key, obj);
    if (this.opts.indexKeys) {
      for (const k of this.opts.indexKeys(obj)) {
        let m = this.index.get(k);
        if (!m) this.index.set(k, (m = new Map()));
        m.set(key, obj);
      }
    }
  }

  list(filter?: (o: T) => boolean): T[] {
    const all = [...this.cache.values()];
    return filter ? all.filter(filter) : all;
  }

  get size(): number {
    return this.cache.size;
  }

  private get path(): string {
    return resourcePath(this.opts.kind, this.opts.namespace);
  }

  private log(msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(msg, { kind: this.opts.kind.kind, ...fields });
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.relist(signal);
        this.backoff.reset();
        await this.watchUntilFailure(signal);
      } catch (err) {
        if (signal.aborted) break;
        const delay = this.backoff.next();
        this.log('informer error; relisting after backoff', {
          error: (err as Error).message,
          delayMs: delay,
        });
        await sleep(delay, signal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page: ListResponse<T> = await this.client.request('GET', this.path, {
        query: { labelSelector: this.opts.labelSelector, limit: this.opts.pageSize ?? 500, continue: cont },
        signal,
      });
      const apiVersion = this.opts.kind.group
        ? `${this.opts.kind.group}/${this.opts.kind.version}`
        : this.opts.kind.version;
      for (const item of page.items) {
        // List items come without apiVersion/kind; the builders and comparisons expect them.
        item.apiVersion ??= apiVersion;
        item.kind ??= this.opts.kind.kind;
        fresh.set(keyOf(item), item);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    this.lists++;
    const old = new Map(this.cache);
    for (const k of old.keys()) if (!fresh.has(k)) this.put(k, undefined);
    for (const [k, v] of fresh) this.put(k, v);
    this.resourceVersion = rv;
    for (const [k, obj] of fresh) {
      const before = old.get(k);
      if (!before) this.emit('add', obj);
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this.emit('update', obj, before);
    }
    for (const [k, obj] of old) if (!fresh.has(k)) this.emit('delete', obj);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Watches from the current resourceVersion; returns only by throwing (or when stopped). */
  private async watchUntilFailure(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Server-side timeout spreads reconnections; a clean end just resumes from resourceVersion.
      const timeoutSeconds = 240 + Math.floor(Math.random() * 120);
      await this.client.watch(
        this.path,
        {
          labelSelector: this.opts.labelSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
        },
        (raw) => this.apply(raw as WatchEvent<T>),
        signal,
      );
    }
  }

  private apply(ev: WatchEvent<T>): void {
    if (ev.type === 'ERROR') {
      const st = ev.object as { code?: number; reason?: string; message?: string };
      const err = new KubeApiError(st.code ?? 500, st.reason ?? 'Unknown', st.message ?? 'watch error');
      if (isGone(err)) this.log('watch expired (410 Gone)');
      throw err;
    }
    const obj = ev.object as T;
    if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    obj.apiVersion ??= this.opts.kind.group
      ? `${this.opts.kind.group}/${this.opts.kind.version}`
      : this.opts.kind.version;
    obj.kind ??= this.opts.kind.kind;
    const key = keyOf(obj);
    const before = this.cache.get(key);
    if (ev.type === 'DELETED') {
      this.put(key, undefined);
      this.emit('delete', obj);
    } else {
      this.put(key, obj);
      if (before) this.emit('update', obj, before);
      else this.emit('add', obj);
    }
  }

  private emit(what: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.handlers) {
      if (what === 'add') h.onAdd?.(obj);
      else if (what === 'update') h.onUpdate?.(obj, old as T);
      else h.onDelete?.(obj);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
