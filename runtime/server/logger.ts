/**
 * The one pino logger. Secrets never reach a log line: credential headers and token-like fields are
 * redacted by path, and URLs lose their `token` query parameter before they are serialized.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';

const SECRET_HEADERS = [
  'authorization',
  'cookie',
  'x-csrf-token',
  'x-session-token',
  'sec-websocket-protocol',
  'x-api-key',
];
const SECRET_FIELDS = [
  'token',
  'csrf_token',
  'apiKey',
  'api_key',
  'password',
  'secret',
  'SESSION_SECRET',
  'API_KEYS',
  'LLM_API_KEY',
  'ASR_API_KEY',
  'TTS_API_KEY',
];

export const REDACT_PATHS = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`, `*.headers["${h}"]`]),
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]),
];

/** Replaces the value of `token` query parameters (WebSocket attach) with [redacted]. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|access_token|api_key)=)[^&#]*/gi, '$1[redacted]');
}

interface RawRequestLike {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number };
  raw?: { url?: string };
}

export function createLogger(
  opts: { level: string; revision: string; pod?: string | undefined },
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    base: { revision: opts.revision, ...(opts.pod !== undefined ? { pod: opts.pod } : {}) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(req: RawRequestLike) {
        return {
          method: req.method,
          url: redactUrl(req.url ?? req.raw?.url ?? ''),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
          userAgent: req.headers?.['user-agent'],
        };
      },
      err: pino.stdSerializers.err,
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
