/** A real runtime process-in-test: real engines, real port on 127.0.0.1, drained on close. */
import { Writable } from 'node:stream';
import { loadConfig, type RuntimeConfig } from '../../config/index.js';
import { createVoiceRuntime } from '../../pipeline/index.js';
import { createLogger } from '../../server/logger.js';
import { createRuntime, type Runtime } from '../../server/runtime.js';

export interface RunningVoiceRuntime {
  runtime: Runtime;
  config: RuntimeConfig;
  baseUrl: string;
  logs: string[];
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

export async function startVoiceRuntime(env: Record<string, string>): Promise<RunningVoiceRuntime> {
  const config = loadConfig({
    ENVIRONMENT: 'test',
    SESSION_SECRET: 'e2e-session-secret-0123456789abcdefgh',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    DRAIN_TIMEOUT_SECONDS: '0',
    RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    RATE_LIMIT_REQUESTS_PER_MINUTE: '0',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: config.LOG_LEVEL, revision: config.GOASSIST_REVISION }, sink);
  const runtime = await createRuntime(config, createVoiceRuntime, { logger, processMetrics: false });
  await runtime.listen();
  const addr = runtime.app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('runtime has no TCP address');
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await fetch(`${baseUrl}/readyz`);
    if (res.status === 200) break;
    if (Date.now() > deadline) throw new Error(`runtime not ready: ${await res.text()}\n${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    runtime,
    config,
    baseUrl,
    logs,
    metricsText: async () => (await fetch(`${baseUrl}/metrics`)).text(),
    close: () => runtime.drain(),
  };
}

/** Value of one series in Prometheus text (`name{labels} value`), labels matched as a substring. */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith('{') || rest.startsWith(' '))) continue;
    if (labels && !rest.includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Sum of every series of `name` whose labels contain `labels`. */
export function metricSum(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
