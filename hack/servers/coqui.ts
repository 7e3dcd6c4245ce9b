import type { ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { pcm16Bytes, streamOrCut, synthesize, wavHeader, type AudioStep } from './audio.js';
import {
  delay,
  nextStep,
  parseJson,
  runAsCli,
  sendJson,
  startHttpServer,
  type ListenOptions,
  type ServerHandle,
} from './common.js';

/**
 * A local server speaking both Coqui HTTP APIs, for tests and benchmarks:
 * - the Coqui TTS demo server (coqui-ai/TTS `TTS/server/server.py`): `GET|POST /api/tts` with
 *   `text`, `speaker_id`, `style_wav`, `language_id` (query or form; newer versions also read the
 *   `speaker-id`/`language-id` headers) answering one `audio/wav` file;
 * - coqui-ai/xtts-streaming-server (`server/main.py`): `GET /studio_speakers`, `GET /languages`,
 *   `POST /tts_stream` (JSON, validated like its pydantic model) streaming a WAV header with a
 *   zero data size and then raw 24 kHz PCM16 chunks.
 */
/** `stall` sends headers (and for /tts_stream the WAV header), never audio. */
export interface CoquiStep extends AudioStep {
  /** Answer 200 with a body that is not WAV. */
  notWav?: boolean;
}

export interface CoquiServerOptions extends ListenOptions {
  /** Rate of the classic /api/tts model (e.g. 22050 for ljspeech VITS). */
  sampleRate?: number;
  step?: Partial<CoquiStep>;
  script?: Partial<CoquiStep>[];
  speakers?: string[];
  /** Rows of each speaker's gpt_cond_latent (XTTS v2: 32 x 1024). */
  latentRows?: number;
  /** Which APIs to serve (default both); a real server speaks one. */
  apis?: ('tts' | 'xtts-stream')[];
}

export interface CoquiServer extends ServerHandle {
  script: Partial<CoquiStep>[];
}

/** XTTS v2 output rate. */
export const XTTS_SAMPLE_RATE = 24_000;
export const XTTS_LANGUAGES = [
  'en',
  'de',
  'fr',
  'es',
  'it',
  'pl',
  'pt',
  'tr',
  'ru',
  'nl',
  'cs',
  'ar',
  'zh',
  'ja',
  'hu',
  'ko',
];
const DEFAULTS: CoquiStep = { latencyMs: 0, chunkMs: 100, interChunkDelayMs: 0, audio: 'tone' };

export async function startCoqui(opts: CoquiServerOptions = {}): Promise<CoquiServer> {
  const defaults = { ...DEFAULTS, ...opts.step };
  const script = [...(opts.script ?? [])];
  const sampleRate = opts.sampleRate ?? 22_050;
  const apis = new Set(opts.apis ?? ['tts', 'xtts-stream']);
  const speakers = studioSpeakers(
    opts.speakers ?? ['Claribel Dervla', 'Daisy Studious'],
    opts.latentRows ?? 32,
  );

  const handle = await startHttpServer(async (req, res, record, raw) => {
    const route = `${req.method} ${record.path}`;
    if (route === 'GET /') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html><body>TTS engine</body></html>');
    }
    if (apis.has('xtts-stream') && route === 'GET /studio_speakers') return sendJson(res, 200, speakers);
    if (apis.has('xtts-stream') && route === 'GET /languages') return sendJson(res, 200, XTTS_LANGUAGES);
    if (apis.has('tts') && (route === 'GET /api/tts' || route === 'POST /api/tts')) {
      const form = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) : {};
      const params = { ...record.query, ...form };
      const header = (name: string): string | undefined => {
        const v = req.headers[name];
        return typeof v === 'string' && v ? v : undefined;
      };
      record.body = {
        text: params.text,
        speaker_id: header('speaker-id') ?? params.speaker_id ?? '',
        style_wav: header('style-wav') ?? params.style_wav ?? '',
        language_id: header('language-id') ?? params.language_id ?? '',
      };
      if (!params.text) return sendJson(res, 400, { error: 'text is required' });
      return classic(res, params.text, sampleRate, nextStep(script, defaults));
    }
    if (apis.has('xtts-stream') && route === 'POST /tts_stream') {
      record.body = parseJson(raw);
      const problems = validateStreamingInputs(record.body);
      if (problems.length) return sendJson(res, 422, { detail: problems });
      return xttsStream(res, record.body as { text: string }, nextStep(script, defaults));
    }
    return sendJson(res, 404, { detail: 'Not Found' });
  }, opts);
  return { ...handle, script };
}

async function classic(
  res: ServerResponse,
  text: string,
  sampleRate: number,
  step: CoquiStep,
): Promise<void> {
  if (!(await delay(step.latencyMs, res))) return;
  if (step.status !== undefined)
    return sendJson(res, step.status, { error: `scripted failure ${step.status}` });
  if (step.notWav) {
    res.writeHead(200, { 'content-type': 'audio/wav' });
    return void res.end('<html>this is not audio</html>');
  }
  const pcm = pcm16Bytes(await synthesize(text, sampleRate, step.audio));
  const file = Buffer.concat([wavHeader(sampleRate, pcm.length), pcm]);
  res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': file.length });
  if (step.stall) return void res.flushHeaders();
  await streamOrCut(res, file, sampleRate * 2, step);
}

async function xttsStream(res: ServerResponse, body: { text: string }, step: CoquiStep): Promise<void> {
  if (!(await delay(step.latencyMs, res))) return;
  if (step.status !== undefined)
    return sendJson(res, step.status, { detail: `scripted failure ${step.status}` });
  res.writeHead(200, { 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' });
  if (step.notWav) return void res.end('not a wav stream');
  // As the real server: a header written by Python's `wave` with no frames (data size 0), then raw PCM.
  res.write(wavHeader(XTTS_SAMPLE_RATE, 0));
  if (step.stall) return;
  const pcm = pcm16Bytes(await synthesize(body.text, XTTS_SAMPLE_RATE, step.audio));
  await streamOrCut(res, pcm, XTTS_SAMPLE_RATE * 2, step);
}

/** FastAPI-style 422 details for the StreamingInputs model of xtts-streaming-server. */
function validateStreamingInputs(body: unknown): object[] {
  const b = (body ?? {}) as Record<string, unknown>;
  const problems: object[] = [];
  const missing = (field: string): void => {
    problems.push({ type: 'missing', loc: ['body', field], msg: 'Field required', input: body });
  };
  if (!Array.isArray(b.speaker_embedding) || !b.speaker_embedding.every((x) => typeof x === 'number'))
    missing('speaker_embedding');
  if (!Array.isArray(b.gpt_cond_latent) || !b.gpt_cond_latent.every((r) => Array.isArray(r)))
    missing('gpt_cond_latent');
  if (typeof b.text !== 'string') missing('text');
  if (typeof b.language !== 'string' || !XTTS_LANGUAGES.includes(b.language)) {
    problems.push({
      type: 'literal_error',
      loc: ['body', 'language'],
      msg: `Input should be one of ${XTTS_LANGUAGES.join(', ')}`,
      input: b.language,
    });
  }
  return problems;
}

/** Deterministic stand-ins for XTTS studio speaker latents, with the real shapes (512; rows x 1024). */
function studioSpeakers(
  names: string[],
  rows: number,
): Record<string, { speaker_embedding: number[]; gpt_cond_latent: number[][] }> {
  const value = (seed: number, i: number): number =>
    Math.round(Math.sin(seed * 131 + i * 0.37) * 1000) / 1000;
  return Object.fromEntries(
    names.map((name, s) => [
      name,
      {
        speaker_embedding: Array.from({ length: 512 }, (_, i) => value(s + 1, i)),
        gpt_cond_latent: Array.from({ length: rows }, (_, r) =>
          Array.from({ length: 1024 }, (_, i) => value(s + 1, r * 1024 + i)),
        ),
      },
    ]),
  );
}

runAsCli(import.meta.url, () => {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '5002' },
      host: { type: 'string', default: '127.0.0.1' },
      'latency-ms': { type: 'string', default: '0' },
      'chunk-ms': { type: 'string', default: '100' },
      'inter-chunk-ms': { type: 'string', default: '0' },
      audio: { type: 'string', default: 'espeak' },
      api: { type: 'string', default: 'both' },
    },
  });
  return startCoqui({
    apis: values.api === 'tts' || values.api === 'xtts-stream' ? [values.api] : ['tts', 'xtts-stream'],
    port: Number(values.port),
    host: values.host,
    step: {
      latencyMs: Number(values['latency-ms']),
      chunkMs: Number(values['chunk-ms']),
      interChunkDelayMs: Number(values['inter-chunk-ms']),
      audio: values.audio === 'tone' ? 'tone' : 'espeak',
    },
  });
});
