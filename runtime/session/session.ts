import type { Conversation, SessionOptions, SessionState } from './conversation.js';
import { SessionStateMachine } from './state-machine.js';

/** The socket side of an attachment, as the session layer sees it. */
export interface SocketHandle {
  close(code: number, reason: string): void;
}

/** WebSocket close codes the server uses (docs/api.md). */
export const CLOSE_CODES = {
  /** The session ended (DELETE, or the client closed normally). */
  normal: 1000,
  internalError: 1011,
  /** The pod drains: create a new session (another pod will take it) and reconnect. */
  serviceRestart: 1012,
  idleTimeout: 4408,
  /** A newer attach with the same token took over this session. */
  replaced: 4409,
  maxDuration: 4410,
} as const;

export interface SessionStats {
  turns: number;
  turnsByOutcome: Record<string, number>;
  lastTtfaMs: number | null;
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  attaches: number;
}

export class Session {
  readonly machine = new SessionStateMachine();
  readonly stats: SessionStats = {
    turns: 0,
    turnsByOutcome: {},
    lastTtfaMs: null,
    framesIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    attaches: 0,
  };
  lastActivityAt: number;
  conversation: Conversation | undefined;
  socket: SocketHandle | undefined;
  ended = false;
  /** Timers of idle timeout and maximum length; cleared when the session ends. */
  idleTimer: NodeJS.Timeout | undefined;
  maxTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly createdAt: number,
    readonly expiresAt: number,
    readonly options: SessionOptions,
  ) {
    this.lastActivityAt = createdAt;
  }

  get state(): SessionState {
    return this.machine.state;
  }

  /** The JSON of GET /sessions/{id}. */
  view(): Record<string, unknown> {
    return {
      session_id: this.id,
      state: this.state,
      connected: this.socket !== undefined,
      created_at: new Date(this.createdAt).toISOString(),
      expires_at: new Date(this.expiresAt).toISOString(),
      last_activity_at: new Date(this.lastActivityAt).toISOString(),
      input_sample_rate: this.options.inputSampleRate,
      stats: {
        turns: this.stats.turns,
        turns_by_outcome: { ...this.stats.turnsByOutcome },
        last_ttfa_ms: this.stats.lastTtfaMs,
        frames_in: this.stats.framesIn,
        bytes_in: this.stats.bytesIn,
        frames_out: this.stats.framesOut,
        bytes_out: this.stats.bytesOut,
        attaches: this.stats.attaches,
      },
    };
  }
}
