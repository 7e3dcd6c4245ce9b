/**
 * Messages of the streaming protocol (docs/protocol.md), validated with zod.
 * Client -> server messages are parsed here; server -> client events are built through `ServerEvent`.
 */
import { z } from 'zod';
import type { SessionState } from '../session/conversation.js';

export const PROTOCOL_VERSION = 1;
export const MAX_TEXT_FRAME_BYTES = 16_384;
export const MAX_BINARY_FRAME_BYTES = 65_536;
export const MIN_INPUT_SAMPLE_RATE = 8_000;
export const MAX_INPUT_SAMPLE_RATE = 48_000;

const startMessage = z
  .object({
    type: z.enum(['start', 'config']),
    sample_rate: z.number().int().min(MIN_INPUT_SAMPLE_RATE).max(MAX_INPUT_SAMPLE_RATE).optional(),
    client: z.string().max(64).optional(),
  })
  .strict();

const textMessage = z.object({ type: z.literal('text'), text: z.string().trim().min(1).max(2000) }).strict();
const interruptMessage = z.object({ type: z.literal('interrupt') }).strict();
const pingMessage = z
  .object({ type: z.literal('ping'), id: z.union([z.string().max(64), z.number()]).optional() })
  .strict();
const endMessage = z.object({ type: z.literal('end') }).strict();

export const clientMessageSchema = z.discriminatedUnion('type', [
  startMessage,
  textMessage,
  interruptMessage,
  pingMessage,
  endMessage,
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export type ProtocolErrorCode =
  'bad_json' | 'bad_message' | 'frame_too_large' | 'bad_audio' | 'not_started' | 'input_overflow';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Parses one text frame; throws ProtocolError with a stable code. */
export function parseClientMessage(text: string): ClientMessage {
  if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_FRAME_BYTES) {
    throw new ProtocolError('frame_too_large', `text frame over ${MAX_TEXT_FRAME_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProtocolError('bad_json', 'text frame is not valid JSON');
  }
  const parsed = clientMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'message';
    throw new ProtocolError('bad_message', `${where}: ${issue?.message ?? 'invalid message'}`);
  }
  return parsed.data;
}

/** Validates a binary frame and returns its PCM16LE samples. */
export function decodeAudioFrame(data: Buffer): Int16Array {
  if (data.byteLength > MAX_BINARY_FRAME_BYTES) {
    throw new ProtocolError('frame_too_large', `binary frame over ${MAX_BINARY_FRAME_BYTES} bytes`);
  }
  if (data.byteLength % 2 !== 0) {
    throw new ProtocolError('bad_audio', 'audio frame has an odd number of bytes (PCM16LE expected)');
  }
  // A copy: ws may hand out views into a pooled buffer at odd offsets. The hosts we run on are little-endian.
  return new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export type AgentState = Exclude<SessionState, 'ended'>;
export type AudioEndReason = 'done' | 'interrupted' | 'failed';
export type ClearReason = 'barge_in' | 'interrupt';

export type TurnMetricsEvent = {
  type: 'turn_metrics';
  turn_id: number;
  outcome: 'completed' | 'interrupted' | 'failed' | 'empty';
  ttfa_ms?: number;
  end_of_turn_ms?: number;
  asr_ms?: number;
  llm_ttft_ms?: number;
  tts_first_chunk_ms?: number;
  barge_in_ms?: number;
  speech_end_audio_ms?: number;
};

/** Every server -> client event (docs/protocol.md section 4). */
export type ServerEvent =
  | { type: 'session'; session_id: string; protocol: number; resumed: boolean; state: SessionState }
  | { type: 'ready'; input_sample_rate: number; output_sample_rate: number; vad_frame_ms: number }
  | { type: 'state'; state: SessionState; previous: SessionState; turn_id?: number }
  | { type: 'vad'; event: 'speech_start' | 'speech_end'; audio_ms: number; speech_ms?: number }
  | { type: 'transcript'; turn_id: number; text: string; final: boolean }
  | { type: 'agent_text'; turn_id: number; delta: string }
  | { type: 'agent_text'; turn_id: number; final: true; text: string; interrupted: boolean }
  | { type: 'audio_start'; turn_id: number; sample_rate: number; resumed: boolean }
  | { type: 'audio_end'; turn_id: number; reason: AudioEndReason }
  | { type: 'clear'; turn_id: number; reason: ClearReason }
  | TurnMetricsEvent
  | { type: 'error'; code: string; message: string; component?: string; turn_id?: number }
  | { type: 'pong'; id?: string | number };
