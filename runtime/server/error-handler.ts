/**
 * The one error handler: every failure leaves as `{"error":{"code","message"}}` with the right
 * status, whether it came from our typed errors, zod, fastify's body parsing or a bug.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { AppError, ERROR_CODES } from '../errors.js';
import type { ErrorCode } from '../errors.js';

export function errorBody(code: ErrorCode, message: string): { error: { code: ErrorCode; message: string } } {
  return { error: { code, message } };
}

/** fastify's own error codes that a client can cause, with the status and stable code we answer. */
const FASTIFY_ERRORS: Record<string, [number, ErrorCode, string?]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, ERROR_CODES.unsupportedMediaType, 'send application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, ERROR_CODES.badRequest],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, ERROR_CODES.payloadTooLarge],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, ERROR_CODES.invalidJson],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, ERROR_CODES.invalidJson],
  FST_ERR_BAD_URL: [400, ERROR_CODES.badRequest, 'malformed URL'],
  FST_ERR_ASYNC_CONSTRAINT: [400, ERROR_CODES.badRequest],
};

export function zodMessage(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      const where = i.path.length > 0 ? i.path.join('.') : 'body';
      if (i.code === 'unrecognized_keys') return `unknown field(s): ${i.keys.join(', ')}`;
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) request.log.warn({ code: err.code }, err.message);
      return reply.code(err.statusCode).headers(err.headers).send(errorBody(err.code, err.message));
    }
    if (err instanceof ZodError) {
      return reply.code(400).send(errorBody(ERROR_CODES.validationFailed, zodMessage(err)));
    }
    const fe = err as FastifyError;
    const known = fe.code !== undefined ? FASTIFY_ERRORS[fe.code] : undefined;
    if (known !== undefined) {
      const [status, code, message] = known;
      return reply.code(status).send(errorBody(code, message ?? fe.message));
    }
    if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send(errorBody(ERROR_CODES.badRequest, fe.message));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody(ERROR_CODES.internal, 'internal error'));
  });

  app.setNotFoundHandler((request, reply) => {
    return reply
      .code(404)
      .send(errorBody(ERROR_CODES.notFound, `no route ${request.method} ${request.url.split('?')[0] ?? ''}`));
  });
}
