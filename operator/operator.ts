import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.js';
import { Manager } from './controller/manager.js';
import { createMetrics } from './controller/metrics.js';
import type { OperatorMetrics } from './controller/metrics.js';
import type { KubeClient } from './kube/client.js';
import { LeaderElector } from './kube/leader.js';

export interface RunningOperator {
  manager: Manager;
  metrics: OperatorMetrics;
  elector?: LeaderElector;
  /** Port of the /metrics, /healthz, /readyz server. */
  port: number;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the operator: informers, health and metrics endpoints, leader election; workers run while
 * this replica leads. Used by main.ts and, in-process, by tests.
 */
export async function startOperator(
  config: OperatorConfig,
  client: KubeClient,
  logger: Logger,
): Promise<RunningOperator> {
  const metrics = createMetrics({ defaultMetrics: true });
  client.onRequest(({ verb, status }) => metrics.apiRequests.inc({ verb, code: String(status) }));
  const manager = new Manager({
    client,
    namespace: config.WATCH_NAMESPACE,
    identity: config.POD_NAME,
    workers: config.WORKERS,
    metrics,
    log: (level, msg, fields) => logger[level](fields ?? {}, msg),
  });
  let stopping = false;
  let leading = false;

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET')
      return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'only GET' } });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const ready = !stopping && manager.hasSynced();
      return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', leader: leading });
    }
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
          res.end(text);
        })
        .catch((err: Error) => json(500, { error: { code: 'METRICS_FAILED', message: err.message } }));
      return;
    }
    json(404, { error: { code: 'NOT_FOUND', message: `no route ${path}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.HTTP_PORT, config.HTTP_HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, namespace: config.WATCH_NAMESPACE ?? '(all)' }, 'operator listening');

  await manager.startInformers();

  let elector: LeaderElector | undefined;
  const lead = () => {
    leading = true;
    metrics.leader.set(1);
    manager.startWorkers();
  };
  const follow = () => {
    leading = false;
    metrics.leader.set(0);
    void manager.stopWorkers();
  };
  if (config.LEADER_ELECTION) {
    elector = new LeaderElector(client, {
      namespace: config.LEADER_ELECTION_NAMESPACE ?? config.POD_NAMESPACE,
      name: config.LEADER_ELECTION_ID,
      identity: config.POD_NAME,
      onStartedLeading: lead,
      onStoppedLeading: follow,
      log: (msg, fields) => logger.info(fields ?? {}, msg),
    });
    elector.start();
  } else {
    lead();
  }

  return {
    manager,
    metrics,
    elector,
    port,
    isLeader: () => leading,
    async stop() {
      stopping = true;
      await manager.stopWorkers();
      await elector?.stop();
      await manager.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      client.close();
    },
  };
}
