/**
 * Traces outgoing HTTP calls and injects W3C trace context into them, so an instrumented LLM, ASR or
 * TTS server (vLLM, ...) joins the turn's trace. Works through diagnostics channels, so engines need
 * no changes: undici's (Node's fetch, which the openai SDK uses) and the engines' own HTTP client's
 * (runtime/engines/http-client.ts, same message shapes). Only calls made inside a span get a span of
 * their own (start-up probes stay out of traces).
 *
 * Never recorded: query strings (they can hold tokens), user info, request or response headers.
 */
import diagnostics from 'node:diagnostics_channel';
import {
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { HTTP_CLIENT_CHANNELS } from '../engines/http-client.js';

interface UndiciRequest {
  method: string;
  origin: string;
  path: string;
  addHeader(name: string, value: string): unknown;
}

const spans = new WeakMap<object, Span>();

/** Channel names per client: undici's (fetch), then the engines' own HTTP client's. */
export const OUTGOING_HTTP_CHANNELS = [
  {
    create: 'undici:request:create',
    headers: 'undici:request:headers',
    done: 'undici:request:trailers',
    error: 'undici:request:error',
  },
  HTTP_CLIENT_CHANNELS,
] as const;

/** Subscribes to the clients' request channels; returns the unsubscribe function. */
export function traceOutgoingHttp(tracer: Tracer): () => void {
  const onCreate = (message: unknown): void => {
    const { request } = message as { request: UndiciRequest };
    const active = context.active();
    if (!trace.getSpan(active)?.isRecording()) return;
    const url = safeUrl(request.origin, request.path);
    const span = tracer.startSpan(
      request.method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': request.method,
          ...(url ? { 'url.full': url.full, 'server.address': url.host, 'server.port': url.port } : {}),
        },
      },
      active,
    );
    spans.set(request, span);
    propagation.inject(trace.setSpan(active, span), request, {
      set: (carrier, key, value) => void carrier.addHeader(key, value),
    });
  };
  const onHeaders = (message: unknown): void => {
    const { request, response } = message as { request: object; response: { statusCode: number } };
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 400) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', String(response.statusCode));
    }
  };
  const onDone = (message: unknown): void => {
    const { request } = message as { request: object };
    spans.get(request)?.end();
    spans.delete(request);
  };
  const onError = (message: unknown): void => {
    const { request, error } = message as { request: object; error: Error };
    const span = spans.get(request);
    if (!span) return;
    // An abort (barge-in) is a normal end of the call, not an error of the upstream.
    if (error?.name !== 'AbortError') {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
      span.setAttribute('error.type', error?.name ?? 'Error');
    }
    span.end();
    spans.delete(request);
  };
  const channels: [string, (message: unknown) => void][] = OUTGOING_HTTP_CHANNELS.flatMap((c) => [
    [c.create, onCreate],
    [c.headers, onHeaders],
    [c.done, onDone],
    [c.error, onError],
  ]);
  for (const [name, fn] of channels) diagnostics.subscribe(name, fn);
  return () => {
    for (const [name, fn] of channels) diagnostics.unsubscribe(name, fn);
  };
}

function safeUrl(origin: string, path: string): { full: string; host: string; port: number } | undefined {
  try {
    const url = new URL(path, origin);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return { full: `${url.protocol}//${url.host}${url.pathname}`, host: url.hostname, port };
  } catch {
    return undefined;
  }
}
