/** Kubernetes probes and the health summary (ARCHITECTURE.md "Runtime HTTP API"). */
import type { FastifyInstance } from 'fastify';
import type { ComponentName, ComponentStatus } from '../../engines/types.js';
import type { AppDeps } from '../deps.js';
import { PROBE_ROUTE } from '../deps.js';

/** A component counts as working when up, or when switched off on purpose (avatar disabled). */
function working(status: ComponentStatus): boolean {
  return status.state === 'up' || status.state === 'disabled';
}

export function allComponentsWorking(components: Record<ComponentName, ComponentStatus>): boolean {
  return Object.values(components).every(working);
}

export async function probeRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { engines, registry, config } = deps;

  app.get('/livez', PROBE_ROUTE, async () => ({ status: 'ok' }));

  app.get('/readyz', PROBE_ROUTE, async (_request, reply) => {
    const components = engines.components();
    if (registry.draining)
      return reply.code(503).send({ status: 'draining', components, active_sessions: registry.size });
    if (!engines.ready()) return reply.code(503).send({ status: 'not_ready', components });
    return { status: 'ready', components };
  });

  app.get('/health', PROBE_ROUTE, async (_request, reply) => {
    const components = engines.components();
    const healthy = allComponentsWorking(components);
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      components,
      active_sessions: registry.size,
      max_sessions: registry.maxSessions,
      draining: registry.draining,
      revision: config.GOASSIST_REVISION,
    });
  });
}
