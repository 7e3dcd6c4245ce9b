/**
 * The one interface per pluggable engine. `engines` knows nothing of HTTP or sessions.
 *
 * Conventions (STYLE.md "Engines"):
 * - No work in constructors: `init()` loads models / checks endpoints once per process.
 * - Every per-turn call takes an AbortSignal; an abort ends the work at once and is a normal end
 *   (an `AbortError`), never counted as an engine failure.
 * - Streams are async iterables written as async generators, so `break` runs cleanup.
 * - Audio is PCM16 mono in Int16Array; every stream states its sample rate.
 */

export type ComponentName = 'vad' | 'asr' | 'llm' | 'tts' | 'avatar';

export type ComponentState = 'up' | 'loading' | 'down' | 'disabled';

export interface ComponentStatus {
  state: ComponentState;
  /** Provider name, e.g. `silero`, `pocketsphinx`, `openai`, `espeak`, `offline`. */
  engine: string;
  /** True for a component that is not a real model endpoint (the embedded offline responder). */
  offline?: boolean;
  /** A short human-readable detail (e.g. the last error). Never contains secrets. */
  detail?: string;
}

export interface Engine {
  readonly component: ComponentName;
  readonly name: string;
  /** Load models / verify configuration. Throws EngineError when the engine cannot work at all. */
  init(): Promise<void>;
  status(): ComponentStatus;
  close(): Promise<void>;
}

/** Stable error codes of engine failures (label `type` of goassist_errors_total). */
export type EngineErrorCode =
  | 'config'
  | 'model_load'
  | 'timeout'
  | 'unavailable'
  | 'upstream_error'
  | 'bad_response'
  | 'worker_crashed'
  | 'internal';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly component: ComponentName,
    readonly code: EngineErrorCode,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Duck-typed: Node's own DOMException AbortErrors may come from another realm (worker, vm), so no instanceof. */
export function isAbortError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'ABORT_ERR';
}

export interface TurnOptions {
  signal: AbortSignal;
}

// ---------------------------------------------------------------- VAD

export interface VadEngine extends Engine {
  readonly component: 'vad';
  /** Sample rate the engine consumes (16000). */
  readonly sampleRate: number;
  /** Samples per frame (512 at 16 kHz = 32 ms). */
  readonly frameSamples: number;
  /** Per-session state; frames of one stream must be pushed in order. */
  createStream(): VadStream;
}

export interface VadStream {
  /** Speech probability in [0,1] of one frame of `frameSamples` float samples in [-1,1]. */
  process(frame: Float32Array): Promise<number>;
  reset(): void;
  close(): void;
}

// ---------------------------------------------------------------- ASR

export interface AsrResult {
  text: string;
  /** Engine-reported confidence in [0,1] when it has one. */
  confidence?: number;
}

export interface AsrEngine extends Engine {
  readonly component: 'asr';
  /** Sample rate the engine consumes (16000). */
  readonly sampleRate: number;
  /**
   * Opens recognition of one user utterance. Audio is pushed while the user speaks so streaming
   * engines do their work early; `finish()` resolves the final transcript.
   */
  stream(opts: TurnOptions): AsrStream;
}

export interface AsrStream {
  push(pcm: Int16Array): void;
  /** Partial hypotheses while audio arrives (engines without partials yield nothing). */
  partials(): AsyncIterable<string>;
  /** Ends the utterance and resolves the final transcript. Rejects with AbortError on abort. */
  finish(): Promise<AsrResult>;
}

// ---------------------------------------------------------------- LLM

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmEngine extends Engine {
  readonly component: 'llm';
  /** Streams the reply's text deltas. Retries (bounded) only before the first token. */
  stream(messages: readonly ChatMessage[], opts: TurnOptions): AsyncIterable<string>;
}

// ---------------------------------------------------------------- TTS

export interface TtsEngine extends Engine {
  readonly component: 'tts';
  /** Streams PCM16 mono chunks of one clause at `chunk.sampleRate`. */
  synthesize(text: string, opts: TurnOptions): AsyncIterable<AudioChunk>;
}

export interface AudioChunk {
  pcm: Int16Array;
  sampleRate: number;
}
