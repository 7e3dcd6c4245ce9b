import { RUNTIME_ENV } from '../../contract/runtime-env.js';
import { ConfigError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { ENV_VAR_NAMES, describeConfig, loadConfig } from './index.js';

const SECRET = 'x'.repeat(40);
const KEY = 'k'.repeat(20);

function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('runtime config', () => {
  it('reads every runtime variable of the shared contract', () => {
    for (const name of Object.values(RUNTIME_ENV)) expect(ENV_VAR_NAMES).toContain(name);
  });

  it('has working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      ENVIRONMENT: 'development',
      PORT: 8000,
      HOST: '0.0.0.0',
      MAX_CONCURRENT_SESSIONS: 100,
      CSRF_ENABLED: false,
      RATE_LIMIT_SESSIONS_PER_MINUTE: 60,
      RATE_LIMIT_REQUESTS_PER_MINUTE: 600,
      SESSION_IDLE_TIMEOUT_SECONDS: 300,
      SESSION_MAX_DURATION_SECONDS: 3600,
      DRAIN_TIMEOUT_SECONDS: 30,
      BODY_LIMIT_BYTES: 16384,
      GOASSIST_REVISION: 'dev',
      INPUT_SAMPLE_RATE: 16000,
      OUTPUT_SAMPLE_RATE: 24000,
      VAD_THRESHOLD: 0.5,
      VAD_NEG_THRESHOLD: 0.35,
      ASR_ENGINE: 'pocketsphinx',
      TTS_ENGINE: 'espeak',
      ENABLE_AVATAR: false,
      FALSE_INTERRUPTION_RESUME: true,
      API_KEYS: [],
      SESSION_SECRET_EPHEMERAL: true,
    });
    expect(c.SESSION_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(c.VAD_MODEL_PATH).toMatch(/silero_vad\.onnx$/);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ LLM_BASE_URL: '', PORT: ' ' }).PORT).toBe(8000);
  });

  it('parses typed values', () => {
    const c = loadConfig({
      PORT: '9000',
      CSRF_ENABLED: 'true',
      API_KEYS: `${KEY}, ${KEY}b ,`,
      TRUST_PROXY: '10.0.0.0/8,127.0.0.1',
      ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:3000',
      LLM_TEMPERATURE: '0.2',
      AUDIO2FACE_GRPC_URL: 'grpcs://a2f.example.com:443',
      ENABLE_AVATAR: 'true',
    });
    expect(c.PORT).toBe(9000);
    expect(c.CSRF_ENABLED).toBe(true);
    expect(c.API_KEYS).toEqual([KEY, `${KEY}b`]);
    expect(c.TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(c.ALLOWED_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(c.LLM_TEMPERATURE).toBe(0.2);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer from 0 to 65535 (got "eighty")'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535 (got "70000")'],
    [{ ENVIRONMENT: 'prod' }, 'ENVIRONMENT must be one of development, production, test (got "prod")'],
    [{ CSRF_ENABLED: 'maybe' }, 'CSRF_ENABLED must be true or false (got "maybe")'],
    [{ ASR_ENGINE: 'vosk' }, 'ASR_ENGINE must be one of pocketsphinx, whisper, openai (got "vosk")'],
    [{ ASR_WORKERS: '0' }, 'ASR_WORKERS must be an integer from 1 to 64 (got "0")'],
    [{ ASR_WORKERS: 'four' }, 'ASR_WORKERS must be an integer from 1 to 64 (got "four")'],
    [{ VAD_THRESHOLD: '1.5' }, 'VAD_THRESHOLD must be a number from 0 to 1 (got "1.5")'],
    [{ LLM_BASE_URL: 'ftp://x' }, 'LLM_BASE_URL must be an http:// or https:// URL (got "ftp://x")'],
    [
      { ALLOWED_ORIGINS: 'https://a.example.com/path' },
      'ALLOWED_ORIGINS must be a comma-separated list of origins',
    ],
    [{ TRUST_PROXY: 'sometimes' }, 'TRUST_PROXY must be true, false, a hop count'],
  ])('rejects %j with one line naming the variable', (env, expected) => {
    const msg = problem(env);
    expect(msg).toContain(expected);
    expect(msg).not.toContain('\n');
  });

  it('never echoes a secret value in an error', () => {
    const msg = problem({ SESSION_SECRET: 'short-secret-value' });
    expect(msg).toBe('SESSION_SECRET must be at least 32 characters long');
    expect(problem({ API_KEYS: 'tiny' })).not.toContain('tiny');
  });

  it('reports several bad variables on one line', () => {
    const msg = problem({ PORT: 'x', MAX_CONCURRENT_SESSIONS: '0' });
    expect(msg).toMatch(/^PORT must be .*; MAX_CONCURRENT_SESSIONS must be an integer from 1 to 100000/);
  });

  describe('production', () => {
    it('refuses a missing SESSION_SECRET or API_KEYS', () => {
      expect(problem({ ENVIRONMENT: 'production', API_KEYS: KEY })).toContain('SESSION_SECRET is required');
      expect(problem({ ENVIRONMENT: 'production', SESSION_SECRET: SECRET })).toContain(
        'API_KEYS is required',
      );
    });
    it('turns CSRF on unless switched off explicitly', () => {
      const base = { ENVIRONMENT: 'production', SESSION_SECRET: SECRET, API_KEYS: KEY };
      expect(loadConfig(base).CSRF_ENABLED).toBe(true);
      expect(loadConfig({ ...base, CSRF_ENABLED: 'false' }).CSRF_ENABLED).toBe(false);
      expect(loadConfig(base).SESSION_SECRET_EPHEMERAL).toBe(false);
    });
  });

  it.each([
    [{ ASR_ENGINE: 'whisper' }, 'ASR_MODEL_PATH is required when ASR_ENGINE=whisper'],
    [{ ASR_ENGINE: 'openai' }, 'ASR_BASE_URL is required when ASR_ENGINE=openai'],
    [{ TTS_ENGINE: 'coqui' }, 'TTS_BASE_URL is required when TTS_ENGINE=coqui'],
    [{ TTS_ENGINE: 'bark' }, 'TTS_BASE_URL is required when TTS_ENGINE=bark'],
    [{ ENABLE_AVATAR: 'true' }, 'AUDIO2FACE_GRPC_URL is required when ENABLE_AVATAR=true'],
    [{ AUDIO2FACE_GRPC_URL: 'http://x:1' }, 'AUDIO2FACE_GRPC_URL must be host:port'],
    [{ AUDIO2FACE_GRPC_URL: 'grpc://a2f:99999' }, 'AUDIO2FACE_GRPC_URL must be host:port'],
    [{ AUDIO2FACE_GRPC_URL: 'grpc://a2f:52000/path' }, 'AUDIO2FACE_GRPC_URL must be host:port'],
    [{ VAD_THRESHOLD: '0.3', VAD_NEG_THRESHOLD: '0.4' }, 'VAD_NEG_THRESHOLD must not exceed VAD_THRESHOLD'],
  ])('enforces cross-field rule %j', (env, expected) => {
    expect(problem(env)).toContain(expected);
  });

  it('accepts the cross-field combinations that are complete', () => {
    expect(() => loadConfig({ ASR_ENGINE: 'openai', LLM_BASE_URL: 'http://127.0.0.1:9/v1' })).not.toThrow();
    expect(() => loadConfig({ ASR_ENGINE: 'whisper', ASR_MODEL_PATH: '/m.bin' })).not.toThrow();
    expect(() => loadConfig({ ENABLE_AVATAR: 'true', AUDIO2FACE_GRPC_URL: '127.0.0.1:52000' })).not.toThrow();
  });

  it('lets OpenAI-compatible ASR and TTS fall back to the LLM endpoint and key', () => {
    const c = loadConfig({
      ASR_ENGINE: 'openai',
      TTS_ENGINE: 'openai',
      LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      LLM_API_KEY: 'llm-key',
    });
    expect(c).toMatchObject({
      ASR_BASE_URL: 'http://127.0.0.1:9/v1',
      ASR_API_KEY: 'llm-key',
      TTS_BASE_URL: 'http://127.0.0.1:9/v1',
      TTS_API_KEY: 'llm-key',
    });
    const own = loadConfig({
      ASR_ENGINE: 'openai',
      ASR_BASE_URL: 'http://127.0.0.1:8/v1',
      LLM_API_KEY: 'llm-key',
    });
    expect(own).toMatchObject({ ASR_BASE_URL: 'http://127.0.0.1:8/v1', ASR_API_KEY: undefined });
  });

  it('reads API_KEYS_FILE, one key per line, comments skipped', () => {
    const c = loadConfig(
      { API_KEYS: KEY, API_KEYS_FILE: '/keys' },
      { readFile: () => `# team keys\n${'a'.repeat(16)}\n\n${'b'.repeat(16)}\n` },
    );
    expect(c.API_KEYS).toEqual([KEY, 'a'.repeat(16), 'b'.repeat(16)]);
    expect(() =>
      loadConfig(
        { API_KEYS_FILE: '/missing' },
        {
          readFile: () => {
            throw Object.assign(new Error('x'), { code: 'ENOENT' });
          },
        },
      ),
    ).toThrow('API_KEYS_FILE must be a readable file with one key per line (ENOENT: /missing)');
    expect(() => loadConfig({ API_KEYS_FILE: '/empty' }, { readFile: () => '\n' })).toThrow(
      'API_KEYS_FILE must contain',
    );
  });

  it('masks secrets when described for the log', () => {
    const d = describeConfig(
      loadConfig({ API_KEYS: KEY, LLM_API_KEY: 'sk-secret-value', SESSION_SECRET: SECRET }),
    );
    const text = JSON.stringify(d);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('sk-secret-value');
    expect(text).not.toContain(SECRET);
  });

  it('is documented variable by variable in .env.example and docs/configuration.md', () => {
    const example = readFileSync('.env.example', 'utf8');
    const reference = readFileSync('docs/configuration.md', 'utf8');
    const exampleVars = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(exampleVars.sort()).toEqual([...ENV_VAR_NAMES].sort());
    for (const name of ENV_VAR_NAMES) expect(reference).toContain(`| \`${name}\` |`);
    // The example file itself is a valid configuration.
    const env = Object.fromEntries([...example.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(() => loadConfig(env)).not.toThrow();
  });
});
