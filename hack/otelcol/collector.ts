/**
 * Starts the locally built OpenTelemetry Collector (build.sh) on free loopback ports with an OTLP
 * receiver (gRPC + HTTP) and a file exporter writing OTLP JSON lines, and reads the spans back.
 * Test and demo harness, not product.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;

/** One span as the collector's file exporter wrote it, flattened with its resource. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  links: { traceId: string; spanId: string }[];
  status: { code?: number; message?: string };
}

export interface Collector {
  /** `http://127.0.0.1:<port>` of the OTLP/HTTP receiver (protocols http/protobuf and http/json). */
  httpEndpoint: string;
  /** `http://127.0.0.1:<port>` of the OTLP/gRPC receiver. */
  grpcEndpoint: string;
  spans(): Promise<CollectedSpan[]>;
  /** Polls the output until `predicate` holds for the spans so far. */
  waitForSpans(predicate: (spans: CollectedSpan[]) => boolean, timeoutMs?: number): Promise<CollectedSpan[]>;
  stop(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** Builds (or finds in the cache) the collector; resolves its path. */
export function buildCollector(): Promise<string> {
  // From dist/hack/otelcol the script is in the source tree.
  const candidates = [join(HERE, 'build.sh'), join(HERE, '..', '..', '..', 'hack', 'otelcol', 'build.sh')];
  const script = candidates.find((p) => existsSync(p)) ?? candidates[0]!;
  return new Promise((resolve, reject) => {
    execFile('bash', [script], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`otelcol build failed: ${err.message}\n${stderr.slice(-4000)}`));
      const bin = stdout.trim().split('\n').at(-1);
      if (!bin) return reject(new Error('otelcol build printed no path'));
      resolve(bin);
    });
  });
}

export interface CollectorOptions {
  /** Where the file exporter writes (kept after stop); default a temporary file removed on stop. */
  output?: string;
}

export async function startCollector(opts: CollectorOptions = {}): Promise<Collector> {
  const bin = await buildCollector();
  const dir = await mkdtemp(join(tmpdir(), 'goassist-otelcol-'));
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const output = opts.output ?? join(dir, 'spans.jsonl');
  const config = [
    'receivers:',
    '  otlp:',
    '    protocols:',
    `      grpc: { endpoint: "127.0.0.1:${grpcPort}" }`,
    `      http: { endpoint: "127.0.0.1:${httpPort}" }`,
    'exporters:',
    `  file: { path: "${output}", flush_interval: 50ms }`,
    'service:',
    '  telemetry: { metrics: { level: none } }',
    '  pipelines:',
    '    traces: { receivers: [otlp], exporters: [file] }',
    '',
  ].join('\n');
  await writeFile(join(dir, 'config.yaml'), config);
  const child = spawn(bin, ['--config', join(dir, 'config.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitReady(child);

  const spans = async (): Promise<CollectedSpan[]> => {
    const text = await readFile(output, 'utf8').catch(() => '');
    // The exporter writes through a buffer: only lines it has finished (newline-terminated) count.
    return text
      .split('\n')
      .slice(0, -1)
      .filter((line) => line.trim())
      .flatMap((line) => flatten(JSON.parse(line) as OtlpTraces));
  };
  return {
    httpEndpoint: `http://127.0.0.1:${httpPort}`,
    grpcEndpoint: `http://127.0.0.1:${grpcPort}`,
    spans,
    async waitForSpans(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const all = await spans();
        if (predicate(all)) return all;
        if (Date.now() > deadline)
          throw new Error(`collector: condition not met within ${timeoutMs} ms (${all.length} spans)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => fail(new Error(`collector not ready after 30 s:\n${log.slice(-4000)}`)),
      30_000,
    );
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Everything is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => fail(new Error(`collector exited (${code}):\n${log.slice(-4000)}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  events?: { name: string; attributes?: OtlpKeyValue[] }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
}
interface OtlpTraces {
  resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

function value(v: OtlpAnyValue | undefined): AttributeValue {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

function attrs(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

function flatten(doc: OtlpTraces): CollectedSpan[] {
  return (doc.resourceSpans ?? []).flatMap((rs) => {
    const resource = attrs(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind ?? 0,
        startTimeUnixNano: s.startTimeUnixNano,
        endTimeUnixNano: s.endTimeUnixNano,
        attributes: attrs(s.attributes),
        resource,
        events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
        links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        status: s.status ?? {},
      })),
    );
  });
}
