import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/index.js';
import type { SessionRegistry } from '../session/registry.js';
import type { RuntimeEngines } from '../session/voice-runtime.js';
import type { RuntimeMetrics } from '../telemetry/metrics.js';

/** Everything buildApp wires; each part is built (and testable) on its own. */
export interface AppDeps {
  config: RuntimeConfig;
  engines: RuntimeEngines;
  registry: SessionRegistry;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** HTTP server spans when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT). */
  tracer?: Tracer;
}

/**
 * Route options of probes and /metrics: never rate limited, and their per-request log lines only at
 * `warn` and above (kubelet and Prometheus call them every few seconds).
 */
export const PROBE_ROUTE = { config: { rateLimit: false }, logLevel: 'warn' } as const;
