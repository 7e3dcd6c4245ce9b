/**
 * The sessions of this process: admission by slot count, attach/detach of sockets, timers, and the
 * end of a session. Admission is synchronous (no await between the capacity check and the insert),
 * so concurrent requests on the one event loop can never over-admit.
 */
import type { BaseLogger } from 'pino';
import { TURN_OUTCOMES } from '../../contract/metrics.js';
import type { TurnOutcome } from '../../contract/metrics.js';
import { ERROR_CODES, IllegalTransitionError, serviceUnavailable } from '../errors.js';
import type { RuntimeMetrics, SessionEndReason } from '../telemetry/metrics.js';
import type {
  Conversation,
  ConversationFactory,
  SessionOptions,
  SessionState,
  SessionTransport,
} from './conversation.js';
import { newSessionId } from './ids.js';
import { CLOSE_CODES, Session } from './session.js';
import type { SocketHandle } from './session.js';

export interface RegistryOptions {
  maxSessions: number;
  idleTimeoutMs: number;
  maxDurationMs: number;
  /** Retry-After (seconds) suggested when full or draining. */
  retryAfterSeconds: number;
  conversationFactory: ConversationFactory;
  metrics: Pick<
    RuntimeMetrics,
    'sessionsStartedTotal' | 'sessionsEndedTotal' | 'turnsTotal' | 'ttfaSeconds' | 'errorsTotal'
  >;
  logger: BaseLogger;
  now?: () => number;
}

const CLOSE_FOR_REASON: Record<SessionEndReason, [number, string] | undefined> = {
  client_closed: undefined,
  deleted: [CLOSE_CODES.normal, 'session ended'],
  idle_timeout: [CLOSE_CODES.idleTimeout, 'session idle timeout'],
  max_duration: [CLOSE_CODES.maxDuration, 'maximum session length reached'],
  drain_timeout: [CLOSE_CODES.serviceRestart, 'server restarting: create a new session and reconnect'],
  error: [CLOSE_CODES.internalError, 'internal error'],
};

export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  readonly #opts: RegistryOptions;
  readonly #now: () => number;
  #draining = false;
  #emptyWaiters: (() => void)[] = [];

  constructor(opts: RegistryOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get maxSessions(): number {
    return this.#opts.maxSessions;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** From now on admit() refuses; live sessions go on. */
  startDraining(): void {
    this.#draining = true;
  }

  /** Reserves a slot and creates the session, or throws 503 (draining / at capacity). Synchronous on purpose. */
  admit(options: SessionOptions): Session {
    if (this.#draining)
      throw serviceUnavailable(
        ERROR_CODES.draining,
        'server is draining; retry (another pod will take it)',
        this.#opts.retryAfterSeconds,
      );
    if (this.#sessions.size >= this.#opts.maxSessions)
      throw serviceUnavailable(
        ERROR_CODES.atCapacity,
        `at capacity (${this.#opts.maxSessions} sessions); retry later`,
        this.#opts.retryAfterSeconds,
      );
    let id = newSessionId();
    while (this.#sessions.has(id)) id = newSessionId(); // 128 random bits: never in practice, but never overwrite
    const now = this.#now();
    const session = new Session(id, now, now + this.#opts.maxDurationMs, options);
    this.#sessions.set(id, session);
    this.#opts.metrics.sessionsStartedTotal.inc();
    this.#armTimers(session);
    return session;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  list(): Session[] {
    return [...this.#sessions.values()];
  }

  /**
   * Attaches a socket. A newer attach replaces an older socket (closed with 4409), so a client whose
   * old connection is half-open can resume at once. The conversation is created on the first attach.
   */
  attach(session: Session, socket: SocketHandle, transport: SessionTransport): Conversation {
    if (session.ended) throw new Error(`session ${session.id} has ended`);
    const previous = session.socket;
    session.socket = socket;
    session.stats.attaches += 1;
    this.touch(session);
    if (previous !== undefined) {
      session.conversation?.detach();
      previous.close(CLOSE_CODES.replaced, 'replaced by a newer connection to this session');
    }
    session.conversation ??= this.#createConversation(session);
    session.conversation.attach(transport);
    return session.conversation;
  }

  /** The socket went away; the session waits for a reconnect until its idle timeout. */
  detach(session: Session, socket: SocketHandle): void {
    if (session.socket !== socket) return; // an older, replaced socket
    session.socket = undefined;
    this.touch(session);
    if (!session.ended) session.conversation?.detach();
  }

  touch(session: Session): void {
    session.lastActivityAt = this.#now();
  }

  /** Ends a session: idempotent; frees its slot at once, closes its socket, then its conversation. */
  async end(id: string, reason: SessionEndReason): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (session === undefined || session.ended) return false;
    session.ended = true;
    this.#sessions.delete(id);
    clearTimeout(session.idleTimer);
    clearTimeout(session.maxTimer);
    session.machine.transition('ended');
    const close = CLOSE_FOR_REASON[reason];
    const socket = session.socket;
    session.socket = undefined;
    if (socket !== undefined && close !== undefined) socket.close(close[0], close[1]);
    this.#opts.metrics.sessionsEndedTotal.inc({ reason });
    this.#opts.logger.info({ sessionId: id, reason }, 'session ended');
    if (this.#sessions.size === 0) this.#notifyEmpty();
    if (session.conversation !== undefined) {
      try {
        await session.conversation.close();
      } catch (err) {
        this.#opts.metrics.errorsTotal.inc({ component: 'session', type: 'conversation_close' });
        this.#opts.logger.error({ err, sessionId: id }, 'conversation close failed');
      }
    }
    return true;
  }

  async endAll(reason: SessionEndReason): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((id) => this.end(id, reason)));
  }

  /** Resolves when no session is left (at once if none). */
  whenEmpty(): Promise<void> {
    if (this.#sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  #notifyEmpty(): void {
    const waiters = this.#emptyWaiters;
    this.#emptyWaiters = [];
    for (const w of waiters) w();
  }

  #createConversation(session: Session): Conversation {
    return this.#opts.conversationFactory({
      sessionId: session.id,
      options: session.options,
      onStateChange: (state: SessionState) => this.#onStateChange(session, state),
      onTurnCompleted: (stats) => this.#onTurnCompleted(session, stats),
    });
  }

  #onStateChange(session: Session, state: SessionState): void {
    if (session.ended) return; // the pipeline winding down after the end is not a transition
    try {
      session.machine.transition(state);
    } catch (err) {
      if (err instanceof IllegalTransitionError) {
        this.#opts.metrics.errorsTotal.inc({ component: 'session', type: err.code });
        this.#opts.logger.error({ sessionId: session.id, from: err.from, to: err.to }, err.message);
      }
      throw err;
    }
  }

  #onTurnCompleted(session: Session, stats: { outcome: string; ttfaMs?: number }): void {
    const outcome: TurnOutcome = (TURN_OUTCOMES as readonly string[]).includes(stats.outcome)
      ? (stats.outcome as TurnOutcome)
      : 'failed';
    session.stats.turns += 1;
    session.stats.turnsByOutcome[outcome] = (session.stats.turnsByOutcome[outcome] ?? 0) + 1;
    this.#opts.metrics.turnsTotal.inc({ outcome });
    if (stats.ttfaMs !== undefined && Number.isFinite(stats.ttfaMs) && stats.ttfaMs >= 0) {
      session.stats.lastTtfaMs = stats.ttfaMs;
      this.#opts.metrics.ttfaSeconds.observe(stats.ttfaMs / 1000);
    }
  }

  #armTimers(session: Session): void {
    const { idleTimeoutMs, maxDurationMs } = this.#opts;
    const checkIdle = (): void => {
      if (session.ended) return;
      const idleFor = this.#now() - session.lastActivityAt;
      if (idleFor >= idleTimeoutMs) {
        void this.end(session.id, 'idle_timeout');
        return;
      }
      // Activity only stamps lastActivityAt (no timer reset per audio frame); re-arm for what is left.
      session.idleTimer = setTimeout(checkIdle, idleTimeoutMs - idleFor).unref();
    };
    session.idleTimer = setTimeout(checkIdle, idleTimeoutMs).unref();
    session.maxTimer = setTimeout(() => void this.end(session.id, 'max_duration'), maxDurationMs).unref();
  }
}
