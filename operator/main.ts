import { pino } from 'pino';
import { parseOperatorConfig } from './config.js';
import { KubeClient } from './kube/client.js';
import { startOperator } from './operator.js';

const config = parseOperatorConfig(process.env);
const logger = pino({
  level: config.LOG_LEVEL,
  base: { component: 'goassist-operator', pod: config.POD_NAME },
});
const client = config.KUBECONFIG ? KubeClient.fromFile(config.KUBECONFIG) : KubeClient.fromDefault();
const operator = await startOperator(config, client, logger);

let shuttingDown = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    operator.stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ error: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
