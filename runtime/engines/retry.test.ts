import { backoffMs, withRetry } from './retry.js';
import { isAbortError } from './types.js';

class Retryable extends Error {}

const base = { baseDelayMs: 1, maxDelayMs: 2, isRetryable: (e: unknown) => e instanceof Retryable };

describe('withRetry', () => {
  it('calls the function again for every try, passing the attempt number', async () => {
    const attempts: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 2) throw new Retryable('again');
        return 'done';
      },
      { ...base, retries: 3, signal: new AbortController().signal },
    );
    expect(result).toBe('done');
    expect(attempts).toEqual([0, 1, 2]);
  });

  it('stops after `retries` extra tries with the last error', async () => {
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        throw new Retryable(`try ${calls}`);
      },
      { ...base, retries: 2, signal: new AbortController().signal },
    );
    await expect(run).rejects.toThrow('try 3');
    expect(calls).toBe(3);
  });

  it('never retries an error the predicate refuses', async () => {
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        throw new Error('fatal');
      },
      { ...base, retries: 5, signal: new AbortController().signal },
    );
    await expect(run).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });

  it('stops at once on abort while waiting between tries', async () => {
    const ac = new AbortController();
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        setImmediate(() => ac.abort());
        throw new Retryable('x');
      },
      { ...base, baseDelayMs: 60_000, maxDelayMs: 60_000, retries: 3, signal: ac.signal },
    );
    const err = await run.catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(calls).toBe(1);
  });

  it('does not start when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    let calls = 0;
    const err = await withRetry(async () => ++calls, { ...base, retries: 1, signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    expect(isAbortError(err)).toBe(true);
    expect(calls).toBe(0);
  });

  it('uses the server hint for the wait, capped at maxDelayMs', async () => {
    const delays: number[] = [];
    await withRetry(
      async (attempt) => {
        if (attempt === 0) throw new Retryable('429');
        return 1;
      },
      {
        ...base,
        maxDelayMs: 5,
        retries: 1,
        signal: new AbortController().signal,
        delayHintMs: () => 60_000,
        onRetry: (_e, _a, ms) => delays.push(ms),
      },
    );
    expect(delays).toEqual([5]);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt between half and all of the ceiling, never above the maximum', () => {
    expect(backoffMs(0, 100, 1000, () => 0)).toBe(50);
    expect(backoffMs(0, 100, 1000, () => 1)).toBe(100);
    expect(backoffMs(2, 100, 1000, () => 0)).toBe(200);
    expect(backoffMs(10, 100, 1000, () => 1)).toBe(1000);
  });
});
