import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { NO_RATE_LIMIT } from '../deps.js';

export async function metricsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { registry } = deps.metrics;
  app.get('/metrics', { config: NO_RATE_LIMIT }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
