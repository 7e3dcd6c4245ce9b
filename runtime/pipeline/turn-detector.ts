/**
 * Turns per-frame speech probabilities into speech edges and the end of a turn.
 * End of turn is ONE rule: `endOfTurnSilenceMs` of silence after speech of at least `minSpeechMs`.
 * Pure and synchronous: the caller feeds it one probability per VAD frame, in order.
 */

export interface TurnDetectorOptions {
  /** A frame at or above this starts speech. */
  threshold: number;
  /** Speech goes on while frames stay at or above this (hysteresis). */
  negThreshold: number;
  endOfTurnSilenceMs: number;
  minSpeechMs: number;
  /** Speech (frames at or above `threshold`) needed before it may interrupt the agent. */
  bargeInMinSpeechMs: number;
  frameMs: number;
}

export type TurnDetectorEvent =
  | { kind: 'speech_start'; frame: number }
  | { kind: 'speech_confirmed'; frame: number; startFrame: number }
  | {
      kind: 'speech_end';
      frame: number;
      startFrame: number;
      lastSpeechFrame: number;
      speechMs: number;
      /** True when the speech was long enough to be a user turn. */
      isTurn: boolean;
    };

export class TurnDetector {
  private frame = -1;
  private inSpeech = false;
  private startFrame = 0;
  private lastSpeechFrame = 0;
  private loudFrames = 0;
  private confirmed = false;
  private readonly silenceFrames: number;
  private readonly confirmFrames: number;

  constructor(private readonly opts: TurnDetectorOptions) {
    if (opts.negThreshold > opts.threshold) throw new RangeError('negThreshold must not exceed threshold');
    this.silenceFrames = Math.max(1, Math.ceil(opts.endOfTurnSilenceMs / opts.frameMs));
    this.confirmFrames = Math.max(1, Math.ceil(opts.bargeInMinSpeechMs / opts.frameMs));
  }

  get speaking(): boolean {
    return this.inSpeech;
  }

  /** Index of the frame the next `push` will be. */
  get nextFrame(): number {
    return this.frame + 1;
  }

  push(probability: number): TurnDetectorEvent[] {
    this.frame++;
    const events: TurnDetectorEvent[] = [];
    if (!this.inSpeech) {
      if (probability < this.opts.threshold) return events;
      this.inSpeech = true;
      this.startFrame = this.frame;
      this.lastSpeechFrame = this.frame;
      this.loudFrames = 0;
      this.confirmed = false;
      events.push({ kind: 'speech_start', frame: this.frame });
    }
    if (probability >= this.opts.threshold) this.loudFrames++;
    if (probability >= this.opts.negThreshold) this.lastSpeechFrame = this.frame;
    if (!this.confirmed && this.loudFrames >= this.confirmFrames) {
      this.confirmed = true;
      events.push({ kind: 'speech_confirmed', frame: this.frame, startFrame: this.startFrame });
    }
    if (this.frame - this.lastSpeechFrame >= this.silenceFrames) {
      const speechMs = (this.lastSpeechFrame - this.startFrame + 1) * this.opts.frameMs;
      this.inSpeech = false;
      events.push({
        kind: 'speech_end',
        frame: this.frame,
        startFrame: this.startFrame,
        lastSpeechFrame: this.lastSpeechFrame,
        speechMs,
        isTurn: speechMs >= this.opts.minSpeechMs,
      });
    }
    return events;
  }

  reset(): void {
    this.inSpeech = false;
    this.loudFrames = 0;
    this.confirmed = false;
  }
}
