/**
 * Assembly and lifecycle of one runtime process: metrics, voice runtime (engines + conversations),
 * session registry, app; then listen, load engines, and drain on shutdown.
 */
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/index.js';
import { describeConfig } from '../config/index.js';
import { SessionRegistry } from '../session/registry.js';
import type { VoiceRuntime } from '../session/voice-runtime.js';
import { createRuntimeMetrics } from '../telemetry/metrics.js';
import type { PipelineMetrics, RuntimeMetrics } from '../telemetry/metrics.js';
import { startTracing } from '../telemetry/tracing.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';

/** What main.ts passes in: runtime/pipeline's `createVoiceRuntime` fits this type. */
export type VoiceRuntimeFactory = (
  config: RuntimeConfig,
  deps: { metrics: PipelineMetrics; logger: Logger; tracer: Tracer },
) => VoiceRuntime | Promise<VoiceRuntime>;

export interface RuntimeOptions {
  logger?: Logger;
  processMetrics?: boolean;
}

export type Runtime = Awaited<ReturnType<typeof createRuntime>>;

export async function createRuntime(
  config: RuntimeConfig,
  voiceRuntimeFactory: VoiceRuntimeFactory,
  opts: RuntimeOptions = {},
) {
  const logger =
    opts.logger ??
    createLogger({ level: config.LOG_LEVEL, revision: config.GOASSIST_REVISION, pod: config.POD_NAME });
  const metrics: RuntimeMetrics = createRuntimeMetrics({
    revision: config.GOASSIST_REVISION,
    maxSessions: config.MAX_CONCURRENT_SESSIONS,
    processMetrics: opts.processMetrics ?? true,
  });
  const tracing = startTracing({
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    protocol: config.OTEL_EXPORTER_OTLP_PROTOCOL,
    revision: config.GOASSIST_REVISION,
    ...(config.POD_NAME !== undefined ? { podName: config.POD_NAME } : {}),
    registry: metrics.registry,
  });
  const { engines, conversationFactory } = await voiceRuntimeFactory(config, {
    metrics,
    logger: logger.child({ component: 'pipeline' }),
    tracer: tracing.tracer,
  });
  const registry = new SessionRegistry({
    maxSessions: config.MAX_CONCURRENT_SESSIONS,
    idleTimeoutMs: config.SESSION_IDLE_TIMEOUT_SECONDS * 1000,
    maxDurationMs: config.SESSION_MAX_DURATION_SECONDS * 1000,
    retryAfterSeconds: 5,
    conversationFactory,
    metrics,
    logger: logger.child({ component: 'sessions' }),
  });
  metrics.bindLiveSources({ activeSessions: () => registry.size, components: () => engines.components() });
  const app = await buildApp({
    config,
    engines,
    registry,
    metrics,
    logger,
    ...(tracing.enabled ? { tracer: tracing.tracer } : {}),
  });

  let drainPromise: Promise<void> | undefined;
  let cutDrainShort: (() => void) | undefined;

  /** Loads the engines after the server listens, so probes answer (not ready) meanwhile. */
  async function initEngines(): Promise<void> {
    const started = Date.now();
    try {
      await engines.init();
      logger.info(
        { ms: Date.now() - started, components: engines.components(), ready: engines.ready() },
        'engines loaded',
      );
    } catch (err) {
      metrics.errorsTotal.inc({ component: 'runtime', type: 'engine_init' });
      logger.error({ err, components: engines.components() }, 'engines failed to load; staying not ready');
    }
  }

  async function listen(): Promise<string> {
    if (config.ENVIRONMENT === 'production' && config.SESSION_SECRET_EPHEMERAL)
      throw new Error('refusing to start: no SESSION_SECRET in production');
    if (config.SESSION_SECRET_EPHEMERAL)
      logger.warn(
        'SESSION_SECRET is not set: using a random per-process secret (tokens die with this process)',
      );
    logger.info({ config: describeConfig(config) }, 'configuration');
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    void initEngines();
    return address;
  }

  /**
   * Readiness turns 503 `draining`, new sessions get 503 + Retry-After, live sessions go on until
   * they end or DRAIN_TIMEOUT_SECONDS passes; the rest are closed with 1012, then the server closes.
   */
  function drain(): Promise<void> {
    drainPromise ??= (async () => {
      registry.startDraining();
      logger.info(
        { activeSessions: registry.size, timeoutSeconds: config.DRAIN_TIMEOUT_SECONDS },
        'draining',
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        registry.whenEmpty(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, config.DRAIN_TIMEOUT_SECONDS * 1000);
          cutDrainShort = resolve;
        }),
      ]);
      clearTimeout(timer);
      const left = registry.size;
      await registry.endAll('drain_timeout');
      await waitForSocketsToClose(app, 2000);
      await app.close();
      await engines.close().catch((err: unknown) => logger.error({ err }, 'engines close failed'));
      await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'tracing shutdown failed'));
      logger.info({ sessionsCutAtDeadline: left }, 'drained');
    })();
    return drainPromise;
  }

  /** A second signal: stop waiting for live sessions, close them now. */
  function hurryDrain(): void {
    cutDrainShort?.();
  }

  return { app, registry, metrics, engines, tracing, logger, listen, drain, hurryDrain };
}

/** Lets close frames (1012 and friends) reach clients before the server goes away. */
async function waitForSocketsToClose(
  app: Awaited<ReturnType<typeof buildApp>>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (app.websocketServer.clients.size > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 25));
  for (const socket of app.websocketServer.clients) socket.terminate();
}
