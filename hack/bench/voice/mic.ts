/** A microphone at real-time pace: 32 ms frames every 32 ms (drift-free), speech when queued, else silence. */
import type { VoiceClient } from './voice-client.js';

const FRAME = 512;
const FRAME_MS = 32;

export class Mic {
  private queue: { pcm: Int16Array; offset: number; done: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private frames = 0;
  private started = 0;
  private readonly silence = new Int16Array(FRAME);

  constructor(private readonly client: VoiceClient) {}

  start(): void {
    this.started = performance.now();
    this.tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const item of this.queue) item.done();
    this.queue = [];
  }

  /** Queues speech; resolves once its last sample was sent. */
  say(pcm: Int16Array): Promise<void> {
    return new Promise((done) => this.queue.push({ pcm, offset: 0, done }));
  }

  private tick(): void {
    const head = this.queue[0];
    if (head) {
      const part = head.pcm.subarray(head.offset, head.offset + FRAME);
      head.offset += part.length;
      // A microphone never sends a short frame: the end of the speech is padded with silence, so the
      // audio timeline stays exactly as long as the wall-clock time it took.
      const frame = part.length === FRAME ? part : new Int16Array(FRAME);
      if (frame !== part) frame.set(part);
      this.client.sendPcm(frame);
      if (head.offset >= head.pcm.length) {
        this.queue.shift();
        head.done();
      }
    } else {
      this.client.sendPcm(this.silence);
    }
    this.frames++;
    const due = this.started + this.frames * FRAME_MS;
    this.timer = setTimeout(() => this.tick(), Math.max(0, due - performance.now()));
  }
}
