/**
 * One agent turn streamed to Audio2Face over `ProcessAudioStream`:
 * header -> audio chunks -> end of audio; back: animation header -> animation data (events between)
 * -> status. Every failure ends only the animation; `push`/`end` never throw and never wait.
 */
import * as grpc from '@grpc/grpc-js';
import { EngineError, type EngineErrorCode } from '../types.js';
import type { A2fAnimationDataStream, A2fAudioStreamHeader, A2fClientStream } from './a2f-proto.js';
import { FrameQueue } from './frame-queue.js';
import type { AvatarEvent, AvatarTurn, AvatarTurnResult } from './types.js';

export interface A2fTurnLimits {
  /** Audio written to the call but not yet flushed to the network, in seconds, before giving up. */
  maxQueuedAudioSeconds: number;
  /** Animation events waiting for the consumer before the oldest frames are dropped. */
  maxPendingEvents: number;
  /** Audio pushed but no message from Audio2Face for this long: the turn's animation gives up. */
  stallTimeoutMs: number;
}

export interface A2fTurnDeps {
  /** Opens the call (the turn cancels it on abort). */
  open(): A2fClientStream;
  header: A2fAudioStreamHeader;
  sampleRate: number;
  signal: AbortSignal;
  limits: A2fTurnLimits;
}

/** Animation lagging the pushed audio by less than this counts as caught up (a few 30 fps frames). */
const CAUGHT_UP_SECONDS = 0.2;

type Phase = 'awaiting_header' | 'streaming' | 'status_received';

export class Audio2FaceTurn implements AvatarTurn {
  readonly done: Promise<AvatarTurnResult>;
  private resolveDone!: (result: AvatarTurnResult) => void;
  private readonly queue: FrameQueue;
  private readonly controller = new AbortController();
  private readonly call: A2fClientStream;
  private phase: Phase = 'awaiting_header';
  private names: string[] = [];
  private frames = 0;
  private queuedSamples = 0;
  private pushedSamples = 0;
  private lastFrameTime = 0;
  private inputEnded = false;
  private finished = false;
  private consumed = false;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: A2fTurnDeps) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.queue = new FrameQueue(deps.limits.maxPendingEvents);
    const signal = AbortSignal.any([deps.signal, this.controller.signal]);
    this.call = deps.open();
    const onAbort = (): void => {
      // Cancel first so the server sees CANCELLED at once, then settle.
      this.call.cancel();
      this.finish({ outcome: 'aborted', frames: this.frames });
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void this.done.then(() => signal.removeEventListener('abort', onAbort));

    this.call.on('data', (msg: A2fAnimationDataStream) => this.onMessage(msg));
    this.call.on('error', (err: grpc.ServiceError) => this.onCallError(err));
    this.call.on('status', (status: grpc.StatusObject) => this.onCallStatus(status));
    this.write({ audio_stream_header: deps.header });
  }

  push(pcm: Int16Array): void {
    if (this.finished || this.inputEnded || pcm.length === 0) return;
    const maxSamples = this.deps.limits.maxQueuedAudioSeconds * this.deps.sampleRate;
    if (this.queuedSamples + pcm.length > maxSamples) {
      this.fail(
        'timeout',
        `Audio2Face fell behind: more than ${this.deps.limits.maxQueuedAudioSeconds} s of audio unsent`,
      );
      return;
    }
    this.queuedSamples += pcm.length;
    this.pushedSamples += pcm.length;
    const audio_buffer = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    this.write({ audio_with_emotion: { audio_buffer } }, () => (this.queuedSamples -= pcm.length));
    if (!this.stallTimer) this.armStallTimer();
  }

  end(): void {
    if (this.finished || this.inputEnded) return;
    this.inputEnded = true;
    this.write({ end_of_audio: {} });
    this.call.end();
    if (!this.stallTimer) this.armStallTimer();
  }

  events(): AsyncIterable<AvatarEvent> {
    if (this.consumed) throw new Error('AvatarTurn.events() can be read once');
    this.consumed = true;
    return this.read();
  }

  private async *read(): AsyncGenerator<AvatarEvent> {
    try {
      yield* this.queue.drain();
    } finally {
      // A consumer that stops reading does not want the animation any more.
      if (!this.finished) this.controller.abort();
    }
  }

  private write(message: Parameters<A2fClientStream['write']>[0], flushed?: () => void): void {
    try {
      this.call.write(message, flushed);
    } catch (err) {
      this.fail('internal', `writing to Audio2Face failed: ${(err as Error).message}`);
    }
  }

  private onMessage(msg: A2fAnimationDataStream): void {
    if (this.finished) return;
    this.onProgress();
    switch (msg.stream_part) {
      case 'animation_data_stream_header': {
        if (this.phase !== 'awaiting_header') return this.fail('bad_response', 'a second animation header');
        this.phase = 'streaming';
        this.names = msg.animation_data_stream_header?.skel_animation_header?.blend_shapes ?? [];
        this.queue.put({ kind: 'names', names: this.names });
        return;
      }
      case 'animation_data': {
        if (this.phase !== 'streaming')
          return this.fail('bad_response', `animation data while ${this.phase}`);
        for (const entry of msg.animation_data?.skel_animation?.blend_shape_weights ?? []) {
          const weights = entry.values ?? [];
          if (weights.length !== this.names.length) {
            return this.fail(
              'bad_response',
              `${weights.length} weights for ${this.names.length} blendshape names`,
            );
          }
          this.frames += 1;
          this.lastFrameTime = Math.max(this.lastFrameTime, entry.time_code ?? 0);
          this.queue.put({ kind: 'frame', frame: { timeCode: entry.time_code ?? 0, weights } });
        }
        return;
      }
      case 'event':
        if (this.phase === 'awaiting_header')
          return this.fail('bad_response', 'an event before the animation header');
        return;
      case 'status': {
        const status = msg.status ?? {};
        if (status.code === 'ERROR')
          return this.fail('upstream_error', `Audio2Face: ${status.message ?? 'error'}`);
        // INFO and WARNING may come in between; SUCCESS is the last message of the stream.
        if (status.code === undefined || status.code === 'SUCCESS') this.phase = 'status_received';
        return;
      }
      default:
        return this.fail('bad_response', 'an AnimationDataStream message with no stream part');
    }
  }

  private onCallError(err: grpc.ServiceError): void {
    if (this.finished) return;
    const code: EngineErrorCode =
      err.code === grpc.status.DEADLINE_EXCEEDED
        ? 'timeout'
        : err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.CANCELLED
          ? 'unavailable'
          : 'upstream_error';
    this.fail(
      code,
      `Audio2Face call failed: ${grpc.status[err.code] ?? err.code} ${err.details ?? ''}`.trim(),
      err,
    );
  }

  private onCallStatus(status: grpc.StatusObject): void {
    if (this.finished || status.code !== grpc.status.OK) return;
    if (this.phase !== 'status_received') {
      return this.fail('bad_response', `Audio2Face ended the stream without a final status (${this.phase})`);
    }
    this.finish({ outcome: 'completed', frames: this.frames });
  }

  /**
   * The stall timer runs only while Audio2Face owes us something: animation for audio already sent,
   * or the end of the stream. A pause in the TTS (waiting for the LLM) is not a stall.
   */
  private onProgress(): void {
    const behindSeconds = this.pushedSamples / this.deps.sampleRate - this.lastFrameTime;
    if (this.inputEnded || behindSeconds > CAUGHT_UP_SECONDS) this.armStallTimer();
    else this.clearStallTimer();
  }

  private clearStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private armStallTimer(): void {
    this.clearStallTimer();
    if (this.finished) return;
    this.stallTimer = setTimeout(
      () => this.fail('timeout', `no answer from Audio2Face for ${this.deps.limits.stallTimeoutMs} ms`),
      this.deps.limits.stallTimeoutMs,
    );
    this.stallTimer.unref();
  }

  private fail(code: EngineErrorCode, message: string, cause?: unknown): void {
    if (this.finished) return;
    const error = new EngineError('avatar', code, message, code !== 'config', { cause });
    this.finish({ outcome: 'failed', frames: this.frames, error });
    this.call.cancel();
  }

  private finish(result: AvatarTurnResult): void {
    if (this.finished) return;
    this.finished = true;
    this.clearStallTimer();
    this.queue.close();
    this.resolveDone(result);
  }
}
