/** Slot admission under a real concurrent race over a real port: never over-admits. */
import { startTestRuntime } from './test/harness.js';
import type { TestRuntime } from './test/harness.js';

let rt: TestRuntime;
afterEach(async () => rt.close());

describe('admission', () => {
  it('admits exactly the free slots when 200 requests race for the last 5', async () => {
    const max = 50;
    rt = await startTestRuntime({
      MAX_CONCURRENT_SESSIONS: String(max),
      RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    });
    for (let i = 0; i < max - 5; i++)
      expect((await rt.inject({ method: 'POST', url: '/sessions' })).statusCode).toBe(201);

    const results = await Promise.all(
      Array.from({ length: 200 }, () => rt.inject({ method: 'POST', url: '/sessions', payload: {} })),
    );
    const admitted = results.filter((r) => r.statusCode === 201);
    const refused = results.filter((r) => r.statusCode === 503);
    expect(admitted).toHaveLength(5);
    expect(refused).toHaveLength(195);
    for (const r of refused) {
      expect(r.headers['retry-after']).toBe('5');
      expect(r.json().error.code).toBe('at_capacity');
    }
    expect(new Set(admitted.map((r) => r.json().session_id)).size).toBe(5);
    expect(rt.runtime.registry.size).toBe(max);
    const metrics = (await rt.inject('/metrics')).body;
    expect(metrics).toContain(`goassist_active_sessions{revision="dev"} ${max}`);

    // A slot freed by DELETE is admitted again; the next one is refused.
    await rt.inject({ method: 'DELETE', url: `/sessions/${admitted[0]!.json().session_id}` });
    expect((await rt.inject({ method: 'POST', url: '/sessions' })).statusCode).toBe(201);
    expect((await rt.inject({ method: 'POST', url: '/sessions' })).statusCode).toBe(503);
  });
});
