import { z } from 'zod';
import { RUNTIME_ENV } from '../../contract/runtime-env.js';

/**
 * The GoAssistDeployment API, defined once. The CRD's OpenAPI schema is generated from these zod
 * schemas (hack/gen-crd.ts); the operator parses every CR it reads with the same schemas, so the
 * defaults the API server applies and the ones the operator assumes cannot drift apart.
 * Cross-field rules are written twice on purpose: as CEL (`x-kubernetes-validations`, enforced by the
 * API server) and as a zod refinement (enforced in the operator and in unit tests); a test checks both agree.
 */

type Validation = { rule: string; message: string; fieldPath?: string; reason?: string };
const cel = (...rules: Validation[]) => ({ 'x-kubernetes-validations': rules });

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A Kubernetes resource quantity such as `500m`, `1`, `2Gi`, `1.5`. */
const QUANTITY =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
/** A Go-style duration as Kubernetes APIs use it: `30s`, `2m`, `1m30s`, `500ms`. */
export const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment variables the operator sets itself; `runtime.env` may not override them. */
export const MANAGED_ENV_NAMES: readonly string[] = Object.values(RUNTIME_ENV);

export const quantitySchema = z
  .union([z.string().regex(QUANTITY), z.number().int()])
  .meta({ 'x-kubernetes-int-or-string': true });

export const secretKeyRefSchema = z
  .object({
    name: z.string().min(1).max(253).regex(DNS_SUBDOMAIN).describe('Name of a Secret in the same namespace.'),
    key: z.string().min(1).max(253).describe('Key inside the Secret.'),
  })
  .describe('A key of a Secret in the namespace of the GoAssistDeployment.');

export const autoscalingSchema = z
  .object({
    minReplicas: z.number().int().min(1).max(1000).default(1),
    maxReplicas: z.number().int().min(1).max(1000),
    targetCPUUtilizationPercentage: z.number().int().min(1).max(100).default(70),
    targetActiveSessionsPerPod: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .optional()
      .describe(
        'Scale on the average of goassist_active_sessions per pod (a Pods metric). Needs a custom metrics adapter (for example prometheus-adapter) serving that metric.',
      ),
  })
  .meta(
    cel({
      rule: 'self.minReplicas <= self.maxReplicas',
      message: 'minReplicas must not exceed maxReplicas',
      fieldPath: '.minReplicas',
    }),
  )
  .describe('Horizontal scaling of each revision. Mutually exclusive with spec.replicas.');

const envVarSchema = z.object({
  name: z.string().min(1).max(128).regex(ENV_NAME),
  value: z.string().max(32768).default(''),
});

const managedEnvList = MANAGED_ENV_NAMES.map((n) => `'${n}'`).join(', ');

export const runtimeSchema = z
  .object({
    environment: z.enum(['production', 'development', 'test']).default('production'),
    maxSessions: z.number().int().min(1).max(10000).default(50).describe('MAX_CONCURRENT_SESSIONS per pod.'),
    drainTimeoutSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(120)
      .describe(
        'How long a terminating pod lets live sessions finish; the pod grace period is set above it.',
      ),
    llm: z
      .object({
        baseUrl: z
          .string()
          .max(2048)
          .regex(/^https?:\/\/[^\s]+$/)
          .optional(),
        model: z.string().min(1).max(256).optional(),
        apiKeySecretRef: secretKeyRefSchema.optional(),
      })
      .default({}),
    asr: z
      .object({
        engine: z
          .enum(['pocketsphinx', 'whisper', 'openai'])
          .optional()
          .describe('ASR_ENGINE; the runtime defaults to pocketsphinx.'),
        modelPath: z
          .string()
          .min(1)
          .max(4096)
          .optional()
          .describe('ASR_MODEL_PATH (whisper: a ggml model file).'),
        baseUrl: z
          .string()
          .max(2048)
          .regex(/^https?:\/\/[^\s]+$/)
          .optional()
          .describe('ASR_BASE_URL (openai).'),
        model: z.string().min(1).max(256).optional().describe('ASR_MODEL_NAME (openai).'),
        apiKeySecretRef: secretKeyRefSchema.optional().describe('ASR_API_KEY (openai).'),
      })
      .meta(
        cel({
          rule: "!has(self.engine) || self.engine != 'whisper' || has(self.modelPath)",
          message: 'asr.modelPath is required with the whisper engine',
          fieldPath: '.modelPath',
        }),
      )
      .default({}),
    tts: z
      .object({
        engine: z
          .enum(['espeak', 'coqui', 'bark', 'openai'])
          .optional()
          .describe('TTS_ENGINE; the runtime defaults to espeak.'),
        baseUrl: z
          .string()
          .max(2048)
          .regex(/^https?:\/\/[^\s]+$/)
          .optional()
          .describe('TTS_BASE_URL (coqui, bark, openai).'),
        voice: z.string().min(1).max(256).optional().describe('TTS_VOICE.'),
        apiKeySecretRef: secretKeyRefSchema.optional().describe('TTS_API_KEY.'),
      })
      .meta(
        cel({
          rule: "!has(self.engine) || !(self.engine in ['coqui', 'bark']) || has(self.baseUrl)",
          message: 'tts.baseUrl is required with the coqui and bark engines',
          fieldPath: '.baseUrl',
        }),
      )
      .default({}),
    avatar: z
      .object({
        enabled: z.boolean().default(false),
        audio2faceUrl: z
          .string()
          .min(1)
          .max(2048)
          .optional()
          .describe('AUDIO2FACE_GRPC_URL (host:port or URL).'),
      })
      .meta(
        cel({
          rule: '!self.enabled || has(self.audio2faceUrl)',
          message: 'audio2faceUrl is required when the avatar is enabled',
          fieldPath: '.audio2faceUrl',
        }),
      )
      .default({ enabled: false }),
    csrfEnabled: z.boolean().optional(),
    sessionSecretRef: secretKeyRefSchema
      .optional()
      .describe('SESSION_SECRET; required by the runtime in production.'),
    apiKeysSecretRef: secretKeyRefSchema
      .optional()
      .describe('API_KEYS (comma separated) accepted by the runtime.'),
    otlpEndpoint: z.string().min(1).max(2048).optional(),
    env: z
      .array(envVarSchema)
      .max(64)
      .optional()
      .meta(
        cel(
          {
            rule: `self.all(e, !(e.name in [${managedEnvList}]))`,
            message: 'env may not set a variable the operator manages; use the matching runtime field',
          },
          {
            rule: 'self.all(e, self.filter(f, f.name == e.name).size() == 1)',
            message: 'env names must be unique',
          },
        ),
      )
      .describe('Extra environment variables for the runtime container.'),
  })
  .default({
    environment: 'production',
    maxSessions: 50,
    drainTimeoutSeconds: 120,
    llm: {},
    asr: {},
    tts: {},
    avatar: { enabled: false },
  });

export const resourcesSchema = z
  .object({
    requests: z.record(z.string().regex(/^[a-z0-9.\-/]+$/), quantitySchema).optional(),
    limits: z.record(z.string().regex(/^[a-z0-9.\-/]+$/), quantitySchema).optional(),
  })
  .describe('Compute resources of the runtime container.');

export const ingressSchema = z
  .object({
    host: z.string().min(1).max(253).regex(DNS_SUBDOMAIN),
    className: z.string().min(1).max(253).optional(),
    path: z.string().min(1).max(1024).regex(/^\//).default('/'),
    tls: z
      .object({
        secretName: z
          .string()
          .min(1)
          .max(253)
          .regex(DNS_SUBDOMAIN)
          .optional()
          .describe(
            'Secret holding the certificate; with an issuer, cert-manager writes it (default <name>-tls).',
          ),
        clusterIssuer: z
          .string()
          .min(1)
          .max(253)
          .optional()
          .describe('cert-manager ClusterIssuer (annotation cert-manager.io/cluster-issuer).'),
        issuer: z
          .string()
          .min(1)
          .max(253)
          .optional()
          .describe('cert-manager Issuer in the same namespace (annotation cert-manager.io/issuer).'),
      })
      .meta(
        cel(
          {
            rule: '!(has(self.clusterIssuer) && has(self.issuer))',
            message: 'set clusterIssuer or issuer, not both',
          },
          {
            rule: 'has(self.secretName) || has(self.clusterIssuer) || has(self.issuer)',
            message: 'tls needs a secretName or a cert-manager issuer',
          },
        ),
      )
      .optional(),
  })
  .describe(
    'Public entry point. A session cookie pins a session\u2019s REST calls and WebSocket to one pod.',
  );

export const analysisSchema = z
  .object({
    ttfaP95Ms: z.number().int().min(1).max(60000).default(2000),
    errorRatePercent: z.number().min(0).max(100).default(1),
    bargeInP95Ms: z.number().int().min(1).max(60000).default(150),
    minSamples: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(20)
      .describe('Below this many turns in a window the step waits (inconclusive), it does not fail.'),
    failureThreshold: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe('Consecutive failed analyses that roll back.'),
  })
  .default({ ttfaP95Ms: 2000, errorRatePercent: 1, bargeInP95Ms: 150, minSamples: 20, failureThreshold: 2 });

const parentRefSchema = z.object({
  name: z.string().min(1).max(253),
  namespace: z.string().min(1).max(63).regex(DNS_LABEL).optional(),
  sectionName: z.string().min(1).max(253).optional(),
});

export const rolloutSchema = z
  .object({
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(20)
      .default([5, 25, 50, 100])
      .meta(
        cel(
          {
            rule: 'self.isSorted() && self.all(x, self.filter(y, y == x).size() == 1)',
            message: 'steps must be strictly increasing',
          },
          { rule: 'self[size(self) - 1] == 100', message: 'the last step must be 100' },
        ),
      )
      .describe('Canary traffic weights in percent, strictly increasing, ending at 100.'),
    stepInterval: z
      .string()
      .max(32)
      .regex(DURATION)
      .default('30s')
      .describe('Time at each step before the next analysis (Go duration).'),
    analysis: analysisSchema,
    trafficRouter: z.enum(['nginx', 'gatewayAPI']).default('nginx'),
    gateway: z
      .object({ parentRefs: z.array(parentRefSchema).min(1).max(16) })
      .optional()
      .describe('Gateway API parents of the HTTPRoute (trafficRouter gatewayAPI).'),
  })
  .meta(
    cel({
      rule: "self.trafficRouter != 'gatewayAPI' || has(self.gateway)",
      message: 'trafficRouter gatewayAPI needs gateway.parentRefs',
      fieldPath: '.gateway',
    }),
  )
  .default({
    steps: [5, 25, 50, 100],
    stepInterval: '30s',
    analysis: {
      ttfaP95Ms: 2000,
      errorRatePercent: 1,
      bargeInP95Ms: 150,
      minSamples: 20,
      failureThreshold: 2,
    },
    trafficRouter: 'nginx',
  });

const tolerationSchema = z.object({
  key: z.string().max(316).optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().max(63).optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});

export const specSchema = z
  .object({
    image: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[^\s]+$/),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .optional()
      .describe('Fixed replica count per revision. Mutually exclusive with autoscaling; default 1.'),
    autoscaling: autoscalingSchema.optional(),
    runtime: runtimeSchema,
    resources: resourcesSchema.optional(),
    nodeSelector: z
      .record(z.string().min(1).max(316), z.string().max(63))
      .optional()
      .describe('Node labels the runtime pods must match.'),
    tolerations: z.array(tolerationSchema).max(32).optional().describe('Taints the runtime pods tolerate.'),
    ingress: ingressSchema.optional(),
    rollout: rolloutSchema,
    paused: z.boolean().default(false).describe('Stop acting on spec changes (no new revision is started).'),
  })
  .meta(
    cel(
      {
        rule: '!(has(self.replicas) && has(self.autoscaling))',
        message: 'set either replicas or autoscaling, not both',
        fieldPath: '.replicas',
      },
      {
        rule: '!has(self.autoscaling) || !has(self.autoscaling.targetActiveSessionsPerPod) || self.autoscaling.targetActiveSessionsPerPod <= self.runtime.maxSessions',
        message: 'autoscaling.targetActiveSessionsPerPod must not exceed runtime.maxSessions',
        fieldPath: '.autoscaling.targetActiveSessionsPerPod',
      },
      {
        // On spec, not runtime: the API server checks defaults against their own field's rules.
        rule: "self.runtime.environment != 'production' || (has(self.runtime.sessionSecretRef) && has(self.runtime.apiKeysSecretRef))",
        message:
          'production needs runtime.sessionSecretRef and runtime.apiKeysSecretRef (the runtime refuses to start without them); set runtime.environment: development for a trial',
        fieldPath: '.runtime.sessionSecretRef',
      },
      {
        rule: "self.rollout.trafficRouter != 'gatewayAPI' || has(self.ingress)",
        message: 'trafficRouter gatewayAPI needs spec.ingress.host for the HTTPRoute hostname',
        fieldPath: '.ingress',
      },
    ),
  );

export const conditionSchema = z.object({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().min(0).optional(),
  lastTransitionTime: z.string().min(1),
  reason: z.string().min(1).max(1024),
  message: z.string().max(32768),
});

export const analysisResultSchema = z.object({
  revision: z.string(),
  time: z.string(),
  verdict: z.enum(['pass', 'fail', 'inconclusive']),
  ttfaP95Ms: z.number().optional(),
  errorRatePercent: z.number().optional(),
  bargeInP95Ms: z.number().optional(),
  samples: z.object({ turns: z.number().int(), ttfa: z.number().int(), bargeIn: z.number().int() }),
  message: z.string().optional(),
});

export const PHASES = ['Pending', 'Progressing', 'Ready', 'Degraded', 'Paused', 'Invalid'] as const;

export const statusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  phase: z.enum(PHASES).optional(),
  conditions: z
    .array(conditionSchema)
    .optional()
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  stableRevision: z.string().optional(),
  canaryRevision: z.string().optional(),
  canaryWeight: z.number().int().min(0).max(100).optional(),
  currentStep: z.number().int().min(0).optional(),
  replicas: z.number().int().min(0).optional(),
  readyReplicas: z.number().int().min(0).optional(),
  selector: z
    .string()
    .optional()
    .describe('Label selector of the stable revision\u2019s pods (scale subresource).'),
  lastAnalysis: analysisResultSchema.optional(),
  ttfaP95Ms: z.number().optional().describe('TTFA p95 of the last analysis, for kubectl get.'),
  message: z.string().optional(),
});

export type GoAssistDeploymentSpec = z.output<typeof specSchema>;
export type GoAssistDeploymentStatus = z.output<typeof statusSchema>;
export type Condition = z.output<typeof conditionSchema>;
export type Phase = (typeof PHASES)[number];
export type SecretKeyRef = z.output<typeof secretKeyRefSchema>;
