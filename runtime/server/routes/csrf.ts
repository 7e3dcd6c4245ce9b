import type {} from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { CSRF_COOKIE } from '../csrf.js';
import type { CsrfTokens } from '../csrf.js';
import type { AppDeps } from '../deps.js';

export async function csrfRoutes(app: FastifyInstance, deps: AppDeps & { csrf: CsrfTokens }): Promise<void> {
  const secure = deps.config.ENVIRONMENT === 'production';
  app.get('/csrf', async (_request, reply) => {
    const token = deps.csrf.issue();
    reply.setCookie(CSRF_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure,
      maxAge: 12 * 3600,
    });
    return { csrf_token: token };
  });
}
