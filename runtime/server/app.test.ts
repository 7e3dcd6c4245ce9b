/** The HTTP contract on a real loopback port: shapes, bad input, request ids. */
import { METRIC } from '../../contract/metrics.js';
import { startTestRuntime } from './test/harness.js';
import type { TestRuntime } from './test/harness.js';
import type { TestRequest } from './test/http-client.js';

let rt: TestRuntime;
beforeEach(async () => {
  rt = await startTestRuntime({ GOASSIST_REVISION: 'rev-abc' });
});
afterEach(async () => rt.close());

const inject = (req: TestRequest | string) => rt.inject(req);

async function createSession(body?: unknown) {
  const res = await inject({
    method: 'POST',
    url: '/sessions',
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return res;
}

describe('probes and health', () => {
  it('GET /livez is ok', async () => {
    const res = await inject('/livez');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz follows the engines', async () => {
    let res = await inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ready',
      components: { vad: { state: 'up' }, avatar: { state: 'disabled' } },
    });
    rt.voice.setReady(false);
    res = await inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not_ready' });
  });

  it('GET /health reports components and capacity; degraded when a component is down', async () => {
    await createSession();
    let res = await inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'healthy',
      components: { vad: {}, asr: {}, llm: {}, tts: {}, avatar: {} },
      active_sessions: 1,
      max_sessions: 100,
    });
    rt.voice.setReady(false); // components report `loading`
    res = await inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'degraded' });
  });

  it('GET /health stays 200 but reads degraded when only the optional avatar is down', async () => {
    rt.voice.setAvatar({ state: 'down', engine: 'audio2face', detail: 'unavailable' });
    try {
      const res = await inject('/health');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'degraded', components: { avatar: { state: 'down' } } });
      expect((await inject('/readyz')).statusCode).toBe(200);
    } finally {
      rt.voice.setAvatar({ state: 'disabled', engine: 'none' });
    }
  });

  it('GET /metrics shows every contract metric with the revision label', async () => {
    const res = await inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of Object.values(METRIC)) expect(res.body).toContain(`# TYPE ${name} `);
    expect(res.body).toContain('goassist_max_sessions{revision="rev-abc"} 100');
    expect(res.body).toContain('goassist_active_sessions{revision="rev-abc"} 0');
    expect(res.body).toContain('goassist_component_up{component="vad",revision="rev-abc"} 1');
    expect(res.body).toContain('goassist_turns_total{outcome="completed",revision="rev-abc"} 0');
    expect(res.body).toMatch(/goassist_ttfa_seconds_bucket\{le="10",revision="rev-abc"\} 0/);
    for (const line of res.body.split('\n').filter((l) => l.startsWith('goassist_')))
      expect(line).toContain('revision="rev-abc"');
  });

  it('counts live sessions in goassist_active_sessions', async () => {
    await createSession();
    await createSession();
    const res = await inject('/metrics');
    expect(res.body).toContain('goassist_active_sessions{revision="rev-abc"} 2');
    expect(res.body).toContain('goassist_sessions_started_total{revision="rev-abc"} 2');
  });
});

describe('sessions API', () => {
  it('POST /sessions creates an idle session with a token and stream URL', async () => {
    const res = await createSession({});
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ state: 'idle', input_sample_rate: 16000, output_sample_rate: 24000 });
    expect(body.session_id).toMatch(/^sess_[A-Za-z0-9_-]{22}$/);
    expect(body.token).toMatch(/^v1\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(body.stream_url).toBe(`${rt.baseUrl.replace('http', 'ws')}/sessions/${body.session_id}/stream`);
  });

  it('POST /sessions accepts no body at all, and options', async () => {
    expect((await createSession()).statusCode).toBe(201);
    const res = await createSession({ input_sample_rate: 48000 });
    expect(res.statusCode).toBe(201);
    expect(res.json().input_sample_rate).toBe(48000);
  });

  it('GET /sessions lists, GET /sessions/{id} shows state and stats, DELETE ends', async () => {
    const { session_id: id } = (await createSession()).json();
    const list = await inject('/sessions');
    expect(list.json()).toMatchObject({
      active_sessions: 1,
      max_sessions: 100,
      sessions: [{ session_id: id, state: 'idle' }],
    });
    expect(JSON.stringify(list.json())).not.toContain('token');
    const one = await inject(`/sessions/${id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      session_id: id,
      state: 'idle',
      connected: false,
      stats: { turns: 0, last_ttfa_ms: null },
    });
    expect(Date.parse(one.json().created_at)).not.toBeNaN();
    const del = await inject({ method: 'DELETE', url: `/sessions/${id}` });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ session_id: id, state: 'ended' });
    const gone = await inject(`/sessions/${id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ error: { code: 'session_not_found', message: expect.any(String) } });
    expect((await inject({ method: 'DELETE', url: `/sessions/${id}` })).statusCode).toBe(404);
  });

  it('POST /sessions is 503 not_ready with Retry-After while engines load', async () => {
    rt.voice.setReady(false);
    const res = await createSession();
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().error.code).toBe('not_ready');
  });
});

describe('bad input gets a 4xx in the contract shape and the server keeps serving', () => {
  const cases: [string, TestRequest, number, string][] = [
    [
      'malformed JSON',
      { method: 'POST', url: '/sessions', headers: { 'content-type': 'application/json' }, payload: '{"a":' },
      400,
      'invalid_json',
    ],
    [
      'wrong content type',
      { method: 'POST', url: '/sessions', headers: { 'content-type': 'text/plain' }, payload: 'hi' },
      415,
      'unsupported_media_type',
    ],
    [
      'form content type',
      {
        method: 'POST',
        url: '/sessions',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1',
      },
      415,
      'unsupported_media_type',
    ],
    [
      'oversized body',
      {
        method: 'POST',
        url: '/sessions',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ pad: 'x'.repeat(20_000) }),
      },
      413,
      'payload_too_large',
    ],
    [
      'unknown field',
      { method: 'POST', url: '/sessions', payload: { input_sample_rate: 16000, admin: true } },
      400,
      'validation_failed',
    ],
    [
      '__proto__ field',
      {
        method: 'POST',
        url: '/sessions',
        headers: { 'content-type': 'application/json' },
        payload: '{"__proto__":{"x":1}}',
      },
      400,
      'validation_failed',
    ],
    [
      'wrong type',
      { method: 'POST', url: '/sessions', payload: { input_sample_rate: 'fast' } },
      400,
      'validation_failed',
    ],
    [
      'unsupported rate',
      { method: 'POST', url: '/sessions', payload: { input_sample_rate: 12345 } },
      400,
      'validation_failed',
    ],
    ['array body', { method: 'POST', url: '/sessions', payload: [1, 2] }, 400, 'validation_failed'],
    ['malformed id', { method: 'GET', url: '/sessions/not-an-id' }, 400, 'invalid_session_id'],
    [
      'malformed id on DELETE',
      { method: 'DELETE', url: '/sessions/..%2F..%2Fetc' },
      400,
      'invalid_session_id',
    ],
    ['unknown id', { method: 'GET', url: '/sessions/sess_AAAAAAAAAAAAAAAAAAAAAA' }, 404, 'session_not_found'],
    ['unknown route', { method: 'GET', url: '/nope' }, 404, 'not_found'],
    ['unknown method', { method: 'PUT', url: '/sessions' }, 404, 'not_found'],
    [
      'plain GET of the stream',
      { method: 'GET', url: '/sessions/sess_AAAAAAAAAAAAAAAAAAAAAA/stream?token=x' },
      401,
      'invalid_token',
    ],
  ];

  it.each(cases)('%s', async (_name, req, status, code) => {
    const res = await inject(req);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error: { code, message: expect.any(String) } });
    expect((await inject('/livez')).statusCode).toBe(200);
    expect((await createSession()).statusCode).toBe(201);
  });

  it('answers 426 for a plain GET of a stream with a valid token', async () => {
    const { session_id: id, token } = (await createSession()).json();
    const res = await inject(`/sessions/${id}/stream?token=${token}`);
    expect(res.statusCode).toBe(426);
    expect(res.json().error.code).toBe('upgrade_required');
  });
});

describe('request ids', () => {
  it('echoes a well-formed x-request-id and generates one otherwise', async () => {
    const given = await inject({ url: '/livez', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await inject({
      url: '/livez',
      headers: { 'x-request-id': 'bad id with spaces and {braces}' },
    });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const none = await inject('/livez');
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(rt.logs.some((l) => l.includes('"reqId":"abc-123"'))).toBe(false); // probes log only warnings
    await inject({ url: '/sessions', headers: { 'x-request-id': 'def-456' } });
    expect(rt.logs.some((l) => l.includes('"reqId":"def-456"'))).toBe(true);
  });
});
