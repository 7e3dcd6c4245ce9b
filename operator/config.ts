import { hostname } from 'node:os';
import { z } from 'zod';

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The operator's environment, parsed once at start. */
export const operatorConfigSchema = z.object({
  KUBECONFIG: z.string().min(1).optional(),
  WATCH_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .optional()
    .describe('Only this namespace; cluster-wide when unset.'),
  POD_NAME: z.string().min(1).default(hostname()),
  POD_NAMESPACE: z.string().min(1).default('goassist-system'),
  LEADER_ELECTION: bool.default(true),
  LEADER_ELECTION_ID: z.string().min(1).default('goassist-operator'),
  LEADER_ELECTION_NAMESPACE: z.string().min(1).optional(),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  WORKERS: z.coerce.number().int().min(1).max(64).default(4),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export type OperatorConfig = z.output<typeof operatorConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

export function parseOperatorConfig(env: NodeJS.ProcessEnv): OperatorConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = operatorConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
