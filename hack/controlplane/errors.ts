/** Codes a caller can branch on; messages say what happened and what to look at. */
export type ControlPlaneErrorCode =
  | 'BUILD_FAILED'
  | 'BINARY_MISSING'
  | 'CERT_GENERATION_FAILED'
  | 'PROCESS_EXITED'
  | 'NOT_READY'
  | 'TOKEN_REQUEST_FAILED';

export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';
  constructor(
    readonly code: ControlPlaneErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
