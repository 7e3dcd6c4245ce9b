import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PodSpec,
  V1ResourceRequirements,
} from '@kubernetes/client-node';
import { RUNTIME_DEFAULT_PORT, RUNTIME_ENV, RUNTIME_PATHS } from '../../contract/runtime-env.js';
import { LABEL_REVISION } from '../api/names.js';
import type { GoAssistDeploymentSpec } from '../api/schema.js';
import type { ValidGoAssistDeployment } from '../api/types.js';
import { revisionLabels, revisionObjectName, revisionSelector } from './labels.js';
import { childMeta } from './owner.js';

export const CONTAINER_NAME = 'runtime';
export const PORT_NAME = 'http';
/** Seconds the preStop hook waits so load balancers drop the pod before the runtime starts draining. */
export const PRE_STOP_SLEEP_SECONDS = 5;
/** Grace beyond the drain deadline for the process to close its sockets and exit. */
export const GRACE_MARGIN_SECONDS = 15;
/** Unprivileged user and group of the runtime container. */
export const RUNTIME_UID = 10001;

export function terminationGraceSeconds(spec: GoAssistDeploymentSpec): number {
  return PRE_STOP_SLEEP_SECONDS + spec.runtime.drainTimeoutSeconds + GRACE_MARGIN_SECONDS;
}

function secretEnv(name: string, ref: { name: string; key: string }): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/** The runtime's environment from the spec; names come from the shared contract. */
export function runtimeEnv(spec: GoAssistDeploymentSpec): V1EnvVar[] {
  const rt = spec.runtime;
  const env: V1EnvVar[] = [
    { name: RUNTIME_ENV.environment, value: rt.environment },
    { name: RUNTIME_ENV.port, value: String(RUNTIME_DEFAULT_PORT) },
    { name: RUNTIME_ENV.maxConcurrentSessions, value: String(rt.maxSessions) },
    { name: RUNTIME_ENV.drainTimeoutSeconds, value: String(rt.drainTimeoutSeconds) },
    { name: RUNTIME_ENV.enableAvatar, value: String(rt.avatar.enabled) },
  ];
  const plain: Array<[string, string | undefined]> = [
    [RUNTIME_ENV.llmBaseUrl, rt.llm.baseUrl],
    [RUNTIME_ENV.llmModelName, rt.llm.model],
    [RUNTIME_ENV.asrEngine, rt.asr.engine],
    [RUNTIME_ENV.asrModelPath, rt.asr.modelPath],
    [RUNTIME_ENV.asrBaseUrl, rt.asr.baseUrl],
    [RUNTIME_ENV.asrModelName, rt.asr.model],
    [RUNTIME_ENV.ttsEngine, rt.tts.engine],
    [RUNTIME_ENV.ttsBaseUrl, rt.tts.baseUrl],
    [RUNTIME_ENV.ttsVoice, rt.tts.voice],
    [RUNTIME_ENV.audio2faceGrpcUrl, rt.avatar.enabled ? rt.avatar.audio2faceUrl : undefined],
    [RUNTIME_ENV.csrfEnabled, rt.csrfEnabled === undefined ? undefined : String(rt.csrfEnabled)],
    [RUNTIME_ENV.otelExporterOtlpEndpoint, rt.otlpEndpoint],
  ];
  for (const [name, value] of plain) if (value !== undefined) env.push({ name, value });
  if (rt.llm.apiKeySecretRef) env.push(secretEnv(RUNTIME_ENV.llmApiKey, rt.llm.apiKeySecretRef));
  if (rt.asr.apiKeySecretRef) env.push(secretEnv(RUNTIME_ENV.asrApiKey, rt.asr.apiKeySecretRef));
  if (rt.tts.apiKeySecretRef) env.push(secretEnv(RUNTIME_ENV.ttsApiKey, rt.tts.apiKeySecretRef));
  if (rt.sessionSecretRef) env.push(secretEnv(RUNTIME_ENV.sessionSecret, rt.sessionSecretRef));
  if (rt.apiKeysSecretRef) env.push(secretEnv(RUNTIME_ENV.apiKeys, rt.apiKeysSecretRef));
  env.push(
    {
      name: RUNTIME_ENV.revision,
      valueFrom: { fieldRef: { fieldPath: `metadata.labels['${LABEL_REVISION}']` } },
    },
    { name: RUNTIME_ENV.podName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  );
  for (const e of rt.env ?? []) env.push({ name: e.name, value: e.value });
  return env;
}

function containerResources(spec: GoAssistDeploymentSpec): V1ResourceRequirements | undefined {
  const r = spec.resources;
  if (!r || (!r.requests && !r.limits)) return undefined;
  const out: V1ResourceRequirements = {};
  if (r.requests)
    out.requests = Object.fromEntries(Object.entries(r.requests).map(([k, v]) => [k, String(v)]));
  if (r.limits) out.limits = Object.fromEntries(Object.entries(r.limits).map(([k, v]) => [k, String(v)]));
  return out;
}

function runtimeContainer(spec: GoAssistDeploymentSpec): V1Container {
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: PORT_NAME },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const container: V1Container = {
    name: CONTAINER_NAME,
    image: spec.image,
    ports: [{ name: PORT_NAME, containerPort: RUNTIME_DEFAULT_PORT, protocol: 'TCP' }],
    env: runtimeEnv(spec),
    startupProbe: probe(RUNTIME_PATHS.livez, 2, 60),
    livenessProbe: probe(RUNTIME_PATHS.livez, 10, 3),
    readinessProbe: probe(RUNTIME_PATHS.readyz, 2, 2),
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
  if (spec.imagePullPolicy) container.imagePullPolicy = spec.imagePullPolicy;
  const resources = containerResources(spec);
  if (resources) container.resources = resources;
  return container;
}

/** The Deployment of one revision of the runtime. */
export function buildDeployment(cr: ValidGoAssistDeployment, revision: string): V1Deployment {
  const spec = cr.spec;
  const name = revisionObjectName(cr.metadata.name, revision);
  const labels = revisionLabels(cr.metadata.name, revision);
  const podSpec: V1PodSpec = {
    terminationGracePeriodSeconds: terminationGraceSeconds(spec),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUNTIME_UID,
      runAsGroup: RUNTIME_UID,
      fsGroup: RUNTIME_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [runtimeContainer(spec)],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }],
  };
  if (spec.nodeSelector) podSpec.nodeSelector = { ...spec.nodeSelector };
  if (spec.tolerations) podSpec.tolerations = spec.tolerations.map((t) => ({ ...t }));
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(cr, name, labels),
    spec: {
      selector: { matchLabels: revisionSelector(cr.metadata.name, revision) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels,
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(RUNTIME_DEFAULT_PORT),
            'prometheus.io/path': RUNTIME_PATHS.metrics,
          },
        },
        spec: podSpec,
      },
    },
  };
  // With autoscaling the HPA owns the replica count: leaving the field out keeps apply from fighting it.
  if (!spec.autoscaling) deployment.spec!.replicas = desiredReplicas(spec);
  return deployment;
}

/** Replicas a revision should run (the HPA minimum when autoscaling). */
export function desiredReplicas(spec: GoAssistDeploymentSpec): number {
  return spec.autoscaling ? spec.autoscaling.minReplicas : (spec.replicas ?? 1);
}
