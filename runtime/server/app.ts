/**
 * `buildApp(deps)`: the runtime's fastify app, not listening. Shared infrastructure (security
 * headers, cookies, rate limit, WebSocket, errors, request ids) sits on the root; route groups are
 * encapsulated plugins, so the sessions API's CSRF and API-key hooks touch nothing else.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyWebsocket from '@fastify/websocket';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { AppError, ERROR_CODES } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { SessionTokenSigner } from '../session/token.js';
import { traceHttpServer } from '../telemetry/http-server-tracing.js';
import { ApiKeys } from './auth.js';
import { CsrfTokens } from './csrf.js';
import type { TrustProxy } from '../config/index.js';
import type { AppDeps } from './deps.js';
import { errorBody, installErrorHandlers } from './error-handler.js';
import { openApiDocument } from './openapi.js';
import { requestIdFor } from './request-id.js';
import { csrfRoutes } from './routes/csrf.js';
import { metricsRoutes } from './routes/metrics.js';
import { probeRoutes } from './routes/probes.js';
import { sessionRoutes } from './routes/sessions.js';
import { MAX_FRAME_BYTES, selectProtocol, streamRoutes } from './routes/stream.js';
import { webClientRoutes } from './routes/web-client.js';

export type { AppDeps } from './deps.js';

export const WEB_CLIENT_DIR = join(packageRoot(), 'examples', 'web-client');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const production = config.ENVIRONMENT === 'production';

  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    genReqId: requestIdFor,
    return503OnClosing: true,
  });

  if (deps.tracer !== undefined) traceHttpServer(app, deps.tracer);
  installErrorHandlers(app);
  installJsonParser(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'", 'blob:'],
        workerSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'none'"],
        ...(production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: config.RATE_LIMIT_REQUESTS_PER_MINUTE > 0,
    max: Math.max(1, config.RATE_LIMIT_REQUESTS_PER_MINUTE),
    timeWindow: 60_000,
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        429,
        ERROR_CODES.rateLimited,
        `rate limit of ${context.max} per minute exceeded; retry later`,
        {
          'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))),
        },
      ),
  });
  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_FRAME_BYTES, handleProtocols: (offered) => selectProtocol(offered) },
  });

  const signer = new SessionTokenSigner(config.SESSION_SECRET);
  const csrf = new CsrfTokens(config.SESSION_SECRET);
  const apiKeys = new ApiKeys(config.API_KEYS);

  await app.register(probeRoutes, deps);
  await app.register(metricsRoutes, deps);
  await app.register(csrfRoutes, { ...deps, csrf });
  await app.register(sessionRoutes, { ...deps, signer, csrf, apiKeys });
  await app.register(streamRoutes, { ...deps, signer });
  const openApi = openApiDocument();
  app.get('/openapi.json', async () => openApi);
  if (existsSync(WEB_CLIENT_DIR)) await app.register(webClientRoutes, { root: WEB_CLIENT_DIR });

  return app;
}

/** A hop count becomes the equivalent function (fastify's types take no number). */
function trustProxyOption(v: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof v === 'number' ? (_address, hop) => hop < v : v;
}

/**
 * JSON only (anything else is 415), and an empty body counts as no body, so `POST /sessions`
 * works with or without `{}`.
 */
function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new AppError(400, ERROR_CODES.invalidJson, 'request body is not valid JSON'), undefined);
    }
  });
}

export { errorBody };
