import type { ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { float32Bytes, pcm16Bytes, streamOrCut, synthesize, wavHeader, type AudioStep } from './audio.js';
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
 * A local server speaking LocalAI's TTS API as it serves Bark (mudler/LocalAI docs, "Text to audio",
 * Bark backend): `POST /tts` with JSON `{input, model?, backend?}` answers one `audio/wav` file at
 * Bark's 24 kHz (32-bit float, as numpy audio is written, or 16-bit); `GET /readyz` and
 * `GET /healthz` answer 200. Errors use LocalAI's `{"error":{"code","message","type"}}`.
 */
export interface BarkStep extends AudioStep {
  encoding: 'float32' | 'pcm16';
  notWav?: boolean;
}

export interface BarkServerOptions extends ListenOptions {
  step?: Partial<BarkStep>;
  script?: Partial<BarkStep>[];
}

export interface BarkServer extends ServerHandle {
  script: Partial<BarkStep>[];
}

export const BARK_SAMPLE_RATE = 24_000;
const DEFAULTS: BarkStep = {
  latencyMs: 0,
  chunkMs: 100,
  interChunkDelayMs: 0,
  audio: 'tone',
  encoding: 'float32',
};

export async function startBark(opts: BarkServerOptions = {}): Promise<BarkServer> {
  const defaults = { ...DEFAULTS, ...opts.step };
  const script = [...(opts.script ?? [])];
  const handle = await startHttpServer(async (req, res, record, raw) => {
    const route = `${req.method} ${record.path}`;
    if (route === 'GET /readyz' || route === 'GET /healthz') {
      res.writeHead(200);
      return void res.end();
    }
    if (route !== 'POST /tts') return localAiError(res, 404, 'Not Found');
    record.body = parseJson(raw);
    const body = (record.body ?? {}) as { input?: unknown; backend?: unknown; model?: unknown };
    if (typeof body.input !== 'string' || !body.input) return localAiError(res, 400, 'input is required');
    if (body.backend !== undefined && body.backend !== 'bark') {
      return localAiError(res, 500, `backend ${String(body.backend)} is not installed on this server`);
    }
    return tts(res, body.input, nextStep(script, defaults));
  }, opts);
  return { ...handle, script };
}

function localAiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { code: status, message, type: '' } });
}

async function tts(res: ServerResponse, input: string, step: BarkStep): Promise<void> {
  if (!(await delay(step.latencyMs, res))) return;
  if (step.status !== undefined) return localAiError(res, step.status, `scripted failure ${step.status}`);
  if (step.notWav) {
    res.writeHead(200, { 'content-type': 'audio/wav' });
    return void res.end('RIFF????WAVEjunk');
  }
  const samples = await synthesize(input, BARK_SAMPLE_RATE, step.audio);
  const data = step.encoding === 'float32' ? float32Bytes(samples) : pcm16Bytes(samples);
  const file = Buffer.concat([wavHeader(BARK_SAMPLE_RATE, data.length, step.encoding), data]);
  res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': file.length });
  if (step.stall) return void res.flushHeaders();
  const bytesPerSecond = BARK_SAMPLE_RATE * (step.encoding === 'float32' ? 4 : 2);
  await streamOrCut(res, file, bytesPerSecond, step);
}

runAsCli(import.meta.url, () => {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'latency-ms': { type: 'string', default: '0' },
      audio: { type: 'string', default: 'espeak' },
    },
  });
  return startBark({
    port: Number(values.port),
    host: values.host,
    step: { latencyMs: Number(values['latency-ms']), audio: values.audio === 'tone' ? 'tone' : 'espeak' },
  });
});
