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

/** Route config that exempts probes and /metrics from rate limiting. */
export const NO_RATE_LIMIT = { rateLimit: false } as const;
