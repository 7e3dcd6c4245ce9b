export interface WorkQueueOptions {
  /** First retry delay of a failing key; doubles per failure. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall retry budget (token bucket over all keys), so a mass failure cannot flood the API server. */
  retriesPerSecond?: number;
  retryBurst?: number;
}

/**
 * A deduplicating work queue of keys (client-go semantics): a key is queued at most once; a key added
 * while it is being processed is processed again after `done`, never by two workers at once. Failing
 * keys come back with per-key exponential backoff; `addAfter` schedules a later look (rollout timers).
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private closed = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly retryIntervalMs: number;
  private readonly retryBurst: number;
  /** When the bucket is next full-empty: retries are scheduled no earlier than this, one interval apart. */
  private bucketAt = 0;

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 100;
    this.maxDelayMs = opts.maxDelayMs ?? 60_000;
    this.retryIntervalMs = 1000 / (opts.retriesPerSecond ?? 10);
    this.retryBurst = opts.retryBurst ?? 100;
  }

  /** Delay the overall bucket imposes on one more retry now (client-go's BucketRateLimiter). */
  private bucketDelay(now: number): number {
    // The bucket holds `retryBurst` tokens refilled one per interval; bucketAt tracks the time the
    // last reserved token becomes available.
    const earliest = now - this.retryBurst * this.retryIntervalMs;
    this.bucketAt = Math.max(this.bucketAt, earliest) + this.retryIntervalMs;
    return Math.max(0, this.bucketAt - now);
  }

  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Adds the key after a delay; an earlier pending timer for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Re-adds a key that failed, with exponential backoff per key. Returns the delay. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.max(
      Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n),
      this.bucketDelay(Date.now()),
    );
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its failure count starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Next key to process, or undefined once the queue is shut down or `signal` aborts the wait. */
  get(signal?: AbortSignal): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.closed || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (k: string | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(k);
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Keys waiting (not counting those being processed or scheduled for later). */
  get length(): number {
    return this.queue.length;
  }

  get scheduled(): number {
    return this.timers.size;
  }

  shutdown(): void {
    this.closed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
