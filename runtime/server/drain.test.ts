/** Drain inside one process: readiness, admission and sockets during and after the deadline. */
import { WebSocket } from 'ws';
import { startTestRuntime } from './test/harness.js';
import type { TestRuntime } from './test/harness.js';

let rt: TestRuntime;
afterEach(async () => {
  if (rt.runtime.app.server.listening) await rt.close();
});

function attach(url: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

describe('drain', () => {
  it('turns readiness to draining, refuses new sessions, and closes live sockets with 1012 at the deadline', async () => {
    rt = await startTestRuntime({ DRAIN_TIMEOUT_SECONDS: '2' });
    const created = (await rt.inject({ method: 'POST', url: '/sessions' })).json();
    const live = await attach(`${created.stream_url}?token=${created.token}`);
    let closedAt = 0;
    void live.closed.then(() => (closedAt = Date.now()));

    const drained = rt.runtime.drain();
    const startedAt = Date.now();
    const ready = await rt.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'draining', active_sessions: 1 });
    const post = await rt.inject({ method: 'POST', url: '/sessions' });
    expect(post.statusCode).toBe(503);
    expect(post.headers['retry-after']).toBeDefined();
    expect(post.json().error.code).toBe('draining');

    // The live session still works during the drain.
    live.ws.send(JSON.stringify({ type: 'state', state: 'listening' }));
    await new Promise((r) => setTimeout(r, 200));
    expect((await rt.inject(`/sessions/${created.session_id}`)).json().state).toBe('listening');
    expect(closedAt).toBe(0);

    expect(await live.closed).toEqual({
      code: 1012,
      reason: 'server restarting: create a new session and reconnect',
    });
    expect(closedAt - startedAt).toBeGreaterThanOrEqual(1900);
    await drained;
    expect(rt.runtime.app.server.listening).toBe(false);
    expect(rt.voice.conversations[0]!.closed).toBe(true);
  });

  it('finishes as soon as the last session ends before the deadline', async () => {
    rt = await startTestRuntime({ DRAIN_TIMEOUT_SECONDS: '600' });
    const created = (await rt.inject({ method: 'POST', url: '/sessions' })).json();
    const live = await attach(`${created.stream_url}?token=${created.token}`);
    const drained = rt.runtime.drain();
    live.ws.close(1000); // the caller hangs up
    await drained;
    expect((await live.closed).code).toBe(1000);
    expect(rt.runtime.app.server.listening).toBe(false);
  });

  it('a second signal (hurryDrain) closes live sessions at once', async () => {
    rt = await startTestRuntime({ DRAIN_TIMEOUT_SECONDS: '600' });
    const created = (await rt.inject({ method: 'POST', url: '/sessions' })).json();
    const live = await attach(`${created.stream_url}?token=${created.token}`);
    const drained = rt.runtime.drain();
    await new Promise((r) => setTimeout(r, 100));
    rt.runtime.hurryDrain();
    expect((await live.closed).code).toBe(1012);
    await drained;
    expect(rt.runtime.app.server.listening).toBe(false);
  });
});
