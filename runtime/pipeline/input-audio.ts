/**
 * Client microphone audio -> fixed VAD frames (512 samples at 16 kHz), each stamped with the time
 * the message that completed it arrived. That stamp is the audio-timeline clock of TTFA and barge-in.
 */
import type { ResamplerFactory, StreamingResampler } from './resampler.js';

export interface InputFrame {
  /** Frame number since `start` (frame i covers samples [i*frameSamples, (i+1)*frameSamples)). */
  index: number;
  pcm: Int16Array;
  /** performance.now() when the client message completing this frame arrived. */
  arrivedAt: number;
}

export class InputFramer {
  private resampler: StreamingResampler | undefined;
  private partial: Int16Array;
  private filled = 0;
  private nextIndex = 0;

  constructor(
    private readonly frameSamples: number,
    private readonly vadRate: number,
    private readonly createResampler: ResamplerFactory,
  ) {
    this.partial = new Int16Array(frameSamples);
  }

  /** Declares the client's rate; resets the timeline (a new `start`). */
  start(inputRate: number): void {
    this.resampler = inputRate === this.vadRate ? undefined : this.createResampler(inputRate, this.vadRate);
    this.filled = 0;
    this.nextIndex = 0;
  }

  /** Frames completed by this message. */
  push(samples: Int16Array, arrivedAt: number): InputFrame[] {
    const pcm = this.resampler ? this.resampler.process(samples) : samples;
    const frames: InputFrame[] = [];
    let offset = 0;
    while (offset < pcm.length) {
      const take = Math.min(this.frameSamples - this.filled, pcm.length - offset);
      this.partial.set(pcm.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameSamples) {
        frames.push({ index: this.nextIndex++, pcm: this.partial, arrivedAt });
        this.partial = new Int16Array(this.frameSamples);
        this.filled = 0;
      }
    }
    return frames;
  }
}

export function toFloat32(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] as number) / 32768;
  return out;
}
