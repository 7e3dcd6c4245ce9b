import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { PROBE_ROUTE } from '../deps.js';

export async function metricsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { registry } = deps.metrics;
  app.get('/metrics', PROBE_ROUTE, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
