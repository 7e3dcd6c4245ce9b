/**
 * Typed errors of the runtime's HTTP and session layers. Every error a client can see carries a
 * stable `code` (part of the API: clients branch on it) and an HTTP status; the one error handler
 * (runtime/server/error-handler.ts) turns them into `{"error":{"code","message"}}`.
 */

export const ERROR_CODES = {
  badRequest: 'bad_request',
  invalidJson: 'invalid_json',
  validationFailed: 'validation_failed',
  invalidSessionId: 'invalid_session_id',
  unauthorized: 'unauthorized',
  csrfInvalid: 'csrf_invalid',
  originNotAllowed: 'origin_not_allowed',
  invalidToken: 'invalid_token',
  notFound: 'not_found',
  sessionNotFound: 'session_not_found',
  methodNotAllowed: 'method_not_allowed',
  upgradeRequired: 'upgrade_required',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  rateLimited: 'rate_limited',
  internal: 'internal_error',
  atCapacity: 'at_capacity',
  notReady: 'not_ready',
  draining: 'draining',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class AppError extends Error {
  override readonly name: string = 'AppError';
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code: ErrorCode = ERROR_CODES.badRequest): AppError =>
  new AppError(400, code, message);

export const unauthorized = (
  message = 'a valid API key is required (Authorization: Bearer <key>)',
): AppError => new AppError(401, ERROR_CODES.unauthorized, message);

export const forbidden = (code: ErrorCode, message: string): AppError => new AppError(403, code, message);

export const sessionNotFound = (id: string): AppError =>
  new AppError(
    404,
    ERROR_CODES.sessionNotFound,
    `no session ${id} on this server (it ended or lives on another pod)`,
  );

export const serviceUnavailable = (code: ErrorCode, message: string, retryAfterSeconds: number): AppError =>
  new AppError(503, code, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/** The session state machine refused a transition (a pipeline bug, never a client error). */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  readonly code = 'illegal_transition';
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`illegal session state transition ${from} -> ${to}`);
  }
}

/** A configuration value was invalid; `message` is one line naming the variable and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
}
