import { WorkQueue } from './queue.js';

describe('WorkQueue', () => {
  it('deduplicates queued keys', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key twice at once; a key added while processing comes back after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    q.done(k!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('backs off per key and forgets on success', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 35 });
    expect(q.addRateLimited('a')).toBe(10);
    expect(q.addRateLimited('a')).toBe(20);
    expect(q.addRateLimited('a')).toBe(35);
    q.forget('a');
    expect(q.failuresOf('a')).toBe(0);
    q.shutdown();
  });

  it('wakes a waiting worker and ends waiters on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    const idle = q.get();
    q.shutdown();
    expect(await idle).toBeUndefined();
  });

  it('delivers addAfter keys later, keeping the earliest timer', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 30);
    q.addAfter('a', 5000);
    expect(q.scheduled).toBe(1);
    expect(await q.get()).toBe('a');
    q.shutdown();
  });
});

describe('WorkQueue.get with a signal', () => {
  it('returns undefined for every waiter when the signal aborts, and keeps later keys', async () => {
    const q = new WorkQueue();
    const abort = new AbortController();
    const waiters = [q.get(abort.signal), q.get(abort.signal), q.get(abort.signal)];
    abort.abort();
    expect(await Promise.all(waiters)).toEqual([undefined, undefined, undefined]);
    q.add('k');
    expect(await q.get()).toBe('k');
  });
});

describe('WorkQueue overall retry budget', () => {
  it('lets a burst through at the per-key delay, then spaces retries by the bucket rate', () => {
    const q = new WorkQueue({ baseDelayMs: 1, retriesPerSecond: 10, retryBurst: 3 });
    const delays = ['a', 'b', 'c', 'd', 'e'].map((k) => q.addRateLimited(k));
    expect(delays.slice(0, 3)).toEqual([1, 1, 1]);
    expect(delays[3]).toBeGreaterThanOrEqual(90);
    expect(delays[4]).toBeGreaterThanOrEqual(190);
    q.shutdown();
  });
});
