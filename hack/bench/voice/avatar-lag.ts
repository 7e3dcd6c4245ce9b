/**
 * The avatar's timing seen from the client, for the voice bench: how long after a turn's first audio
 * frame the first animation frame arrives, and how late the latest frame is relative to its audio
 * (arrival of the frame minus arrival of the audio sample it animates). Audio is sent with a small lead
 * (100 ms by default), so lateness under the lead is invisible to the user.
 */
import type { VoiceClient } from './voice-client.js';

export interface AvatarLag {
  /** First blendshapes event arrival minus first audio frame arrival (ms). */
  firstFrameMs: number;
  /** Worst frame: arrival minus the arrival time of its audio position (ms; negative = early). */
  maxLateMs: number;
  frames: number;
}

interface BlendshapesEvent {
  turn_id: number;
  segment: number;
  frames: { t: number }[];
  at: number;
}

/** Undefined when the turn had no audio or no animation (avatar off or down). */
export function avatarLagOf(client: VoiceClient, turnId: number): AvatarLag | undefined {
  const firstAudio = client.firstAudioOf(turnId);
  if (!firstAudio) return undefined;
  const events = client
    .all('blendshapes')
    .filter((e) => e.turn_id === turnId && e.segment === 0) as unknown as BlendshapesEvent[];
  if (events.length === 0) return undefined;
  let maxLateMs = -Infinity;
  let frames = 0;
  for (const e of events) {
    for (const f of e.frames) {
      frames += 1;
      maxLateMs = Math.max(maxLateMs, e.at - (firstAudio.at + f.t * 1000));
    }
  }
  return { firstFrameMs: (events[0] as BlendshapesEvent).at - firstAudio.at, maxLateMs, frames };
}
