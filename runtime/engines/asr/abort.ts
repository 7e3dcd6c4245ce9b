/**
 * The error an aborted engine call rejects with. Made here rather than passing on the signal's
 * DOMException, which belongs to another realm under VM-sandboxed loaders (jest) and then fails
 * `instanceof Error`; the signal's reason rides along as the cause.
 */
export function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}
