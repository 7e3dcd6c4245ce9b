/**
 * Parses the environment once at start. Everything downstream takes the typed `RuntimeConfig`;
 * nothing else reads process.env.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { ENV_VAR_NAMES, SECRET_VARS, crossFieldProblems, defaultVadModelPath, envSchema } from './schema.js';
import type { ParsedEnv } from './schema.js';

export { ENV_VAR_NAMES, SECRET_VARS } from './schema.js';
export type { TrustProxy } from './fields.js';

export type RuntimeConfig = Omit<ParsedEnv, 'CSRF_ENABLED' | 'VAD_MODEL_PATH' | 'SESSION_SECRET'> & {
  CSRF_ENABLED: boolean;
  VAD_MODEL_PATH: string;
  /** The configured secret, or a random per-process one outside production. */
  SESSION_SECRET: string;
  /** True when SESSION_SECRET was generated: tokens do not survive a restart or work across pods. */
  SESSION_SECRET_EPHEMERAL: boolean;
};

export interface LoadOptions {
  /** Reads API_KEYS_FILE; injectable for tests. */
  readFile?: (path: string) => string;
}

/** Parses `env`; throws ConfigError whose message is one line naming each bad variable and what is allowed. */
export function loadConfig(env: NodeJS.ProcessEnv, opts: LoadOptions = {}): RuntimeConfig {
  const input: Record<string, string | undefined> = {};
  for (const name of ENV_VAR_NAMES) {
    const v = env[name];
    // An empty value (`LLM_BASE_URL=` in a .env file) means "unset".
    input[name] = v === undefined || v.trim() === '' ? undefined : v;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = input[name];
      const shown = value === undefined || SECRET_VARS.has(name) ? '' : ` (got ${JSON.stringify(value)})`;
      return `${name} must be ${issue.message}${shown}`;
    });
    throw new ConfigError(lines.join('; '));
  }
  const env2 = parsed.data;
  const apiKeys = [...env2.API_KEYS];
  if (env2.API_KEYS_FILE !== undefined) apiKeys.push(...readApiKeysFile(env2.API_KEYS_FILE, opts.readFile));

  const problems = crossFieldProblems(env2);
  if (env2.API_KEYS_FILE !== undefined && apiKeys.length === 0)
    problems.push(['API_KEYS_FILE', 'must contain at least one key (one per line)']);
  if (problems.length > 0) throw new ConfigError(problems.map(([name, msg]) => `${name} ${msg}`).join('; '));

  const ephemeral = env2.SESSION_SECRET === undefined;
  return {
    ...env2,
    ...openAiFallbacks(env2),
    API_KEYS: [...new Set(apiKeys)],
    CSRF_ENABLED: env2.CSRF_ENABLED ?? env2.ENVIRONMENT === 'production',
    VAD_MODEL_PATH: env2.VAD_MODEL_PATH ?? defaultVadModelPath(),
    SESSION_SECRET: env2.SESSION_SECRET ?? randomBytes(32).toString('base64url'),
    SESSION_SECRET_EPHEMERAL: ephemeral,
  };
}

/**
 * OpenAI-compatible ASR/TTS without their own endpoint use the LLM's endpoint and key, resolved
 * here so engines get complete values.
 */
function openAiFallbacks(env: ParsedEnv): Partial<ParsedEnv> {
  const out: Partial<ParsedEnv> = {};
  if (env.ASR_ENGINE === 'openai' && env.ASR_BASE_URL === undefined) {
    out.ASR_BASE_URL = env.LLM_BASE_URL;
    out.ASR_API_KEY = env.ASR_API_KEY ?? env.LLM_API_KEY;
  }
  if (env.TTS_ENGINE === 'openai' && env.TTS_BASE_URL === undefined) {
    out.TTS_BASE_URL = env.LLM_BASE_URL;
    out.TTS_API_KEY = env.TTS_API_KEY ?? env.LLM_API_KEY;
  }
  return out;
}

function readApiKeysFile(path: string, read = (p: string) => readFileSync(p, 'utf8')): string[] {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`API_KEYS_FILE must be a readable file with one key per line (${reason}: ${path})`);
  }
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (keys.some((k) => !/^[\x21-\x7e]{16,}$/.test(k)))
    throw new ConfigError(
      `API_KEYS_FILE must hold one key per line, each 16+ printable characters (${path})`,
    );
  return keys;
}

/** The config with secrets masked, for the start-up log line. */
export function describeConfig(config: RuntimeConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (SECRET_VARS.has(k))
      out[k] = Array.isArray(v) ? `[${v.length} set]` : v === undefined ? undefined : '[set]';
    else if (k !== 'LLM_SYSTEM_PROMPT') out[k] = v;
  }
  return out;
}
