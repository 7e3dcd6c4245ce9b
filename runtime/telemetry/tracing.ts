/**
 * OpenTelemetry tracing of the runtime: on only when an OTLP endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT). The standard OTEL_* variables keep their meaning because the SDK reads
 * them itself: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (resource), OTEL_TRACES_SAMPLER(_ARG),
 * OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT and OTEL_BSP_*. Context propagates as W3C trace context.
 *
 * Export never slows a turn: ended spans go to a BatchSpanProcessor with a bounded queue; when the
 * receiver is down or slow, spans are dropped and counted in `goassist_tracing_spans_dropped_total`.
 */
import { ProxyTracerProvider, context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { Context } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/sdk-trace-base';
import { Counter, type Registry } from 'prom-client';
import { traceOutgoingHttp } from './http-client-tracing.js';

export const TRACER_NAME = 'goassist';
export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
export const SPANS_DROPPED_METRIC = 'goassist_tracing_spans_dropped_total';

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT; tracing is off without it. e.g. `http://otel-collector:4318`. */
  endpoint: string | undefined;
  /** OTEL_EXPORTER_OTLP_PROTOCOL (default `http/protobuf`, as the OTel spec says; gRPC uses port 4317). */
  protocol?: OtlpProtocol;
  /** Default `service.name` when OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES do not set one. */
  serviceName?: string;
  serviceVersion?: string;
  /** The revision this pod runs (GOASSIST_REVISION): a resource attribute of every span. */
  revision: string;
  podName?: string;
  /** Bounded export queue; defaults to OTEL_BSP_* or the SDK's (2048 spans, 512 per batch, 5 s). */
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  /** Per-request timeout of the exporter (default OTEL_EXPORTER_OTLP_TIMEOUT or 10 s). */
  exporterTimeoutMillis?: number;
  /** The runtime's Prometheus registry, for the dropped-spans counter. */
  registry?: Registry;
  /** Trace outgoing fetch calls made inside a span and send them `traceparent` (default true). */
  traceFetch?: boolean;
}

export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Spans dropped so far (queue full or export failed). */
  droppedSpans(): number;
  /** Exports what is queued now (tests, shutdown). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Tracing that records nothing; the OTel API's no-op tracer costs almost nothing per span. */
export const DISABLED_TRACING: Tracing = {
  enabled: false,
  // A provider with no delegate: always the no-op tracer, whatever is registered globally.
  tracer: new ProxyTracerProvider().getTracer(TRACER_NAME),
  droppedSpans: () => 0,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

export type DropReason = 'queue_full' | 'export_failed';

export function startTracing(opts: TracingOptions): Tracing {
  if (!opts.endpoint) return DISABLED_TRACING;
  let dropped = 0;
  const counter = opts.registry ? droppedCounter(opts.registry) : undefined;
  const onDrop = (count: number, reason: DropReason): void => {
    dropped += count;
    counter?.inc({ reason }, count);
  };
  const maxQueueSize = opts.maxQueueSize ?? envNumber('OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048;
  const exporter = new DropCountingExporter(createExporter(opts), onDrop);
  const batch = new BatchSpanProcessor(exporter, {
    maxQueueSize,
    ...(opts.maxExportBatchSize !== undefined ? { maxExportBatchSize: opts.maxExportBatchSize } : {}),
    ...(opts.scheduledDelayMillis !== undefined ? { scheduledDelayMillis: opts.scheduledDelayMillis } : {}),
    ...(opts.exportTimeoutMillis !== undefined ? { exportTimeoutMillis: opts.exportTimeoutMillis } : {}),
  });
  const processor = new QueueWatchingProcessor(batch, exporter, maxQueueSize, onDrop);
  const provider = new NodeTracerProvider({ resource: buildResource(opts), spanProcessors: [processor] });
  // Sets the global tracer provider, the AsyncLocalStorage context manager and W3C propagation.
  provider.register();
  // This provider's own tracer, not the global proxy: it can never point at another provider.
  const tracer = provider.getTracer(TRACER_NAME, opts.serviceVersion);
  const stopFetchTracing = opts.traceFetch === false ? () => undefined : traceOutgoingHttp(tracer);
  return {
    enabled: true,
    tracer,
    droppedSpans: () => dropped,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      stopFetchTracing();
      try {
        // Flushes what is queued; rejects when the receiver is down (those spans are counted).
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}

function buildResource(opts: TracingOptions) {
  const ours = resourceFromAttributes({
    'service.name': opts.serviceName ?? 'goassist-runtime',
    ...(opts.serviceVersion ? { 'service.version': opts.serviceVersion } : {}),
    'goassist.revision': opts.revision,
    ...(opts.podName ? { 'k8s.pod.name': opts.podName } : {}),
  });
  // Later wins: OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME override our defaults.
  const detected = detectResources({ detectors: [processDetector, hostDetector, envDetector] });
  return defaultResource().merge(ours).merge(detected);
}

function createExporter(opts: TracingOptions): SpanExporter {
  const endpoint = (opts.endpoint ?? '').replace(/\/+$/, '');
  const timeout =
    opts.exporterTimeoutMillis !== undefined ? { timeoutMillis: opts.exporterTimeoutMillis } : {};
  switch (opts.protocol ?? 'http/protobuf') {
    case 'grpc':
      return new GrpcExporter({ url: endpoint, ...timeout });
    case 'http/json':
      return new JsonExporter({ url: `${endpoint}/v1/traces`, ...timeout });
    case 'http/protobuf':
      return new ProtoExporter({ url: `${endpoint}/v1/traces`, ...timeout });
  }
}

/** Counts spans of failed exports as dropped. */
class DropCountingExporter implements SpanExporter {
  /** Spans handed to the batch processor and not yet taken for export. */
  queued = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly onDrop: (count: number, reason: DropReason) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.queued = Math.max(0, this.queued - spans.length);
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.onDrop(spans.length, 'export_failed');
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * Mirrors the batch processor's queue bound to count the spans it drops when full (it only logs them).
 * The processor's queue empties into the exporter, so "queued" is what went in minus what went out.
 */
class QueueWatchingProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly exporter: DropCountingExporter,
    private readonly maxQueueSize: number,
    private readonly onDrop: (count: number, reason: DropReason) => void,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 1) {
      if (this.exporter.queued >= this.maxQueueSize) this.onDrop(1, 'queue_full');
      else this.exporter.queued += 1;
    }
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

function droppedCounter(registry: Registry): Counter<'reason'> {
  const existing = registry.getSingleMetric(SPANS_DROPPED_METRIC);
  if (existing) return existing as Counter<'reason'>;
  const counter = new Counter({
    name: SPANS_DROPPED_METRIC,
    help: 'Trace spans dropped instead of exported (queue_full: the export queue was full; export_failed: the OTLP receiver failed).',
    labelNames: ['reason'],
    registers: [registry],
  });
  counter.inc({ reason: 'queue_full' }, 0);
  counter.inc({ reason: 'export_failed' }, 0);
  return counter;
}

/** OTEL_BSP_MAX_QUEUE_SIZE is read by the SDK too; we need the same bound to count drops. */
function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
