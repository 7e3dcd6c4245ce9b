/**
 * The runtime's entry point (`npm start`, `node dist/runtime/main.js`): parse the environment once,
 * assemble, listen, drain on SIGTERM/SIGINT, exit 0 when drained.
 */
import { loadConfig } from './config/index.js';
import { ConfigError } from './errors.js';
import { createVoiceRuntime } from './pipeline/index.js';
import { createRuntime } from './server/runtime.js';
import type { VoiceRuntimeFactory } from './server/runtime.js';

// The voice pipeline: engines named by the config and the per-session conversations.
const voiceRuntimeFactory: VoiceRuntimeFactory = createVoiceRuntime;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`goassist: invalid configuration: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }

  const runtime = await createRuntime(config, voiceRuntimeFactory);
  const { logger } = runtime;
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: closing live sessions now');
      runtime.hurryDrain();
      return;
    }
    logger.info({ signal }, 'shutdown requested');
    runtime.drain().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.fatal({ err }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const address = await runtime.listen();
  logger.info({ address, port: runtime.app.server.address() }, 'runtime listening');
}

main().catch((err: unknown) => {
  process.stderr.write(`goassist: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
