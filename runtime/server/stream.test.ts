/** The session WebSocket on a real port with a real ws client. */
import { WebSocket } from 'ws';
import { SessionTokenSigner } from '../session/token.js';
import { newSessionId } from '../session/ids.js';
import { TEST_SECRET, startTestRuntime } from './test/harness.js';
import type { TestRuntime } from './test/harness.js';

let rt: TestRuntime;
afterEach(async () => rt.close());

async function createSession(): Promise<{ id: string; token: string; url: string }> {
  const res = await rt.inject({ method: 'POST', url: '/sessions', payload: {} });
  expect(res.statusCode).toBe(201);
  const b = res.json();
  return { id: b.session_id, token: b.token, url: b.stream_url };
}

interface Opened {
  ws: WebSocket;
  events: Record<string, unknown>[];
  binary: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
}

function open(
  url: string,
  opts: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<Opened> {
  const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers });
  const events: Record<string, unknown>[] = [];
  const binary: Buffer[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data, isBinary) => {
    if (isBinary) binary.push(data as Buffer);
    else events.push(JSON.parse(String(data)));
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, events, binary, closed }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
      );
    });
    ws.once('error', reject);
  });
}

async function refused(
  url: string,
  opts: Parameters<typeof open>[1] = {},
): Promise<{ status: number; code: string }> {
  try {
    const o = await open(url, opts);
    o.ws.close();
  } catch (err) {
    const e = err as { status: number; body: string };
    return { status: e.status, code: JSON.parse(e.body).error.code };
  }
  throw new Error('expected the handshake to be refused');
}

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
};

describe('session stream', () => {
  beforeEach(async () => {
    rt = await startTestRuntime({ SESSION_IDLE_TIMEOUT_SECONDS: '300' });
  });

  it.each([
    ['query parameter', (s: { url: string; token: string }) => open(`${s.url}?token=${s.token}`)],
    [
      'X-Session-Token header',
      (s: { url: string; token: string }) => open(s.url, { headers: { 'x-session-token': s.token } }),
    ],
    [
      'subprotocol',
      (s: { url: string; token: string }) =>
        open(s.url, { protocols: ['goassist.v1', `goassist.token.${s.token}`] }),
    ],
  ])('attaches with the token in the %s, and frames reach the conversation', async (_how, attach) => {
    const s = await createSession();
    const o = await attach(s);
    await until(() => o.events.length > 0);
    expect(o.events[0]).toEqual({ type: 'attached', count: 1 });
    const pcm = Buffer.from(new Int16Array([1, -2, 3, -4]).buffer);
    o.ws.send(pcm);
    o.ws.send(JSON.stringify({ type: 'state', state: 'listening' }));
    await until(() => o.binary.length > 0 && o.events.length > 1);
    expect(o.binary[0]).toEqual(pcm);
    expect(o.events[1]).toEqual({ type: 'state', state: 'listening' });
    const view = (await rt.inject(`/sessions/${s.id}`)).json();
    expect(view).toMatchObject({
      state: 'listening',
      connected: true,
      stats: { frames_in: 2, bytes_in: 8, attaches: 1 },
    });
    o.ws.close(1000);
    await o.closed;
  });

  it('answers the goassist.v1 subprotocol when offered', async () => {
    const s = await createSession();
    const o = await open(s.url, { protocols: ['goassist.v1', `goassist.token.${s.token}`] });
    expect(o.ws.protocol).toBe('goassist.v1');
    o.ws.close();
  });

  it('refuses before the upgrade: no token 401, wrong token 401, unknown session 404, bad id 400', async () => {
    const s = await createSession();
    const other = await createSession();
    expect(await refused(s.url)).toEqual({ status: 401, code: 'invalid_token' });
    expect(await refused(`${s.url}?token=${other.token}`)).toEqual({
      status: 401,
      code: 'invalid_token',
    });
    const ghost = newSessionId(); // a session this pod does not hold, with a genuine token
    const ghostToken = new SessionTokenSigner(TEST_SECRET).sign(ghost, Date.now() + 60_000);
    const ghostUrl = s.url.replace(s.id, ghost);
    expect(await refused(`${ghostUrl}?token=${ghostToken}`)).toEqual({
      status: 404,
      code: 'session_not_found',
    });
    expect(await refused(s.url.replace(s.id, 'nope') + `?token=${s.token}`)).toEqual({
      status: 400,
      code: 'invalid_session_id',
    });
    // no session was created by any of this
    expect((await rt.inject('/sessions')).json().active_sessions).toBe(2);
  });

  it('refuses a cross-site Origin (403) and accepts same-origin and localhost in development', async () => {
    const s = await createSession();
    const url = `${s.url}?token=${s.token}`;
    expect(await refused(url, { headers: { origin: 'https://evil.example.com' } })).toEqual({
      status: 403,
      code: 'origin_not_allowed',
    });
    const same = await open(url, { headers: { origin: rt.baseUrl } });
    same.ws.close(4000);
    await same.closed;
    const local = await open(url, { headers: { origin: 'http://localhost:5173' } });
    local.ws.close(4000);
    await local.closed;
  });

  it('a newer attach replaces the older socket (4409) and resumes the same conversation', async () => {
    const s = await createSession();
    const first = await open(`${s.url}?token=${s.token}`);
    const second = await open(`${s.url}?token=${s.token}`);
    expect(await first.closed).toEqual({
      code: 4409,
      reason: 'replaced by a newer connection to this session',
    });
    await until(() => second.events.length > 0);
    expect(second.events[0]).toEqual({ type: 'attached', count: 2 });
    expect(rt.voice.conversations).toHaveLength(1);
    second.ws.close(1000);
  });

  it('an abnormal close keeps the session for a reconnect; a normal close ends it', async () => {
    const s = await createSession();
    const a = await open(`${s.url}?token=${s.token}`);
    a.ws.close(4000, 'network change');
    await a.closed;
    await until(() => rt.voice.conversations[0]!.detaches === 1);
    expect((await rt.inject(`/sessions/${s.id}`)).json()).toMatchObject({ connected: false });
    const b = await open(`${s.url}?token=${s.token}`);
    await until(() => b.events.length > 0);
    expect(b.events[0]).toEqual({ type: 'attached', count: 2 });
    b.ws.close(1000);
    await b.closed;
    await until(() => rt.runtime.registry.size === 0);
    expect(rt.voice.conversations[0]!.closed).toBe(true);
    expect((await rt.inject(`/sessions/${s.id}`)).statusCode).toBe(404);
  });

  it('DELETE /sessions/{id} closes the live socket with 1000', async () => {
    const s = await createSession();
    const o = await open(`${s.url}?token=${s.token}`);
    expect((await rt.inject({ method: 'DELETE', url: `/sessions/${s.id}` })).statusCode).toBe(200);
    expect(await o.closed).toEqual({ code: 1000, reason: 'session ended' });
  });

  it('closes with 1009 on a frame above the size limit, and the server keeps serving', async () => {
    const s = await createSession();
    const o = await open(`${s.url}?token=${s.token}`);
    o.ws.send(Buffer.alloc(64 * 1024 + 1));
    expect((await o.closed).code).toBe(1009);
    expect((await rt.inject('/livez')).statusCode).toBe(200);
  });

  it('reports an illegal state change from the pipeline and keeps the state', async () => {
    const s = await createSession();
    const o = await open(`${s.url}?token=${s.token}`);
    o.ws.send(JSON.stringify({ type: 'state', state: 'speaking' }));
    await until(() => o.events.length > 1);
    expect(o.events[1]).toEqual({ type: 'error', code: 'illegal_transition' });
    expect((await rt.inject(`/sessions/${s.id}`)).json().state).toBe('idle');
    o.ws.close(1000);
  });
});

describe('session timeouts on a live socket', () => {
  it('closes an idle session with 4408', async () => {
    rt = await startTestRuntime({ SESSION_IDLE_TIMEOUT_SECONDS: '1' });
    const s = await createSession();
    const o = await open(`${s.url}?token=${s.token}`);
    expect(await o.closed).toEqual({ code: 4408, reason: 'session idle timeout' });
    expect(rt.runtime.registry.size).toBe(0);
  });

  it('closes a session at its maximum length with 4410', async () => {
    rt = await startTestRuntime({ SESSION_MAX_DURATION_SECONDS: '1' });
    const s = await createSession();
    const o = await open(`${s.url}?token=${s.token}`);
    expect(await o.closed).toEqual({ code: 4410, reason: 'maximum session length reached' });
  });
});
