import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The operator's own Prometheus metrics (one registry per operator instance). */
export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'result'>;
  errors: Counter;
  duration: Histogram;
  queueDepth: Gauge;
  apiRequests: Counter<'verb' | 'code'>;
  leader: Gauge;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'goassist_operator_' });
  return {
    registry,
    reconciles: new Counter({
      name: 'goassist_operator_reconciles_total',
      help: 'Reconcile passes by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'goassist_operator_reconcile_errors_total',
      help: 'Reconcile passes that failed and were retried.',
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'goassist_operator_reconcile_duration_seconds',
      help: 'Duration of one reconcile pass.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'goassist_operator_workqueue_depth',
      help: 'Keys waiting in the work queue.',
      registers: [registry],
    }),
    apiRequests: new Counter({
      name: 'goassist_operator_api_requests_total',
      help: 'Requests to the Kubernetes API by verb and HTTP status.',
      labelNames: ['verb', 'code'],
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'goassist_operator_leader',
      help: '1 while this replica holds the leader lease.',
      registers: [registry],
    }),
  };
}
