import type { GoAssistDeploymentSpec } from './schema.js';
import { MANAGED_ENV_NAMES, specSchema } from './schema.js';
import { parseQuantity } from './quantity.js';

/** One problem with a spec, naming the field as `kubectl` users see it. */
export interface SpecProblem {
  field: string;
  message: string;
}

export type SpecValidation =
  { ok: true; spec: GoAssistDeploymentSpec } | { ok: false; problems: SpecProblem[] };

/**
 * Parses a spec with the zod schema (filling defaults), then checks the cross-field rules. The rules the
 * CRD also states in CEL are repeated here so a CR that reached the operator some other way (an older CRD,
 * a test) is judged the same; the rest can only be checked here (quantities are not comparable in CEL).
 */
export function validateSpec(raw: unknown): SpecValidation {
  const parsed = specSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({
        field: ['spec', ...i.path.map(String)].join('.'),
        message: i.message,
      })),
    };
  }
  const problems = crossFieldProblems(parsed.data);
  return problems.length ? { ok: false, problems } : { ok: true, spec: parsed.data };
}

export function crossFieldProblems(spec: GoAssistDeploymentSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (spec.replicas !== undefined && spec.autoscaling)
    add('spec.replicas', 'set either replicas or autoscaling, not both');
  const as = spec.autoscaling;
  if (as && as.minReplicas > as.maxReplicas)
    add('spec.autoscaling.minReplicas', 'minReplicas must not exceed maxReplicas');
  if (
    as?.targetActiveSessionsPerPod !== undefined &&
    as.targetActiveSessionsPerPod > spec.runtime.maxSessions
  ) {
    add(
      'spec.autoscaling.targetActiveSessionsPerPod',
      'autoscaling.targetActiveSessionsPerPod must not exceed runtime.maxSessions',
    );
  }
  if (spec.runtime.avatar.enabled && !spec.runtime.avatar.audio2faceUrl) {
    add('spec.runtime.avatar.audio2faceUrl', 'audio2faceUrl is required when the avatar is enabled');
  }
  const rt = spec.runtime;
  if (rt.environment === 'production' && (!rt.sessionSecretRef || !rt.apiKeysSecretRef)) {
    add(
      'spec.runtime.sessionSecretRef',
      'production needs sessionSecretRef and apiKeysSecretRef (the runtime refuses to start without them)',
    );
  }
  if (rt.asr.engine === 'whisper' && !rt.asr.modelPath)
    add('spec.runtime.asr.modelPath', 'asr.modelPath is required with the whisper engine');
  if ((rt.tts.engine === 'coqui' || rt.tts.engine === 'bark') && !rt.tts.baseUrl)
    add('spec.runtime.tts.baseUrl', 'tts.baseUrl is required with the coqui and bark engines');
  const envNames = (spec.runtime.env ?? []).map((e) => e.name);
  for (const name of envNames) {
    if (MANAGED_ENV_NAMES.includes(name)) {
      add(
        'spec.runtime.env',
        `env may not set ${name}: the operator manages it; use the matching runtime field`,
      );
    }
  }
  if (new Set(envNames).size !== envNames.length) add('spec.runtime.env', 'env names must be unique');
  const tls = spec.ingress?.tls;
  if (tls && tls.clusterIssuer && tls.issuer)
    add('spec.ingress.tls', 'set clusterIssuer or issuer, not both');
  if (tls && !tls.secretName && !tls.clusterIssuer && !tls.issuer)
    add('spec.ingress.tls', 'tls needs a secretName or a cert-manager issuer');
  const steps = spec.rollout.steps;
  if (steps.some((s, i) => i > 0 && s <= (steps[i - 1] as number)))
    add('spec.rollout.steps', 'steps must be strictly increasing');
  if (steps[steps.length - 1] !== 100) add('spec.rollout.steps', 'the last step must be 100');
  if (spec.rollout.trafficRouter === 'gatewayAPI' && !spec.rollout.gateway)
    add('spec.rollout.gateway', 'trafficRouter gatewayAPI needs gateway.parentRefs');
  if (spec.rollout.trafficRouter === 'gatewayAPI' && !spec.ingress)
    add('spec.ingress', 'trafficRouter gatewayAPI needs spec.ingress.host for the HTTPRoute hostname');
  // Only checkable here: CEL cannot compare quantities of different units portably.
  for (const [resource, limit] of Object.entries(spec.resources?.limits ?? {})) {
    const request = spec.resources?.requests?.[resource];
    if (request !== undefined && parseQuantity(request) > parseQuantity(limit)) {
      add(`spec.resources.requests.${resource}`, `request ${request} exceeds limit ${limit}`);
    }
  }
  return problems;
}
