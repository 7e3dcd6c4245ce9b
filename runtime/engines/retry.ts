/**
 * The one retry helper of the engines (STYLE.md "One retry helper").
 *
 * `fn` makes the request itself, so every try really re-sends it. Only errors that
 * `isRetryable` accepts are retried, with jittered exponential backoff; an abort of `signal`
 * stops at once, also while waiting between tries.
 */
export interface RetryOptions {
  /** Extra tries after the first (0 = one try only). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  signal: AbortSignal;
  isRetryable: (err: unknown) => boolean;
  /** A server-given wait (e.g. `Retry-After`) that replaces the computed backoff, capped at `maxDelayMs`. */
  delayHintMs?: (err: unknown) => number | undefined;
  /** Called before each wait; for logs and tests. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(opts.signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal.aborted) throw abortErrorOf(opts.signal);
      if (attempt >= opts.retries || !opts.isRetryable(err)) throw err;
      const delayMs = retryDelayMs(attempt, opts, err);
      opts.onRetry?.(err, attempt, delayMs);
      await sleep(delayMs, opts.signal);
    }
  }
}

/** Backoff of try `attempt` (0-based): half fixed, half random, so clients that failed together spread out. */
export function backoffMs(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function retryDelayMs(attempt: number, opts: RetryOptions, err: unknown): number {
  const hint = opts.delayHintMs?.(err);
  if (hint !== undefined && Number.isFinite(hint) && hint >= 0) return Math.min(hint, opts.maxDelayMs);
  return backoffMs(attempt, opts.baseDelayMs, opts.maxDelayMs);
}

/** The error an aborted signal ends work with: its reason when that is an AbortError, else a fresh one. */
export function abortErrorOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  // A plain Error named AbortError (not a DOMException): it is `instanceof Error` in every realm.
  const err = new Error('The operation was aborted', { cause: reason });
  err.name = 'AbortError';
  return err;
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortErrorOf(signal);
}

/** Waits `ms`, rejecting with an AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortErrorOf(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortErrorOf(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
