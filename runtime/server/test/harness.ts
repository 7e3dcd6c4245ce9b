/** Builds a runtime for tests: config from a small env, a scripted voice runtime, logs captured. */
import { Writable } from 'node:stream';
import { loadConfig } from '../../config/index.js';
import type { RuntimeConfig } from '../../config/index.js';
import { createLogger } from '../logger.js';
import { createRuntime } from '../runtime.js';
import type { Runtime } from '../runtime.js';
import { httpClient } from './http-client.js';
import { scriptedVoiceRuntime } from './scripted-voice-runtime.js';
import type { ScriptedVoiceRuntime } from './scripted-voice-runtime.js';

export const TEST_SECRET = 'test-session-secret-0123456789abcdef';
export const TEST_API_KEY = 'test-api-key-0123456789';

export function testConfig(env: Record<string, string> = {}): RuntimeConfig {
  return loadConfig({ ENVIRONMENT: 'test', SESSION_SECRET: TEST_SECRET, LOG_LEVEL: 'info', ...env });
}

export interface TestRuntime {
  runtime: Runtime;
  /** http://127.0.0.1:<port> of the listening server. */
  baseUrl: string;
  inject: ReturnType<typeof httpClient>;
  voice: ScriptedVoiceRuntime;
  config: RuntimeConfig;
  /** Every log line written so far (JSON text). */
  logs: string[];
  close(): Promise<void>;
}

export async function startTestRuntime(
  env: Record<string, string> = {},
  opts: { ready?: boolean } = {},
): Promise<TestRuntime> {
  const config = testConfig(env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  const logger = createLogger({ level: config.LOG_LEVEL, revision: config.GOASSIST_REVISION }, sink);
  const voice = scriptedVoiceRuntime(opts);
  const runtime = await createRuntime(config, () => voice, { logger, processMetrics: false });
  await runtime.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = runtime.app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  return {
    runtime,
    baseUrl,
    inject: httpClient(baseUrl),
    voice,
    config,
    logs,
    close: async () => {
      await runtime.app.close();
    },
  };
}
