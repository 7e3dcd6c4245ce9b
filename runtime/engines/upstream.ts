import { abortErrorOf, throwIfAborted, withRetry } from './retry.js';
import { EngineError, type ComponentName } from './types.js';

/**
 * Streams the output of a remote engine with the rule every network engine follows:
 * the request is retried (bounded, retryable errors only) until its first output arrives,
 * never after; once output has flowed, a failure fails the turn. Each try gets its own
 * AbortController, so a timed-out or abandoned try really closes its HTTP request.
 */
export interface UpstreamOptions {
  component: ComponentName;
  /** The turn's signal (already combined with the engine's shutdown signal). */
  signal: AbortSignal;
  /** Longest wait from sending a try to its first output. */
  firstOutputTimeoutMs: number;
  /** Longest wait between two outputs once the stream has started. */
  idleTimeoutMs: number;
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Maps a failure that is neither an abort nor an EngineError to an EngineError. */
  mapError: (err: unknown) => EngineError;
  delayHintMs?: (err: unknown) => number | undefined;
}

interface OpenStream<T> {
  iterator: AsyncIterator<T>;
  controller: AbortController;
  first: IteratorResult<T>;
}

export async function* streamWithRetry<T>(
  open: (signal: AbortSignal, attempt: number) => AsyncIterable<T>,
  opts: UpstreamOptions,
): AsyncGenerator<T> {
  throwIfAborted(opts.signal);
  const opened = await withRetry((attempt) => openOnce(open, attempt, opts), {
    retries: opts.retries,
    baseDelayMs: opts.retryBaseDelayMs,
    maxDelayMs: opts.retryMaxDelayMs,
    signal: opts.signal,
    isRetryable: (err) => err instanceof EngineError && err.retryable,
    delayHintMs: opts.delayHintMs,
  });
  const { iterator, controller } = opened;
  try {
    if (opened.first.done) return;
    yield opened.first.value;
    for (;;) {
      let next: IteratorResult<T>;
      try {
        next = await nextWithin(iterator, opts.idleTimeoutMs, controller, opts, 'output');
      } catch (err) {
        throw finalError(err, opts);
      }
      if (next.done) {
        throwIfAborted(opts.signal);
        return;
      }
      yield next.value;
    }
  } finally {
    controller.abort();
    void iterator.return?.()?.catch(() => undefined);
  }
}

async function openOnce<T>(
  open: (signal: AbortSignal, attempt: number) => AsyncIterable<T>,
  attempt: number,
  opts: UpstreamOptions,
): Promise<OpenStream<T>> {
  const controller = new AbortController();
  const iterator = open(AbortSignal.any([opts.signal, controller.signal]), attempt)[Symbol.asyncIterator]();
  try {
    const first = await nextWithin(iterator, opts.firstOutputTimeoutMs, controller, opts, 'first output');
    if (first.done) throwIfAborted(opts.signal);
    return { iterator, controller, first };
  } catch (err) {
    controller.abort();
    void iterator.return?.()?.catch(() => undefined);
    if (opts.signal.aborted) throw abortErrorOf(opts.signal);
    throw err instanceof EngineError ? err : opts.mapError(err);
  }
}

/** After output has flowed nothing is retried: the error is final whatever its kind. */
function finalError(err: unknown, opts: UpstreamOptions): Error {
  if (opts.signal.aborted) return abortErrorOf(opts.signal);
  const mapped = err instanceof EngineError ? err : opts.mapError(err);
  return new EngineError(
    mapped.component,
    mapped.code,
    `${mapped.message} (after output had started)`,
    false,
    {
      cause: err,
    },
  );
}

/** `iterator.next()` bounded by a timeout and the turn's signal; either one aborts the try's request. */
function nextWithin<T>(
  iterator: AsyncIterator<T>,
  timeoutMs: number,
  controller: AbortController,
  opts: UpstreamOptions,
  what: string,
): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const { signal } = opts;
    if (signal.aborted) {
      controller.abort();
      reject(abortErrorOf(signal));
      return;
    }
    const cleanup = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      cleanup();
      reject(abortErrorOf(signal));
      controller.abort();
    };
    const timer = setTimeout(() => {
      cleanup();
      const err = new EngineError(opts.component, 'timeout', `no ${what} within ${timeoutMs} ms`, true);
      reject(err);
      controller.abort(err);
    }, timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (result) => {
        cleanup();
        resolve(result);
      },
      (err: unknown) => {
        cleanup();
        reject(err);
      },
    );
  });
}
