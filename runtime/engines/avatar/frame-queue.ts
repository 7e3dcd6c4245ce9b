/**
 * A bounded single-consumer queue for animation events. Producers never wait: when the consumer lags
 * the oldest frames are dropped (a late animation frame is worthless), the `names` event is never dropped.
 */
import type { AvatarEvent } from './types.js';

export class FrameQueue {
  private readonly items: AvatarEvent[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  put(event: AvatarEvent): void {
    if (this.closed) return;
    if (this.items.length >= this.capacity) {
      const oldestFrame = this.items.findIndex((e) => e.kind === 'frame');
      if (oldestFrame >= 0) {
        this.items.splice(oldestFrame, 1);
        this.dropped += 1;
      }
    }
    this.items.push(event);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  async *drain(): AsyncGenerator<AvatarEvent> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
