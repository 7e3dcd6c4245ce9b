/**
 * Tracing end to end against a real OpenTelemetry Collector (built by hack/otelcol/build.sh, started
 * on loopback with a file exporter): span tree, names, attributes, links, context propagation into
 * HTTP, and HTTP server spans without secrets.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { startCollector, type CollectedSpan, type Collector } from '../../hack/otelcol/collector.js';
import { startAudio2FaceStandIn } from '../../hack/servers/audio2face.js';
import { Audio2FaceEngine } from '../engines/avatar/audio2face.js';
import { createAvatarSinkFactory } from '../engines/avatar/avatar-sink.js';
import { HTTP_CLIENT_CHANNELS, httpRequest } from '../engines/http-client.js';
import { OUTGOING_HTTP_CHANNELS } from './http-client-tracing.js';
import { traceHttpServer } from './http-server-tracing.js';
import { startTracing, type Tracing } from './tracing.js';
import { ATTR, SPAN, createOtelTurnTracer } from './turn-tracer.js';

const BUILD_TIMEOUT_MS = 20 * 60_000;

let collector: Collector;
let tracing: Tracing;
let upstream: Server;
let upstreamUrl: string;
const upstreamHeaders: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  collector = await startCollector();
  tracing = startTracing({
    endpoint: collector.httpEndpoint,
    protocol: 'http/protobuf',
    revision: 'rev-test',
    scheduledDelayMillis: 50,
    registry: new Registry(),
  });
  upstream = createServer((req, res) => {
    upstreamHeaders.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('token');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await tracing?.shutdown();
  await new Promise((r) => upstream?.close(r));
  await collector?.stop();
});

/** A token stream whose producer calls an HTTP upstream, as the LLM engine does. */
async function* llmTokens(): AsyncGenerator<string> {
  const res = await fetch(`${upstreamUrl}/v1/chat/completions?api_key=SECRET-QUERY`, {
    method: 'POST',
    headers: { authorization: 'Bearer SECRET-HEADER' },
    body: '{}',
  });
  yield await res.text();
}

function byName(spans: CollectedSpan[], traceId: string): Map<string, CollectedSpan> {
  return new Map(spans.filter((s) => s.traceId === traceId).map((s) => [s.name, s]));
}

/** Waits until the trace of the first span matching `root` holds spans with all `names`. */
function traceHas(root: (s: CollectedSpan) => boolean, names: string[]) {
  return (all: CollectedSpan[]): boolean => {
    const top = all.find(root);
    if (!top) return false;
    const inTrace = new Set(all.filter((s) => s.traceId === top.traceId).map((s) => s.name));
    return names.every((n) => inTrace.has(n));
  };
}

/** The stage's HTTP call: a CLIENT span `POST` under it, and the upstream got its traceparent. */
function expectTracedPost(tree: Map<string, CollectedSpan>, stage: string, path: string): void {
  const post = tree.get('POST')!;
  expect(post.parentSpanId).toBe(tree.get(stage)!.spanId);
  expect(post.kind).toBe(3); // SPAN_KIND_CLIENT
  expect(post.attributes).toMatchObject({
    'http.request.method': 'POST',
    'http.response.status_code': 200,
    'url.full': `${upstreamUrl}${path}`,
  });
  expect(upstreamHeaders.at(-1)?.traceparent).toBe(`00-${post.traceId}-${post.spanId}-01`);
}

function allValues(span: CollectedSpan): string {
  return JSON.stringify([span.name, span.attributes, span.events]);
}

describe('turn traces in a real collector', () => {
  it('exports a spoken turn as its own trace: turn -> stages, linked to the session span', async () => {
    const turnTracer = createOtelTurnTracer({ tracer: tracing.tracer, revision: 'rev-test' });
    const startTime = performance.now();
    const turn = turnTracer.startTurn({ sessionId: 'sess-1', turnId: 1, startTime });
    turn.stage('end_of_turn', startTime).end();
    turn.stage('asr').end();
    const llm = turn.stage('llm');
    for await (const token of llm.wrap(llmTokens())) {
      expect(token).toBe('token');
      llm.event('first_token');
    }
    llm.end();
    const tts = turn.stage('tts');
    tts.event('first_chunk');
    tts.end();
    turn.event('first_audio');
    const playout = turn.stage('playout');
    playout.end();
    turn.end('completed', { heard_chars: 5 });
    turnTracer.endSession('sess-1');
    await tracing.forceFlush();

    const spans = await collector.waitForSpans(
      (all) =>
        all.some((s) => s.name === SPAN.session) &&
        traceHas(
          (s) => s.name === SPAN.turn && s.attributes[ATTR.sessionId] === 'sess-1',
          ['end_of_turn_wait', 'asr', 'llm', 'tts', 'audio_send', 'POST'],
        )(all),
    );
    const turnSpan = spans.find((s) => s.name === SPAN.turn && s.attributes[ATTR.turnId] === 1)!;
    const session = spans.find((s) => s.name === SPAN.session)!;
    expect(turnSpan.parentSpanId).toBe('');
    expect(turnSpan.links).toEqual([{ traceId: session.traceId, spanId: session.spanId }]);
    expect(session.traceId).not.toBe(turnSpan.traceId);
    expect(turnSpan.attributes).toMatchObject({
      [ATTR.sessionId]: 'sess-1',
      [ATTR.revision]: 'rev-test',
      [ATTR.outcome]: 'completed',
      [ATTR.bargeIn]: false,
      'goassist.turn.heard_chars': 5,
    });
    expect(typeof turnSpan.attributes[ATTR.ttfaMs]).toBe('number');
    expect(turnSpan.events.map((e) => e.name)).toEqual(['first_audio']);
    expect(turnSpan.resource).toMatchObject({
      'service.name': 'goassist-runtime',
      'goassist.revision': 'rev-test',
    });

    const tree = byName(spans, turnSpan.traceId);
    for (const name of ['end_of_turn_wait', 'asr', 'llm', 'tts', 'audio_send']) {
      expect(tree.get(name)?.parentSpanId).toBe(turnSpan.spanId);
    }
    expect(tree.get('llm')!.events.map((e) => e.name)).toEqual(['first_token']);
    expect(tree.get('tts')!.events.map((e) => e.name)).toEqual(['first_chunk']);

    // The LLM's HTTP call: a CLIENT span under `llm`, and the upstream got its traceparent.
    expectTracedPost(tree, 'llm', '/v1/chat/completions');
    for (const span of spans) expect(allValues(span)).not.toContain('SECRET');
  });

  it('marks a barge-in turn, records failures as exceptions, and ends open stages with the turn', async () => {
    const turnTracer = createOtelTurnTracer({ tracer: tracing.tracer, revision: 'rev-test' });
    const turn = turnTracer.startTurn({ sessionId: 'sess-2', turnId: 7, startTime: performance.now() });
    turn.stage('asr').end(Object.assign(new Error('asr worker crashed'), { code: 'worker_crashed' }));
    turn.stage('llm');
    turn.event('first_audio');
    turn.event('clear', { reason: 'barge_in', barge_in_ms: 42 });
    turn.end('interrupted');
    await tracing.forceFlush();

    const spans = await collector.waitForSpans(
      traceHas((s) => s.name === SPAN.turn && s.attributes[ATTR.sessionId] === 'sess-2', ['asr', 'llm']),
    );
    const turnSpan = spans.find((s) => s.name === SPAN.turn && s.attributes[ATTR.sessionId] === 'sess-2')!;
    expect(turnSpan.attributes).toMatchObject({
      [ATTR.bargeIn]: true,
      [ATTR.bargeInMs]: 42,
      [ATTR.outcome]: 'interrupted',
    });
    expect(turnSpan.events.map((e) => e.name)).toEqual(['first_audio', 'clear']);
    const tree = byName(spans, turnSpan.traceId);
    const asr = tree.get('asr')!;
    expect(asr.status.code).toBe(2); // STATUS_CODE_ERROR
    expect(asr.attributes['error.type']).toBe('worker_crashed');
    expect(asr.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.message': 'asr worker crashed' },
    });
    expect(tree.get('llm')!.parentSpanId).toBe(turnSpan.spanId);
  });

  it('traces HTTP requests by route, continues the caller trace, and records no secret', async () => {
    const app = Fastify();
    traceHttpServer(app, tracing.tracer);
    app.post('/sessions/:id/stream', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const port = (app.server.address() as AddressInfo).port;
      const parentTrace = 'a'.repeat(32);
      const res = await fetch(`http://127.0.0.1:${port}/sessions/s-9/stream?token=SECRET-TOKEN`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer SECRET-KEY',
          cookie: 'csrf_token=SECRET-COOKIE',
          'x-session-token': 'SECRET-SESSION',
          'x-csrf-token': 'SECRET-CSRF',
          traceparent: `00-${parentTrace}-${'b'.repeat(16)}-01`,
        },
      });
      expect(res.status).toBe(200);
    } finally {
      await app.close();
    }
    await tracing.forceFlush();
    const spans = await collector.waitForSpans((all) =>
      all.some((s) => s.name === 'POST /sessions/:id/stream'),
    );
    const span = spans.find((s) => s.name === 'POST /sessions/:id/stream')!;
    expect(span.kind).toBe(2); // SPAN_KIND_SERVER
    expect(span.traceId).toBe('a'.repeat(32));
    expect(span.parentSpanId).toBe('b'.repeat(16));
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/sessions/:id/stream',
      'url.path': '/sessions/s-9/stream',
      'http.response.status_code': 200,
    });
    for (const s of spans) expect(allValues(s)).not.toContain('SECRET');
  });

  it("leaves outgoing calls made outside a trace alone (no span, no traceparent), by fetch or the engines' client", async () => {
    const calls = [(url: string) => fetch(url), async (url: string) => (await httpRequest(url)).cancel()];
    for (const call of calls) {
      const before = upstreamHeaders.length;
      await context.with(trace.deleteSpan(context.active()), () => call(`${upstreamUrl}/models`));
      expect(upstreamHeaders.length).toBe(before + 1);
      expect(upstreamHeaders.at(-1)?.traceparent).toBeUndefined();
    }
  });

  it("traces the engines' own HTTP client (node:http) as it traces fetch", async () => {
    expect(OUTGOING_HTTP_CHANNELS).toContainEqual(HTTP_CLIENT_CHANNELS);
    const turnTracer = createOtelTurnTracer({ tracer: tracing.tracer, revision: 'rev-test' });
    const turn = turnTracer.startTurn({ sessionId: 'sess-http', turnId: 1, startTime: performance.now() });
    const tts = turn.stage('tts');
    async function* speech(): AsyncGenerator<string> {
      const res = await httpRequest(`${upstreamUrl}/v1/audio/speech?key=SECRET-QUERY`, {
        method: 'POST',
        headers: { authorization: 'Bearer SECRET-HEADER' },
        body: '{}',
      });
      yield await res.text();
    }
    for await (const body of tts.wrap(speech())) expect(body).toBe('token');
    tts.end();
    turn.end('completed');
    turnTracer.endSession('sess-http');
    await tracing.forceFlush();

    const spans = await collector.waitForSpans(
      traceHas((s) => s.name === SPAN.turn && s.attributes[ATTR.sessionId] === 'sess-http', ['tts', 'POST']),
    );
    const turnSpan = spans.find((s) => s.name === SPAN.turn && s.attributes[ATTR.sessionId] === 'sess-http')!;
    const tree = byName(spans, turnSpan.traceId);
    expectTracedPost(tree, 'tts', '/v1/audio/speech');
    for (const span of spans) expect(allValues(span)).not.toContain('SECRET');
  });

  it('puts the avatar stream under the turn and propagates its context into the gRPC call', async () => {
    const a2f = await startAudio2FaceStandIn();
    const engine = new Audio2FaceEngine({ url: a2f.address, connectTimeoutMs: 1000 });
    try {
      await engine.init();
      const turnTracer = createOtelTurnTracer({ tracer: tracing.tracer, revision: 'rev-test' });
      const turn = turnTracer.startTurn({ sessionId: 'sess-3', turnId: 1, startTime: performance.now() });
      let done = false;
      const sink = createAvatarSinkFactory({
        engine,
        tracer: tracing.tracer,
        turnContext: (s, t) => turnTracer.turnContext(s, t),
        onStreamDone: () => (done = true),
      })({
        sessionId: 'sess-3',
        turnId: 1,
        sampleRate: 16_000,
        signal: new AbortController().signal,
        sendEvent: () => undefined,
        reportError: () => undefined,
      })!;
      sink.push(new Int16Array(1600).fill(2000));
      sink.end();
      await a2f.waitFor(() => done);
      turn.end('completed');
      await tracing.forceFlush();
      const spans = await collector.waitForSpans(
        traceHas((s) => s.name === SPAN.turn && s.attributes[ATTR.sessionId] === 'sess-3', ['avatar']),
      );
      const avatar = spans.find((s) => s.name === 'avatar')!;
      const turnSpan = spans.find((s) => s.name === SPAN.turn && s.attributes[ATTR.sessionId] === 'sess-3')!;
      expect(avatar.traceId).toBe(turnSpan.traceId);
      expect(avatar.parentSpanId).toBe(turnSpan.spanId);
      expect(avatar.attributes).toMatchObject({
        'goassist.avatar.outcome': 'completed',
        'goassist.avatar.frames': 4,
      });
      expect(a2f.calls[0]!.metadata.traceparent).toBe(`00-${avatar.traceId}-${avatar.spanId}-01`);
    } finally {
      await engine.close();
      await a2f.close();
    }
  });
});
