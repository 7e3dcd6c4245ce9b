/** Kubernetes probes and the health summary (ARCHITECTURE.md "Runtime HTTP API"). */
import type { FastifyInstance } from 'fastify';
import type { ComponentName, ComponentStatus } from '../../engines/types.js';
import type { AppDeps } from '../deps.js';
import { PROBE_ROUTE } from '../deps.js';

/** A component counts as working when up, or when switched off on purpose (avatar disabled). */
function working(status: ComponentStatus): boolean {
  return status.state === 'up' || status.state === 'disabled';
}

/** The avatar is optional: when it fails the voice goes on, so it never makes /health fail. */
const OPTIONAL_COMPONENTS: ReadonlySet<ComponentName> = new Set(['avatar']);

function allComponentsWorking(components: Record<ComponentName, ComponentStatus>): boolean {
  return Object.values(components).every(working);
}

function requiredComponentsWorking(components: Record<ComponentName, ComponentStatus>): boolean {
  return (Object.entries(components) as [ComponentName, ComponentStatus][]).every(
    ([name, status]) => OPTIONAL_COMPONENTS.has(name) || working(status),
  );
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
    // 503 only when a required component is down; a failed optional one (the avatar) reads
    // `degraded` with 200, because every voice turn still works.
    const serving = requiredComponentsWorking(components);
    const healthy = serving && allComponentsWorking(components);
    return reply.code(serving ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      components,
      active_sessions: registry.size,
      max_sessions: registry.maxSessions,
      draining: registry.draining,
      revision: config.GOASSIST_REVISION,
    });
  });
}
