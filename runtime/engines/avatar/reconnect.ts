/**
 * Reconnect schedule of an optional upstream: after a failure the engine is `down` and probes again
 * after a delay that doubles per consecutive failure (with jitter) up to a cap; a success resets it.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

export class Backoff {
  private failures = 0;

  constructor(private readonly opts: BackoffOptions = DEFAULT_BACKOFF) {}

  /** Records a failure and returns the delay before the next attempt. */
  fail(): number {
    const exp = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** this.failures);
    this.failures += 1;
    // Up to 20% jitter so many pods do not reconnect in lockstep.
    return Math.round(exp * (0.8 + Math.random() * 0.2));
  }

  succeed(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
