/**
 * CSRF double-submit cookie. `GET /csrf` sets cookie `csrf_token` and returns the same value; a
 * state-changing request that does not carry an API key must echo it in `X-CSRF-Token`. The token
 * is `<nonce>.<HMAC(secret, nonce)>`, so a cookie planted by a sibling subdomain is not accepted.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, forbidden } from '../errors.js';
import { hasBearer } from './auth.js';

export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class CsrfTokens {
  readonly #secret: string;
  constructor(secret: string) {
    this.#secret = secret;
  }

  issue(): string {
    const nonce = randomBytes(18).toString('base64url');
    return `${nonce}.${this.#mac(nonce)}`;
  }

  isGenuine(token: string): boolean {
    const [nonce, mac, extra] = token.split('.');
    if (nonce === undefined || mac === undefined || extra !== undefined) return false;
    return safeEqual(mac, this.#mac(nonce));
  }

  #mac(nonce: string): string {
    return createHmac('sha256', this.#secret).update(`csrf:${nonce}`).digest('base64url');
  }
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** onRequest hook: runs before authentication, so a browser POST without a token is 403, not 401. */
export function csrfGuard(tokens: CsrfTokens) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (!STATE_CHANGING.has(request.method) || hasBearer(request)) return;
    const cookie = request.cookies[CSRF_COOKIE];
    const header = request.headers[CSRF_HEADER];
    if (cookie === undefined || typeof header !== 'string')
      throw forbidden(
        ERROR_CODES.csrfInvalid,
        'CSRF token missing: GET /csrf, then send its value in X-CSRF-Token',
      );
    if (!safeEqual(cookie, header) || !tokens.isGenuine(cookie))
      throw forbidden(ERROR_CODES.csrfInvalid, 'CSRF token does not match the csrf_token cookie');
  };
}
