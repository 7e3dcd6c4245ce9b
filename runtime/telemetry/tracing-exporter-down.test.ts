/**
 * A dead OTLP receiver never slows a turn: span work stays synchronous and bounded, and what cannot
 * be exported is dropped and counted (goassist_tracing_spans_dropped_total), not retried forever.
 */
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { SPANS_DROPPED_METRIC, startTracing, type OtlpProtocol } from './tracing.js';
import { createOtelTurnTracer } from './turn-tracer.js';

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

async function dropped(registry: Registry, reason: string): Promise<number> {
  const metric = await registry.getSingleMetric(SPANS_DROPPED_METRIC)!.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each<OtlpProtocol>(['http/protobuf', 'grpc'])(
  'tracing with the OTLP receiver down (%s)',
  (protocol) => {
    it('drops and counts spans instead of queueing without bound or blocking the turn', async () => {
      const registry = new Registry();
      const tracing = startTracing({
        endpoint: `http://127.0.0.1:${await closedPort()}`,
        protocol,
        revision: 'rev-down',
        registry,
        maxQueueSize: 8,
        maxExportBatchSize: 4,
        scheduledDelayMillis: 10,
        exporterTimeoutMillis: 300,
        exportTimeoutMillis: 500,
      });
      try {
        const turnTracer = createOtelTurnTracer({ tracer: tracing.tracer, revision: 'rev-down' });
        // 20 turns of 3 spans each, back to back: far more than the queue holds.
        for (let i = 1; i <= 20; i++) {
          const turn = turnTracer.startTurn({ sessionId: 's', turnId: i, startTime: performance.now() });
          turn.stage('asr').end();
          turn.event('first_audio');
          turn.end('completed');
        }
        expect(await dropped(registry, 'queue_full')).toBeGreaterThan(0);
        await waitUntil(async () => (await dropped(registry, 'export_failed')) > 0);
        const total = (await dropped(registry, 'queue_full')) + (await dropped(registry, 'export_failed'));
        expect(tracing.droppedSpans()).toBe(total);
        expect(total).toBeLessThanOrEqual(61); // 60 spans + the session span; nothing counted twice
      } finally {
        await tracing.shutdown().catch(() => undefined);
      }
    });
  },
);

describe('tracing without an endpoint', () => {
  it('is off: no provider registered, no-op spans', async () => {
    const tracing = startTracing({ endpoint: undefined, revision: 'x' });
    expect(tracing.enabled).toBe(false);
    const span = tracing.tracer.startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(tracing.droppedSpans()).toBe(0);
  });
});
