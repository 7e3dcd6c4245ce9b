/** The sessions REST API: create, list, inspect, end. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, badRequest, serviceUnavailable, sessionNotFound } from '../../errors.js';
import { isSessionId } from '../../session/ids.js';
import type { Session } from '../../session/session.js';
import type { SessionTokenSigner } from '../../session/token.js';
import { ApiKeys, apiKeyGuard } from '../auth.js';
import { CsrfTokens, csrfGuard } from '../csrf.js';
import type { AppDeps } from '../deps.js';

export const SAMPLE_RATES = [8000, 16000, 22050, 24000, 32000, 44100, 48000] as const;

export const createSessionBody = z.strictObject({
  input_sample_rate: z.literal(SAMPLE_RATES).optional(),
});

export interface SessionRouteDeps extends AppDeps {
  signer: SessionTokenSigner;
  csrf: CsrfTokens;
  apiKeys: ApiKeys;
}

const ID_PARAMS = z.object({ id: z.string() });

export function sessionFromParams(request: FastifyRequest, deps: Pick<AppDeps, 'registry'>): Session {
  const { id } = ID_PARAMS.parse(request.params);
  if (!isSessionId(id)) throw badRequest('malformed session id', ERROR_CODES.invalidSessionId);
  const session = deps.registry.get(id);
  if (session === undefined) throw sessionNotFound(id);
  return session;
}

export function streamUrl(request: FastifyRequest, sessionId: string): string {
  const scheme = request.protocol === 'https' ? 'wss' : 'ws';
  return `${scheme}://${request.host}/sessions/${sessionId}/stream`;
}

export async function sessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): Promise<void> {
  const { config, engines, registry, signer } = deps;

  // After the rate limit (onRequest) and before the body is read: CSRF first, so a browser request
  // without a token is 403 whether or not it has credentials, then the API key.
  if (config.CSRF_ENABLED) app.addHook('preParsing', csrfGuard(deps.csrf));
  app.addHook('preParsing', apiKeyGuard(deps.apiKeys));

  const sessionLimit =
    config.RATE_LIMIT_SESSIONS_PER_MINUTE > 0
      ? { max: config.RATE_LIMIT_SESSIONS_PER_MINUTE, timeWindow: 60_000 }
      : (false as const);

  app.post('/sessions', { config: { rateLimit: sessionLimit } }, async (request, reply) => {
    const body = createSessionBody.parse(request.body ?? {});
    if (!registry.draining && !engines.ready())
      throw serviceUnavailable(ERROR_CODES.notReady, 'engines are still loading; retry shortly', 5);
    const session = registry.admit({ inputSampleRate: body.input_sample_rate ?? config.INPUT_SAMPLE_RATE });
    request.log.info({ sessionId: session.id }, 'session created');
    return reply.code(201).send({
      session_id: session.id,
      state: session.state,
      token: signer.sign(session.id, session.expiresAt),
      stream_url: streamUrl(request, session.id),
      expires_at: new Date(session.expiresAt).toISOString(),
      input_sample_rate: session.options.inputSampleRate,
      output_sample_rate: config.OUTPUT_SAMPLE_RATE,
    });
  });

  app.get('/sessions', async () => ({
    sessions: registry.list().map((s) => s.view()),
    active_sessions: registry.size,
    max_sessions: registry.maxSessions,
  }));

  app.get('/sessions/:id', async (request) => sessionFromParams(request, deps).view());

  app.delete('/sessions/:id', async (request) => {
    const session = sessionFromParams(request, deps);
    await registry.end(session.id, 'deleted');
    return { session_id: session.id, state: 'ended' };
  });
}
