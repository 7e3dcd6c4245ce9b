/**
 * The OpenAPI 3.1 description of the runtime's HTTP API (docs/openapi.json; served at
 * GET /openapi.json). The request body schema comes from the same zod schema the route validates
 * with, so the two cannot drift; a test keeps docs/openapi.json equal to this.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';
import { createSessionBody } from './routes/sessions.js';

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string, headers?: object) => ({
  description,
  content: json(ref('Error')),
  ...(headers !== undefined ? { headers } : {}),
});
const retryAfter = {
  'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying.' },
};
const sessionIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^sess_[A-Za-z0-9_-]{22}$' },
};
const apiKey = [{ apiKey: [] }, {}];

const componentStatus = {
  type: 'object',
  required: ['state', 'engine'],
  properties: {
    state: { enum: ['up', 'loading', 'down', 'disabled'] },
    engine: { type: 'string' },
    offline: { type: 'boolean' },
    detail: { type: 'string' },
  },
};
const components = {
  type: 'object',
  properties: Object.fromEntries(
    ['vad', 'asr', 'llm', 'tts', 'avatar'].map((c) => [c, ref('ComponentStatus')]),
  ),
};

function bodySchema(): object {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(createSessionBody) as Record<string, unknown>;
  return schema;
}

export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'GoAssist runtime',
      version: '1',
      description: 'Voice sessions over HTTP and WebSocket. See docs/api.md and docs/protocol.md.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API_KEYS' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { enum: Object.values(ERROR_CODES) }, message: { type: 'string' } },
            },
          },
        },
        ComponentStatus: componentStatus,
        CreateSessionRequest: bodySchema(),
        CreatedSession: {
          type: 'object',
          required: ['session_id', 'state', 'token', 'stream_url'],
          properties: {
            session_id: { type: 'string' },
            state: { const: 'idle' },
            token: { type: 'string', description: 'Present it when attaching to stream_url.' },
            stream_url: { type: 'string', format: 'uri' },
            expires_at: { type: 'string', format: 'date-time' },
            input_sample_rate: { type: 'integer' },
            output_sample_rate: { type: 'integer' },
          },
        },
        Session: {
          type: 'object',
          required: ['session_id', 'state', 'connected', 'created_at', 'stats'],
          properties: {
            session_id: { type: 'string' },
            state: { enum: ['idle', 'listening', 'thinking', 'speaking', 'interrupted', 'ended'] },
            connected: { type: 'boolean' },
            created_at: { type: 'string', format: 'date-time' },
            expires_at: { type: 'string', format: 'date-time' },
            last_activity_at: { type: 'string', format: 'date-time' },
            input_sample_rate: { type: 'integer' },
            stats: {
              type: 'object',
              properties: {
                turns: { type: 'integer' },
                turns_by_outcome: { type: 'object', additionalProperties: { type: 'integer' } },
                last_ttfa_ms: { type: ['number', 'null'] },
                frames_in: { type: 'integer' },
                bytes_in: { type: 'integer' },
                frames_out: { type: 'integer' },
                bytes_out: { type: 'integer' },
                attaches: { type: 'integer' },
              },
            },
          },
        },
      },
    },
    paths: {
      '/livez': {
        get: {
          summary: 'Liveness',
          responses: { 200: { description: 'serving', content: json({ const: { status: 'ok' } }) } },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: engines loaded and not draining',
          responses: {
            200: {
              description: 'ready',
              content: json({ type: 'object', properties: { status: { const: 'ready' }, components } }),
            },
            503: {
              description: 'not ready or draining',
              content: json({
                type: 'object',
                properties: { status: { enum: ['not_ready', 'draining'] }, components },
              }),
            },
          },
        },
      },
      '/health': {
        get: {
          summary: 'Per-component health and capacity',
          responses: Object.fromEntries(
            [
              [200, 'healthy'],
              [503, 'degraded'],
            ].map(([code, status]) => [
              code,
              {
                description: String(status),
                content: json({
                  type: 'object',
                  properties: {
                    status: { const: status },
                    components,
                    active_sessions: { type: 'integer' },
                    max_sessions: { type: 'integer' },
                  },
                }),
              },
            ]),
          ),
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: {
            200: {
              description: 'text format 0.0.4',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/csrf': {
        get: {
          summary: 'CSRF token (also set as cookie csrf_token); send it as X-CSRF-Token',
          responses: {
            200: {
              description: 'token',
              content: json({
                type: 'object',
                required: ['csrf_token'],
                properties: { csrf_token: { type: 'string' } },
              }),
            },
          },
        },
      },
      '/sessions': {
        post: {
          summary: 'Create a session',
          security: apiKey,
          parameters: [{ name: 'X-CSRF-Token', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: { required: false, content: json(ref('CreateSessionRequest')) },
          responses: {
            201: { description: 'created', content: json(ref('CreatedSession')) },
            400: error('invalid JSON or fields'),
            401: error('missing or wrong API key'),
            403: error('CSRF token missing or wrong'),
            413: error('body too large'),
            415: error('not application/json'),
            429: error('rate limited', retryAfter),
            503: error('at capacity, draining, or engines not ready', retryAfter),
          },
        },
        get: {
          summary: 'List sessions',
          security: apiKey,
          responses: {
            200: {
              description: 'sessions',
              content: json({
                type: 'object',
                properties: {
                  sessions: { type: 'array', items: ref('Session') },
                  active_sessions: { type: 'integer' },
                  max_sessions: { type: 'integer' },
                },
              }),
            },
            401: error('missing or wrong API key'),
            429: error('rate limited', retryAfter),
          },
        },
      },
      '/sessions/{id}': {
        parameters: [sessionIdParam],
        get: {
          summary: 'A session: state and stats',
          security: apiKey,
          responses: {
            200: { description: 'the session', content: json(ref('Session')) },
            400: error('malformed id'),
            401: error('missing or wrong API key'),
            404: error('no such session on this server'),
          },
        },
        delete: {
          summary: 'End a session',
          security: apiKey,
          responses: {
            200: {
              description: 'ended',
              content: json({
                type: 'object',
                properties: { session_id: { type: 'string' }, state: { const: 'ended' } },
              }),
            },
            400: error('malformed id'),
            401: error('missing or wrong API key'),
            403: error('CSRF token missing or wrong'),
            404: error('no such session on this server'),
          },
        },
      },
      '/sessions/{id}/stream': {
        parameters: [sessionIdParam],
        get: {
          summary:
            'WebSocket of the session (token in ?token=, X-Session-Token, or subprotocol goassist.token.<token>)',
          parameters: [{ name: 'token', in: 'query', required: false, schema: { type: 'string' } }],
          responses: {
            101: { description: 'switching to WebSocket' },
            400: error('malformed id'),
            401: error('missing, wrong or expired session token'),
            403: error('Origin not allowed'),
            404: error('no such session on this server'),
            426: error('not a WebSocket request'),
          },
        },
      },
    },
  };
}
