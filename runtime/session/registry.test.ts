import { jest } from '@jest/globals';
import { pino } from 'pino';
import { AppError, IllegalTransitionError } from '../errors.js';
import { scriptedVoiceRuntime } from '../server/test/scripted-voice-runtime.js';
import { createRuntimeMetrics } from '../telemetry/metrics.js';
import { SessionRegistry } from './registry.js';
import type { RegistryOptions } from './registry.js';
import { CLOSE_CODES } from './session.js';
import type { SocketHandle } from './session.js';

function setup(overrides: Partial<RegistryOptions> = {}) {
  const voice = scriptedVoiceRuntime();
  const metrics = createRuntimeMetrics({ revision: 'test', maxSessions: 3, processMetrics: false });
  const registry = new SessionRegistry({
    maxSessions: 3,
    idleTimeoutMs: 10_000,
    maxDurationMs: 60_000,
    retryAfterSeconds: 5,
    conversationFactory: voice.conversationFactory,
    metrics,
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
  return { registry, voice, metrics };
}

function socket(): SocketHandle & { closed: [number, string][] } {
  const closed: [number, string][] = [];
  return { closed, close: (code, reason) => closed.push([code, reason]) };
}

const transport = { sendEvent: () => {}, sendAudio: () => {}, bufferedBytes: () => 0 };
const opts = { inputSampleRate: 16000 };

async function counter(
  metrics: ReturnType<typeof setup>['metrics'],
  name: string,
  labels: Record<string, string> = {},
) {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  return m.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0;
}

describe('session registry', () => {
  afterEach(() => jest.useRealTimers());

  it('admits up to the slot count, then 503 at_capacity with Retry-After', async () => {
    const { registry } = setup();
    const ids = [registry.admit(opts), registry.admit(opts), registry.admit(opts)].map((s) => s.id);
    expect(new Set(ids).size).toBe(3);
    let err: unknown;
    try {
      registry.admit(opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ statusCode: 503, code: 'at_capacity', headers: { 'retry-after': '5' } });
    await registry.end(ids[0]!, 'deleted');
    expect(registry.admit(opts).id).not.toBe(ids[0]);
  });

  it('refuses new sessions while draining and tells when the last one ends', async () => {
    const { registry } = setup();
    const s = registry.admit(opts);
    registry.startDraining();
    expect(() => registry.admit(opts)).toThrow(
      expect.objectContaining({ code: 'draining', statusCode: 503 }),
    );
    let empty = false;
    void registry.whenEmpty().then(() => (empty = true));
    await Promise.resolve();
    expect(empty).toBe(false);
    await registry.end(s.id, 'deleted');
    await Promise.resolve();
    expect(empty).toBe(true);
  });

  it('creates the conversation on first attach and resumes it on reconnect', () => {
    const { registry, voice } = setup();
    const s = registry.admit(opts);
    const a = socket();
    registry.attach(s, a, transport);
    registry.detach(s, a);
    registry.attach(s, socket(), transport);
    expect(voice.conversations).toHaveLength(1);
    expect(voice.conversations[0]).toMatchObject({ attaches: 2, detaches: 1 });
    expect(voice.conversations[0]!.ctx).toMatchObject({ sessionId: s.id, options: opts });
  });

  it('replaces an older socket with a newer attach (4409)', () => {
    const { registry, voice } = setup();
    const s = registry.admit(opts);
    const a = socket();
    const b = socket();
    registry.attach(s, a, transport);
    registry.attach(s, b, transport);
    expect(a.closed).toEqual([[CLOSE_CODES.replaced, expect.any(String)]]);
    expect(s.socket).toBe(b);
    registry.detach(s, a); // the old socket's close event must not detach the new one
    expect(s.socket).toBe(b);
    expect(voice.conversations[0]).toMatchObject({ attaches: 2, detaches: 1 });
  });

  it('validates state changes from the pipeline and counts illegal ones', async () => {
    const { registry, voice, metrics } = setup();
    const s = registry.admit(opts);
    registry.attach(s, socket(), transport);
    const ctx = voice.conversations[0]!.ctx;
    for (const state of ['listening', 'thinking', 'speaking', 'interrupted', 'listening'] as const) {
      ctx.onStateChange(state);
      expect(s.state).toBe(state);
    }
    expect(() => ctx.onStateChange('speaking')).toThrow(IllegalTransitionError);
    expect(s.state).toBe('listening');
    const s2 = registry.admit(opts);
    registry.attach(s2, socket(), transport);
    expect(() => voice.conversations[1]!.ctx.onStateChange('speaking')).toThrow(IllegalTransitionError);
    expect(await counter(metrics, 'goassist_errors_total', { type: 'illegal_transition' })).toBe(2);
  });

  it('records turn stats and metrics from onTurnCompleted', async () => {
    const { registry, voice, metrics } = setup();
    const s = registry.admit(opts);
    registry.attach(s, socket(), transport);
    const ctx = voice.conversations[0]!.ctx;
    ctx.onTurnCompleted!({ outcome: 'completed', ttfaMs: 640 });
    ctx.onTurnCompleted!({ outcome: 'interrupted' });
    ctx.onTurnCompleted!({ outcome: 'nonsense' });
    expect(s.view()).toMatchObject({
      stats: { turns: 3, last_ttfa_ms: 640, turns_by_outcome: { completed: 1, interrupted: 1, failed: 1 } },
    });
    expect(await counter(metrics, 'goassist_turns_total', { outcome: 'completed' })).toBe(1);
    expect(await counter(metrics, 'goassist_turns_total', { outcome: 'failed' })).toBe(1);
  });

  it('ends a session once: frees the slot, closes socket and conversation, counts the reason', async () => {
    const { registry, voice, metrics } = setup();
    const s = registry.admit(opts);
    const a = socket();
    registry.attach(s, a, transport);
    expect(await registry.end(s.id, 'deleted')).toBe(true);
    expect(await registry.end(s.id, 'deleted')).toBe(false);
    expect(registry.size).toBe(0);
    expect(a.closed).toEqual([[1000, 'session ended']]);
    expect(voice.conversations[0]!.closed).toBe(true);
    expect(s.state).toBe('ended');
    expect(await counter(metrics, 'goassist_sessions_ended_total', { reason: 'deleted' })).toBe(1);
    expect(await counter(metrics, 'goassist_sessions_started_total')).toBe(1);
  });

  it('ends an idle session after the idle timeout, activity postpones it', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { registry } = setup({ now: () => Date.now() });
    const s = registry.admit(opts);
    const a = socket();
    registry.attach(s, a, transport);
    jest.advanceTimersByTime(6_000);
    registry.touch(s);
    jest.advanceTimersByTime(6_000);
    expect(registry.get(s.id)).toBe(s); // 12 s since creation, 6 s since activity
    jest.advanceTimersByTime(4_100);
    expect(registry.get(s.id)).toBeUndefined();
    expect(a.closed).toEqual([[CLOSE_CODES.idleTimeout, 'session idle timeout']]);
  });

  it('ends a session at its maximum length even when active', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { registry } = setup({ now: () => Date.now(), maxDurationMs: 30_000 });
    const s = registry.admit(opts);
    const a = socket();
    registry.attach(s, a, transport);
    for (let t = 0; t < 29; t++) {
      jest.advanceTimersByTime(1_000);
      registry.touch(s);
    }
    expect(registry.get(s.id)).toBe(s);
    jest.advanceTimersByTime(1_000);
    expect(registry.get(s.id)).toBeUndefined();
    expect(a.closed).toEqual([[CLOSE_CODES.maxDuration, 'maximum session length reached']]);
  });

  it('closes every session with 1012 on endAll(drain_timeout)', async () => {
    const { registry } = setup();
    const socks = [socket(), socket()];
    for (const k of socks) registry.attach(registry.admit(opts), k, transport);
    await registry.endAll('drain_timeout');
    expect(registry.size).toBe(0);
    for (const k of socks) expect(k.closed[0]?.[0]).toBe(1012);
  });
});
