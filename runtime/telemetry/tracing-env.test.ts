/**
 * The standard OTEL_* variables keep their meaning (the SDK reads them): service name and resource
 * attributes reach the collector, and the sampler is honoured.
 */
import { startCollector, type Collector } from '../../hack/otelcol/collector.js';
import { startTracing } from './tracing.js';

const BUILD_TIMEOUT_MS = 20 * 60_000;
let collector: Collector;

beforeAll(async () => {
  collector = await startCollector();
}, BUILD_TIMEOUT_MS);
afterAll(async () => collector?.stop());

async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('standard OTEL_* variables', () => {
  it('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES set the resource of every span', async () => {
    await withEnv(
      {
        OTEL_SERVICE_NAME: 'voice-eu',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging,team=voice',
      },
      async () => {
        const tracing = startTracing({ endpoint: collector.grpcEndpoint, protocol: 'grpc', revision: 'r1' });
        tracing.tracer.startSpan('env-check').end();
        await tracing.shutdown();
      },
    );
    const spans = await collector.waitForSpans((all) => all.some((s) => s.name === 'env-check'));
    expect(spans.find((s) => s.name === 'env-check')!.resource).toMatchObject({
      'service.name': 'voice-eu',
      'deployment.environment': 'staging',
      team: 'voice',
      'goassist.revision': 'r1',
    });
  });

  it('OTEL_TRACES_SAMPLER is honoured', async () => {
    await withEnv({ OTEL_TRACES_SAMPLER: 'always_off' }, async () => {
      const tracing = startTracing({ endpoint: collector.httpEndpoint, revision: 'r1' });
      try {
        const span = tracing.tracer.startSpan('not-sampled');
        expect(span.isRecording()).toBe(false);
        span.end();
      } finally {
        await tracing.shutdown();
      }
    });
  });
});
