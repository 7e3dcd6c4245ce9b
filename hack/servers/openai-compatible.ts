import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { pcm16Bytes, streamOrCut, synthesize, wavHeader, type AudioStep } from './audio.js';
import {
  delay,
  nextStep,
  parseJson,
  runAsCli,
  sendJson,
  startHttpServer,
  write,
  type ListenOptions,
  type RecordedRequest,
  type ServerHandle,
} from './common.js';

/**
 * A local server speaking the OpenAI HTTP API as vLLM, Ollama and OpenAI do, for tests and
 * benchmarks: `POST /v1/chat/completions` (SSE `chat.completion.chunk` stream ending in
 * `data: [DONE]`, or one `chat.completion`), `POST /v1/audio/transcriptions` (multipart),
 * `POST /v1/audio/speech` (pcm 24 kHz or wav, streamed), `GET /v1/models`.
 * Every answer follows a script: latencies, failures, stalls, malformed output.
 */
export interface ChatStep {
  /** Reply text; by default `I heard: <last user message>`. */
  reply?: string;
  firstTokenDelayMs: number;
  interTokenDelayMs: number;
  /** Answer with this HTTP status and an OpenAI error body instead of a completion. */
  status?: number;
  retryAfterSeconds?: number;
  /** Send the SSE headers and the role chunk, then never a token. */
  stall?: boolean;
  /** Cut the connection after this many content tokens. */
  dropAfterTokens?: number;
  /** Send an SSE `{"error":...}` event after this many content tokens. */
  errorAfterTokens?: number;
  /** `json`: a data line that is not JSON; `shape`: JSON that is no chunk; `html`: a 200 HTML page. */
  malformed?: 'json' | 'shape' | 'html';
}

export interface TranscriptionStep {
  text: string;
  latencyMs: number;
  status?: number;
  /** `json`: a body that is not JSON; `shape`: JSON without `text`. */
  malformed?: 'json' | 'shape';
}

export interface SpeechStep extends AudioStep {
  /** Answer 200 with an empty body. */
  empty?: boolean;
}

export interface OpenAiServerOptions extends ListenOptions {
  chat?: Partial<ChatStep>;
  transcription?: Partial<TranscriptionStep>;
  speech?: Partial<SpeechStep>;
  /** Per-request overrides, consumed in order (request i of a kind takes item i). */
  chatScript?: Partial<ChatStep>[];
  transcriptionScript?: Partial<TranscriptionStep>[];
  speechScript?: Partial<SpeechStep>[];
  models?: string[];
}

export interface OpenAiServer extends ServerHandle {
  /** Queues steps for the next requests of each kind. */
  script: {
    chat: Partial<ChatStep>[];
    transcription: Partial<TranscriptionStep>[];
    speech: Partial<SpeechStep>[];
  };
  chatRequests(): RecordedRequest[];
}

/** OpenAI's `pcm` speech format: 24 kHz, 16-bit signed little-endian, mono. */
export const OPENAI_PCM_RATE = 24_000;

const CHAT_DEFAULTS: ChatStep = { firstTokenDelayMs: 0, interTokenDelayMs: 0 };
const TRANSCRIPTION_DEFAULTS: TranscriptionStep = { text: 'hello there', latencyMs: 0 };
const SPEECH_DEFAULTS: SpeechStep = { latencyMs: 0, chunkMs: 100, interChunkDelayMs: 0, audio: 'tone' };

export async function startOpenAiCompatible(opts: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const chatDefaults = { ...CHAT_DEFAULTS, ...opts.chat };
  const transcriptionDefaults = { ...TRANSCRIPTION_DEFAULTS, ...opts.transcription };
  const speechDefaults = { ...SPEECH_DEFAULTS, ...opts.speech };
  const script = {
    chat: [...(opts.chatScript ?? [])],
    transcription: [...(opts.transcriptionScript ?? [])],
    speech: [...(opts.speechScript ?? [])],
  };
  const models = opts.models ?? ['local-model'];
  let completions = 0;

  const handle = await startHttpServer(async (req, res, record, raw) => {
    const route = `${req.method} ${record.path.replace(/^\/v1(?=\/)/, '')}`;
    switch (route) {
      case 'GET /models':
        return sendJson(res, 200, {
          object: 'list',
          data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'goassist-test' })),
        });
      case 'POST /chat/completions': {
        record.body = parseJson(raw);
        return chat(res, record.body, nextStep(script.chat, chatDefaults), `chatcmpl-${++completions}`);
      }
      case 'POST /audio/transcriptions':
        return transcription(req, res, record, raw, nextStep(script.transcription, transcriptionDefaults));
      case 'POST /audio/speech':
        record.body = parseJson(raw);
        return speech(res, record.body, nextStep(script.speech, speechDefaults));
      default:
        return openAiError(
          res,
          404,
          `Unknown request URL: ${req.method} ${record.path}`,
          'invalid_request_error',
        );
    }
  }, opts);

  return {
    ...handle,
    script,
    chatRequests: () => handle.requests.filter((r) => r.path.endsWith('/chat/completions')),
  };
}

/** Ends the connection mid-response once what was written has been flushed (a truncated body). */
function cut(res: ServerResponse): void {
  res.socket?.destroySoon();
}

function openAiError(res: ServerResponse, status: number, message: string, type: string, headers = {}): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}

function failStatus(res: ServerResponse, status: number, retryAfterSeconds?: number): void {
  const type =
    status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const headers = retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {};
  openAiError(res, status, `scripted failure ${status}`, type, headers);
}

interface ChatBody {
  model: string;
  messages: { role: string; content: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

function validChatBody(body: unknown): body is ChatBody {
  const b = body as Partial<ChatBody> | undefined;
  return (
    !!b &&
    typeof b.model === 'string' &&
    Array.isArray(b.messages) &&
    b.messages.every((m) => m && typeof m.role === 'string')
  );
}

/** OpenAI-like tokens: words with their leading space, punctuation attached. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function defaultReply(body: ChatBody): string {
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
  const said = typeof lastUser?.content === 'string' ? lastUser.content.trim() : '';
  return said ? `I heard: ${said}` : 'Hello from the local test server.';
}

async function chat(res: ServerResponse, body: unknown, step: ChatStep, id: string): Promise<void> {
  if (!validChatBody(body))
    return openAiError(res, 400, "'model' and 'messages' are required", 'invalid_request_error');
  if (step.status !== undefined) {
    if (!(await delay(step.firstTokenDelayMs, res))) return;
    return failStatus(res, step.status, step.retryAfterSeconds);
  }
  const reply = step.reply ?? defaultReply(body);
  const created = Math.floor(Date.now() / 1000);
  if (!body.stream) {
    if (!(await delay(step.firstTokenDelayMs, res))) return;
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [
        { index: 0, message: { role: 'assistant', content: reply }, logprobs: null, finish_reason: 'stop' },
      ],
      usage: usage(body, reply),
    });
  }
  if (step.malformed === 'html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return void res.end('<html><body>502 Bad Gateway</body></html>');
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const chunk = (delta: object, finish: string | null = null): string =>
    `data: ${JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })}\n\n`;
  if (!(await write(res, chunk({ role: 'assistant', content: '' })))) return;
  if (step.stall) return; // headers and role sent; the first token never comes
  if (!(await delay(step.firstTokenDelayMs, res))) return;
  if (step.malformed === 'json') return void res.end('data: {"id": "broken", "choices": [\n\n');
  if (step.malformed === 'shape') return void res.end('data: {"unexpected": true}\n\ndata: [DONE]\n\n');
  const tokens = tokenize(reply);
  for (let i = 0; i < tokens.length; i++) {
    if (i === step.dropAfterTokens) return cut(res);
    if (i === step.errorAfterTokens) {
      await write(
        res,
        `data: ${JSON.stringify({ error: { message: 'scripted mid-stream error', type: 'server_error' } })}\n\n`,
      );
      return void res.end();
    }
    if (i > 0 && !(await delay(step.interTokenDelayMs, res))) return;
    if (!(await write(res, chunk({ content: tokens[i] })))) return;
  }
  if (step.dropAfterTokens !== undefined && step.dropAfterTokens >= tokens.length) return cut(res);
  await write(res, chunk({}, 'stop'));
  if (body.stream_options?.include_usage) {
    await write(
      res,
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: usage(body, reply) })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}

function usage(body: ChatBody, reply: string): object {
  const prompt = body.messages.reduce((n, m) => n + tokenize(String(m.content ?? '')).length, 0);
  const completion = tokenize(reply).length;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

async function transcription(
  req: IncomingMessage,
  res: ServerResponse,
  record: RecordedRequest,
  raw: Buffer,
  step: TranscriptionStep,
): Promise<void> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) {
    return openAiError(res, 400, 'expected multipart/form-data', 'invalid_request_error');
  }
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
  const file = form.get('file');
  const fields: Record<string, unknown> = {};
  form.forEach((value, key) => {
    fields[key] =
      typeof value === 'string' ? value : { name: value.name, type: value.type, size: value.size };
  });
  record.body = fields;
  if (!(file instanceof Blob) || file.size === 0)
    return openAiError(res, 400, "'file' is required", 'invalid_request_error');
  if (typeof fields.model !== 'string')
    return openAiError(res, 400, "'model' is required", 'invalid_request_error');
  if (!(await delay(step.latencyMs, res))) return;
  if (step.status !== undefined) return failStatus(res, step.status);
  if (step.malformed === 'json') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end('{"text": ');
  }
  if (step.malformed === 'shape') return sendJson(res, 200, { transcript: step.text });
  const format = typeof fields.response_format === 'string' ? fields.response_format : 'json';
  if (format === 'text') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    return void res.end(step.text);
  }
  if (format === 'verbose_json') {
    return sendJson(res, 200, {
      task: 'transcribe',
      language: fields.language ?? 'english',
      duration: 0,
      text: step.text,
      segments: [],
    });
  }
  if (format !== 'json')
    return openAiError(res, 400, `unsupported response_format ${format}`, 'invalid_request_error');
  return sendJson(res, 200, { text: step.text });
}

interface SpeechBody {
  model: string;
  input: string;
  voice: string;
  response_format?: string;
}

async function speech(res: ServerResponse, body: unknown, step: SpeechStep): Promise<void> {
  const b = body as Partial<SpeechBody> | undefined;
  if (!b || typeof b.model !== 'string' || typeof b.input !== 'string' || typeof b.voice !== 'string') {
    return openAiError(res, 400, "'model', 'input' and 'voice' are required", 'invalid_request_error');
  }
  const format = b.response_format ?? 'mp3';
  if (format !== 'pcm' && format !== 'wav') {
    return openAiError(
      res,
      400,
      `this server speaks pcm and wav only, not ${format}`,
      'invalid_request_error',
    );
  }
  if (!(await delay(step.latencyMs, res))) return;
  if (step.status !== undefined) return failStatus(res, step.status);
  const samples = await synthesize(b.input, OPENAI_PCM_RATE, step.audio);
  const pcm = pcm16Bytes(samples);
  res.writeHead(200, {
    'content-type': format === 'pcm' ? 'audio/pcm' : 'audio/wav',
    'transfer-encoding': 'chunked',
  });
  if (step.stall) return void res.flushHeaders();
  if (step.empty) return void res.end();
  const bytes = format === 'wav' ? Buffer.concat([wavHeader(OPENAI_PCM_RATE, pcm.length), pcm]) : pcm;
  await streamOrCut(res, bytes, OPENAI_PCM_RATE * 2, step);
}

runAsCli(import.meta.url, () => {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8090' },
      host: { type: 'string', default: '127.0.0.1' },
      reply: { type: 'string' },
      'first-token-ms': { type: 'string', default: '0' },
      'inter-token-ms': { type: 'string', default: '0' },
      transcript: { type: 'string', default: 'hello there' },
      'asr-latency-ms': { type: 'string', default: '0' },
      'tts-latency-ms': { type: 'string', default: '0' },
      'tts-audio': { type: 'string', default: 'tone' },
    },
  });
  return startOpenAiCompatible({
    port: Number(values.port),
    host: values.host,
    chat: {
      ...(values.reply !== undefined ? { reply: values.reply } : {}),
      firstTokenDelayMs: Number(values['first-token-ms']),
      interTokenDelayMs: Number(values['inter-token-ms']),
    },
    transcription: { text: values.transcript, latencyMs: Number(values['asr-latency-ms']) },
    speech: {
      latencyMs: Number(values['tts-latency-ms']),
      audio: values['tts-audio'] === 'espeak' ? 'espeak' : 'tone',
    },
  });
});
