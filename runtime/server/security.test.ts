/** Production mode: CSRF before auth, API keys, rate limits, HSTS, secure cookies, redacted logs. */
import { startTestRuntime } from './test/harness.js';
import type { TestRuntime } from './test/harness.js';

const KEY = 'prod-api-key-0123456789';
const PROD = { ENVIRONMENT: 'production', API_KEYS: KEY, RATE_LIMIT_SESSIONS_PER_MINUTE: '1000' };

let rt: TestRuntime;
afterEach(async () => rt.close());

async function csrfPair(): Promise<{ token: string; cookie: string; setCookie: string }> {
  const res = await rt.inject('/csrf');
  expect(res.statusCode).toBe(200);
  const setCookie = String(res.headers['set-cookie']);
  const cookie = setCookie.split(';')[0]!;
  return { token: res.json().csrf_token, cookie, setCookie };
}

describe('production mode', () => {
  beforeEach(async () => {
    rt = await startTestRuntime(PROD);
  });

  it('refuses a browser POST without a CSRF token with 403, before authentication', async () => {
    const res = await rt.inject({ method: 'POST', url: '/sessions', payload: {} });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: 'csrf_invalid', message: expect.any(String) } });
  });

  it('refuses a CSRF header that does not match the cookie', async () => {
    const { cookie } = await csrfPair();
    const other = await csrfPair();
    const res = await rt.inject({
      method: 'POST',
      url: '/sessions',
      headers: { cookie, 'x-csrf-token': other.token },
      payload: {},
    });
    expect(res.statusCode).toBe(403);
  });

  it('refuses a forged cookie/header pair not issued by this server', async () => {
    const forged = 'AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
    const res = await rt.inject({
      method: 'POST',
      url: '/sessions',
      headers: { cookie: `csrf_token=${forged}`, 'x-csrf-token': forged },
      payload: {},
    });
    expect(res.statusCode).toBe(403);
  });

  it('with a valid CSRF pair but no API key: 401', async () => {
    const { token, cookie } = await csrfPair();
    const res = await rt.inject({
      method: 'POST',
      url: '/sessions',
      headers: { cookie, 'x-csrf-token': token },
      payload: {},
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });

  it('a wrong API key is 401 (no CSRF needed with a key), the right one creates a session', async () => {
    const wrong = await rt.inject({
      method: 'POST',
      url: '/sessions',
      headers: { authorization: 'Bearer not-the-key-at-all-0000' },
      payload: {},
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('unauthorized');
    const right = await rt.inject({
      method: 'POST',
      url: '/sessions',
      headers: { authorization: `Bearer ${KEY}` },
      payload: {},
    });
    expect(right.statusCode).toBe(201);
    const list = await rt.inject({ url: '/sessions' });
    expect(list.statusCode).toBe(401);
    expect(
      (await rt.inject({ url: '/sessions', headers: { authorization: `Bearer ${KEY}` } })).statusCode,
    ).toBe(200);
  });

  it('sends HSTS and sets the CSRF cookie Secure, HttpOnly, SameSite=Strict', async () => {
    const res = await rt.inject('/livez');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const { setCookie } = await csrfPair();
    expect(setCookie).toMatch(/csrf_token=[^;]+/);
    expect(setCookie).toContain('Secure');
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
  });

  it('keeps probes and /metrics open without credentials', async () => {
    for (const path of ['/livez', '/readyz', '/health', '/metrics'])
      expect((await rt.inject(path)).statusCode).toBe(200);
  });
});

describe('rate limits', () => {
  it('429 with Retry-After in the contract shape after a burst of session creations', async () => {
    rt = await startTestRuntime({ ...PROD, RATE_LIMIT_SESSIONS_PER_MINUTE: '5' });
    const auth = { authorization: `Bearer ${KEY}` };
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 8; i++) {
      const res = await rt.inject({ method: 'POST', url: '/sessions', headers: auth, payload: {} });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) limited = res;
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited!.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    expect((await rt.inject('/livez')).statusCode).toBe(200); // probes are exempt
  });

  it('429 under a burst of general requests; probes and /metrics exempt', async () => {
    rt = await startTestRuntime({ RATE_LIMIT_REQUESTS_PER_MINUTE: '10' });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await rt.inject('/sessions')).statusCode);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    for (let i = 0; i < 20; i++) {
      expect((await rt.inject('/readyz')).statusCode).toBe(200);
      expect((await rt.inject('/metrics')).statusCode).toBe(200);
    }
  });
});

describe('behind a proxy (TRUST_PROXY)', () => {
  it('rate-limits per forwarded client and builds wss:// stream URLs', async () => {
    rt = await startTestRuntime({ TRUST_PROXY: '127.0.0.1', RATE_LIMIT_SESSIONS_PER_MINUTE: '2' });
    const post = (ip: string) =>
      rt.inject({
        method: 'POST',
        url: '/sessions',
        headers: {
          'x-forwarded-for': ip,
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'voice.example.com',
        },
      });
    const a = [await post('203.0.113.1'), await post('203.0.113.1'), await post('203.0.113.1')];
    expect(a.map((r) => r.statusCode)).toEqual([201, 201, 429]);
    expect((await post('203.0.113.2')).statusCode).toBe(201);
    expect(a[0]!.json().stream_url).toBe(
      `wss://voice.example.com/sessions/${a[0]!.json().session_id}/stream`,
    );
  });

  it('ignores forwarded headers from an untrusted peer', async () => {
    rt = await startTestRuntime({ RATE_LIMIT_SESSIONS_PER_MINUTE: '1' });
    const post = (ip: string) =>
      rt.inject({
        method: 'POST',
        url: '/sessions',
        headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' },
      });
    const first = await post('203.0.113.1');
    expect(first.json().stream_url).toMatch(/^ws:\/\/127\.0\.0\.1:/);
    expect((await post('203.0.113.2')).statusCode).toBe(429); // same real peer, whatever it claims
  });
});

describe('development defaults', () => {
  it('has no HSTS and no CSRF requirement', async () => {
    rt = await startTestRuntime({ ENVIRONMENT: 'development' });
    const res = await rt.inject({ method: 'POST', url: '/sessions', payload: {} });
    expect(res.statusCode).toBe(201);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('enforces CSRF when CSRF_ENABLED=true, and accepts a matching pair', async () => {
    rt = await startTestRuntime({ CSRF_ENABLED: 'true' });
    expect((await rt.inject({ method: 'POST', url: '/sessions', payload: {} })).statusCode).toBe(403);
    const { token, cookie } = await csrfPair();
    const ok = await rt.inject({
      method: 'POST',
      url: '/sessions',
      headers: { cookie, 'x-csrf-token': token },
      payload: {},
    });
    expect(ok.statusCode).toBe(201);
    const del = await rt.inject({ method: 'DELETE', url: `/sessions/${ok.json().session_id}` });
    expect(del.statusCode).toBe(403);
  });
});

describe('log redaction', () => {
  it('never writes credentials, cookies or tokens to the log', async () => {
    rt = await startTestRuntime({ ...PROD, LOG_LEVEL: 'trace' });
    const { token: csrf, cookie } = await csrfPair();
    const created = await rt.inject({
      method: 'POST',
      url: '/sessions',
      headers: { authorization: `Bearer ${KEY}` },
      payload: {},
    });
    const { session_id: id, token } = created.json();
    await rt.inject({
      method: 'POST',
      url: '/sessions',
      headers: { authorization: 'Bearer wrong-key-value-123456', cookie, 'x-csrf-token': csrf },
    });
    await rt.inject({ url: `/sessions/${id}/stream?token=${token}`, headers: { 'x-session-token': token } });
    await rt.inject({ url: `/sessions/${id}/stream?token=${token}` });
    const text = rt.logs.join('\n');
    expect(rt.logs.length).toBeGreaterThan(5);
    for (const secret of [
      KEY,
      'wrong-key-value-123456',
      csrf,
      token,
      cookie.split('=')[1]!,
      rt.config.SESSION_SECRET,
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
    expect(text).toContain(`/sessions/${id}/stream?token=[redacted]`);
  });
});
