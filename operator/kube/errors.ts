/** A failed call to the Kubernetes API, with the HTTP status and the API's own reason. */
export class KubeApiError extends Error {
  readonly code = 'KUBE_API_ERROR';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The API server could not be reached (refused, reset, timed out). */
export class KubeConnectionError extends Error {
  readonly code = 'KUBE_UNREACHABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409;
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && e.status === 410;
