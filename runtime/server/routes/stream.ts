/**
 * `GET /sessions/{id}/stream`: the session's WebSocket. Every check runs before the upgrade, so a
 * refused client gets a plain HTTP error in the contract shape: 400 malformed id, 403 foreign
 * Origin, 401 missing/invalid token, 404 session not on this pod, 426 not a WebSocket request.
 * After the upgrade, frames go to the session's Conversation; output comes back through one
 * transport per socket.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AppError, ERROR_CODES, badRequest, forbidden, sessionNotFound } from '../../errors.js';
import type { SessionTransport } from '../../session/conversation.js';
import { isSessionId } from '../../session/ids.js';
import { CLOSE_CODES } from '../../session/session.js';
import type { Session, SocketHandle } from '../../session/session.js';
import type { SessionTokenSigner } from '../../session/token.js';
import type { AppDeps } from '../deps.js';
import { originAllowed } from '../origin.js';

/** Largest accepted frame: 64 KiB is 2 s of 16 kHz PCM16, far above any sane chunk. */
export const MAX_FRAME_BYTES = 64 * 1024;
export const TOKEN_SUBPROTOCOL_PREFIX = 'goassist.token.';
export const PROTOCOL_NAME = 'goassist.v1';
const PING_INTERVAL_MS = 20_000;

/** The subprotocol the server answers: `goassist.v1` if offered, else the offered token protocol. */
export function selectProtocol(offered: Set<string>): string | false {
  if (offered.has(PROTOCOL_NAME)) return PROTOCOL_NAME;
  for (const p of offered) if (p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return p;
  return false;
}

/** The session token from `?token=`, `X-Session-Token`, or subprotocol `goassist.token.<token>`. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown>;
  if (typeof query.token === 'string' && query.token !== '') return query.token;
  const header = request.headers['x-session-token'];
  if (typeof header === 'string' && header !== '') return header;
  const protocols = request.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const p of protocols.split(',').map((s) => s.trim()))
      if (p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return p.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function transportFor(socket: WebSocket, session: Session): SessionTransport {
  return {
    sendEvent(event) {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(JSON.stringify(event));
      session.stats.framesOut += 1;
    },
    sendAudio(pcm) {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), { binary: true });
      session.stats.framesOut += 1;
      session.stats.bytesOut += pcm.byteLength;
    },
    bufferedBytes: () => socket.bufferedAmount,
  };
}

export async function streamRoutes(
  app: FastifyInstance,
  deps: AppDeps & { signer: SessionTokenSigner },
): Promise<void> {
  const { config, registry, signer, metrics } = deps;
  const originPolicy = {
    allowedOrigins: config.ALLOWED_ORIGINS,
    allowLocalhost: config.ENVIRONMENT !== 'production',
  };

  async function checkHandshake(request: FastifyRequest): Promise<void> {
    const { id } = request.params as { id: string };
    if (!isSessionId(id)) throw badRequest('malformed session id', ERROR_CODES.invalidSessionId);
    if (!originAllowed(request.headers.origin, request.headers.host, originPolicy))
      throw forbidden(
        ERROR_CODES.originNotAllowed,
        'this Origin may not open session streams (see ALLOWED_ORIGINS)',
      );
    const token = presentedToken(request);
    // The token is checked before existence: without it, nobody learns whether an id lives here.
    const check = token === undefined ? 'missing' : signer.verify(id, token, Date.now());
    if (check !== 'valid')
      throw new AppError(
        401,
        ERROR_CODES.invalidToken,
        `session token ${check}: present the token from POST /sessions`,
      );
    if (registry.get(id) === undefined) throw sessionNotFound(id);
    if (!request.ws)
      throw new AppError(426, ERROR_CODES.upgradeRequired, 'this endpoint is a WebSocket', {
        upgrade: 'websocket',
      });
  }

  app.route({
    method: 'GET',
    url: '/sessions/:id/stream',
    preValidation: checkHandshake,
    handler: async () => {
      throw new AppError(426, ERROR_CODES.upgradeRequired, 'this endpoint is a WebSocket', {
        upgrade: 'websocket',
      });
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      const { id } = request.params as { id: string };
      const session = registry.get(id);
      if (session === undefined) {
        socket.close(CLOSE_CODES.normal, 'session ended');
        return;
      }
      attachSocket(socket, session, request);
    },
  });

  function attachSocket(socket: WebSocket, session: Session, request: FastifyRequest): void {
    const handle: SocketHandle = { close: (code, reason) => socket.close(code, reason) };
    const log = request.log.child({ sessionId: session.id });
    let conversation;
    try {
      conversation = registry.attach(session, handle, transportFor(socket, session));
    } catch (err) {
      metrics.errorsTotal.inc({ component: 'session', type: 'attach' });
      log.error({ err }, 'attach failed');
      socket.close(CLOSE_CODES.internalError, 'internal error');
      void registry.end(session.id, 'error');
      return;
    }
    log.info({ attaches: session.stats.attaches }, 'stream attached');

    let alive = true;
    const ping = setInterval(() => {
      if (!alive) {
        socket.terminate(); // half-open: no pong since the last ping
        return;
      }
      alive = false;
      socket.ping();
    }, PING_INTERVAL_MS).unref();
    socket.on('pong', () => {
      alive = true;
    });

    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (session.socket !== handle) return; // replaced by a newer attach
      registry.touch(session);
      session.stats.framesIn += 1;
      try {
        if (isBinary) {
          const buf = toBuffer(data);
          session.stats.bytesIn += buf.byteLength;
          conversation.handleBinary(buf);
        } else {
          conversation.handleText(toBuffer(data).toString('utf8'));
        }
      } catch (err) {
        metrics.errorsTotal.inc({ component: 'pipeline', type: 'frame_handler' });
        log.error({ err }, 'frame handler failed');
      }
    });

    socket.on('close', (code: number) => {
      clearInterval(ping);
      if (session.socket !== handle) return;
      // A normal close (1000) from the client ends the session; anything else (1001 page unload,
      // 1006 network drop) keeps it for a reconnect until the idle timeout.
      if (code === CLOSE_CODES.normal) void registry.end(session.id, 'client_closed');
      else registry.detach(session, handle);
      log.info({ code }, 'stream closed');
    });
  }
}
