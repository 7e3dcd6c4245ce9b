/**
 * The shipped entry point as a real process: start-up refusal on bad config, and the graceful
 * drain on SIGTERM with a live WebSocket.
 */
import { WebSocket } from 'ws';
import { startRuntimeChild } from './test/child.js';
import type { RuntimeChild } from './test/child.js';
import { httpClient } from './test/http-client.js';

const children: RuntimeChild[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
});

function start(env: Record<string, string>): RuntimeChild {
  const c = startRuntimeChild(env);
  children.push(c);
  return c;
}

const BASE_ENV = { HOST: '127.0.0.1', PORT: '0', SESSION_SECRET: 'process-test-secret-0123456789abcdef' };

describe('runtime process: configuration', () => {
  it.each([
    [
      { PORT: 'eighty' },
      'goassist: invalid configuration: PORT must be an integer from 0 to 65535 (got "eighty")',
    ],
    [
      { TTS_ENGINE: 'coqui' },
      'goassist: invalid configuration: TTS_BASE_URL is required when TTS_ENGINE=coqui',
    ],
    [
      { ENVIRONMENT: 'production', API_KEYS: 'k'.repeat(20) },
      'goassist: invalid configuration: SESSION_SECRET is required when ENVIRONMENT=production (32+ random characters)',
    ],
    [
      { ENVIRONMENT: 'production', SESSION_SECRET: 's'.repeat(40) },
      'goassist: invalid configuration: API_KEYS is required when ENVIRONMENT=production (or set API_KEYS_FILE)',
    ],
  ])('refuses %j with one line and exit code 78', async (env, line) => {
    const c = start(env);
    const { code } = await c.exited;
    expect(code).toBe(78);
    expect(c.stderr).toEqual([line]);
    expect(c.stdout).toEqual([]);
  });
});

describe('runtime process: drain on SIGTERM', () => {
  it('serves probes, then on SIGTERM reports draining and exits 0', async () => {
    const c = start({ ...BASE_ENV, DRAIN_TIMEOUT_SECONDS: '5' });
    const http = httpClient(`http://127.0.0.1:${await c.port}`);
    expect((await http('/livez')).json()).toEqual({ status: 'ok' });
    expect((await http('/metrics')).body).toContain('goassist_max_sessions{revision="dev"} 100');
    c.proc.kill('SIGTERM');
    const { code } = await c.exited;
    expect(code).toBe(0);
    expect(c.stdout.some((l) => l.includes('"msg":"drained"'))).toBe(true);
  });

  it('keeps a live session until the deadline, closes its socket with 1012, exits 0', async () => {
    const c = start({ ...BASE_ENV, DRAIN_TIMEOUT_SECONDS: '3' });
    const http = httpClient(`http://127.0.0.1:${await c.port}`);
    // Engines load after listen; readiness turns 200 when they are up.
    for (let i = 0; (await http('/readyz')).statusCode !== 200; i++) {
      if (i > 450) throw new Error(`runtime never became ready: ${(await http('/readyz')).body}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await http({ method: 'POST', url: '/sessions', payload: {} });
    expect(created.statusCode).toBe(201);
    const { stream_url: url, token, session_id: id } = created.json();
    const ws = new WebSocket(`${url}?token=${token}`);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });

    c.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const ready = await http('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().status).toBe('draining');
    const refused = await http({ method: 'POST', url: '/sessions', payload: {} });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.json().error.code).toBe('draining');
    // The live session goes on: the socket is open and the session is still listed.
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect((await http(`/sessions/${id}`)).statusCode).toBe(200);

    expect(await closed).toEqual({
      code: 1012,
      reason: 'server restarting: create a new session and reconnect',
    });
    const { code } = await c.exited;
    expect(code).toBe(0);
  }, 90_000);
});
