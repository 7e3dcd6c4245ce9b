/**
 * API keys: `Authorization: Bearer <key>`. Keys are compared as SHA-256 digests with
 * timingSafeEqual against every configured key, so neither content nor length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.js';

export function bearerToken(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

export function hasBearer(request: FastifyRequest): boolean {
  return bearerToken(request) !== undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export class ApiKeys {
  readonly #digests: Buffer[];
  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.#digests.length > 0;
  }

  matches(candidate: string): boolean {
    const d = digest(candidate);
    let ok = false;
    for (const k of this.#digests) ok = timingSafeEqual(k, d) || ok;
    return ok;
  }
}

/** preHandler-time hook (after CSRF): with API keys configured, every request needs a valid one. */
export function apiKeyGuard(keys: ApiKeys) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (!keys.enabled) return;
    const token = bearerToken(request);
    if (token === undefined || !keys.matches(token)) {
      request.log.warn(
        { headers: request.headers, reason: token === undefined ? 'missing' : 'wrong' },
        'API key rejected',
      );
      throw unauthorized();
    }
  };
}
