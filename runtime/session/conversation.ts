/**
 * The seam between the HTTP/WebSocket layer (`server`) and the voice pipeline (`pipeline`).
 * `server` owns sockets, auth and the session registry; `pipeline` owns audio and turns.
 * Neither reaches into the other: `server` hands the pipeline a transport, the pipeline reports
 * state changes through a callback.
 */

/** Session states of ARCHITECTURE.md: idle -> listening -> thinking -> speaking -> interrupted -> listening. */
export type SessionState = 'idle' | 'listening' | 'thinking' | 'speaking' | 'interrupted' | 'ended';

/** One send path to the client's socket. */
export interface SessionTransport {
  /** Sends a JSON text frame (an event with a `type`). */
  sendEvent(event: { type: string } & Record<string, unknown>): void;
  /** Sends a binary frame of agent audio (PCM16LE mono at the declared output rate). */
  sendAudio(pcm: Int16Array): void;
  /** Bytes queued in the socket not yet written to the network (backpressure). */
  bufferedBytes(): number;
}

/** Options the client chose at POST /sessions (defaults from the config). */
export interface SessionOptions {
  /** Sample rate of the client's microphone frames (INPUT_SAMPLE_RATE unless the client chose one). */
  inputSampleRate: number;
}

export interface ConversationContext {
  sessionId: string;
  options?: SessionOptions;
  /** The pipeline reports state changes; `server`/`session` validate and record them. */
  onStateChange(state: SessionState): void;
  /** Recorded per session for GET /sessions/{id} stats. */
  onTurnCompleted?(stats: { outcome: string; ttfaMs?: number }): void;
}

/**
 * The conversation of one session. Created on the session's first attach and kept until the
 * session ends, so a reconnect with the session token resumes it.
 */
export interface Conversation {
  /** A socket attached (first attach or resume); all output goes to this transport from now on. */
  attach(transport: SessionTransport): void;
  handleBinary(data: Buffer): void;
  handleText(text: string): void;
  /** The socket went away; the conversation stops its turn and waits for a new attach. */
  detach(): void;
  /** The session ended: abort everything and free resources. */
  close(): Promise<void>;
}

export type ConversationFactory = (ctx: ConversationContext) => Conversation;
