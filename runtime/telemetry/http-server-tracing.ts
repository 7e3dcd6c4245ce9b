/**
 * One SERVER span per HTTP request of the runtime's fastify app, continuing the caller's W3C trace
 * context. Span names use the route template (`GET /sessions/:id`), never the raw URL.
 *
 * Never recorded: query strings (the stream URL may carry `?token=`), headers (Authorization,
 * cookies, X-Session-Token, CSRF tokens), bodies, client addresses.
 */
import { SpanKind, SpanStatusCode, context, propagation, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const spans = new WeakMap<FastifyRequest, Span>();

/** Adds the tracing hooks to the root instance (call before routes are registered). */
export function traceHttpServer(app: FastifyInstance, tracer: Tracer): void {
  app.addHook('onRequest', async (request) => {
    const parent = propagation.extract(context.active(), request.headers, {
      get: (carrier, key) => carrier[key],
      keys: (carrier) => Object.keys(carrier),
    });
    const route = request.routeOptions.url;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?')[0] ?? '/',
          'url.scheme': request.protocol,
          ...(route ? { 'http.route': route } : {}),
        },
      },
      parent,
    );
    spans.set(request, span);
  });
  app.addHook('onError', async (request, _reply, error) => {
    const span = spans.get(request);
    if (span) span.recordException(error);
  });
  const end = (request: FastifyRequest, statusCode: number | undefined): void => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    if (statusCode !== undefined) {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  app.addHook('onResponse', async (request, reply) => end(request, reply.statusCode));
  app.addHook('onRequestAbort', async (request) => end(request, undefined));
}

/** The span of a request (e.g. to parent work it starts). */
export function requestSpan(request: FastifyRequest): Span | undefined {
  return spans.get(request);
}
