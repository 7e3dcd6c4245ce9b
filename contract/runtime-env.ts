/**
 * Environment variables of the runtime that the operator sets on its pods.
 * The runtime's zod schema (runtime/config) is the authority; a test checks these names exist there.
 */
export const RUNTIME_ENV = {
  environment: 'ENVIRONMENT',
  port: 'PORT',
  maxConcurrentSessions: 'MAX_CONCURRENT_SESSIONS',
  llmApiKey: 'LLM_API_KEY',
  llmBaseUrl: 'LLM_BASE_URL',
  llmModelName: 'LLM_MODEL_NAME',
  asrEngine: 'ASR_ENGINE',
  asrModelPath: 'ASR_MODEL_PATH',
  asrBaseUrl: 'ASR_BASE_URL',
  asrApiKey: 'ASR_API_KEY',
  asrModelName: 'ASR_MODEL_NAME',
  ttsEngine: 'TTS_ENGINE',
  ttsBaseUrl: 'TTS_BASE_URL',
  ttsApiKey: 'TTS_API_KEY',
  ttsVoice: 'TTS_VOICE',
  csrfEnabled: 'CSRF_ENABLED',
  sessionSecret: 'SESSION_SECRET',
  apiKeys: 'API_KEYS',
  enableAvatar: 'ENABLE_AVATAR',
  audio2faceGrpcUrl: 'AUDIO2FACE_GRPC_URL',
  otelExporterOtlpEndpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  drainTimeoutSeconds: 'DRAIN_TIMEOUT_SECONDS',
  revision: 'GOASSIST_REVISION',
  podName: 'POD_NAME',
} as const;

/** Default runtime HTTP port (ARCHITECTURE.md). */
export const RUNTIME_DEFAULT_PORT = 8000;
/** Paths of the runtime's probes and metrics. */
export const RUNTIME_PATHS = {
  livez: '/livez',
  readyz: '/readyz',
  health: '/health',
  metrics: '/metrics',
} as const;
