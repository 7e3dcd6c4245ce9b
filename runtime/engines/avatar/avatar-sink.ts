/**
 * Connects an AvatarEngine to the pipeline's per-turn avatar hook (runtime/pipeline/hooks.ts
 * `AvatarSinkFactory`): the agent audio of a turn, exactly as sent to the client, streams to the
 * engine; the blendshape frames come back as `blendshapes` events on the session's socket.
 *
 * Timeline (docs/protocol.md "Avatar"): a frame's `t` is seconds of agent audio since the turn's
 * latest `audio_start` (the pipeline sends one before the first audio and one after a resumed false
 * interruption; each starts a new `segment` and a new Audio2Face stream).
 *
 * Nothing here can hold up the voice: push/end/cancel return at once; a failure is reported once
 * (counted and sent as an `error` event by the pipeline) plus an `avatar_status` event, and the
 * client eases the face to neutral when frames stop.
 */
import { SpanStatusCode, context, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { EngineError, type ComponentStatus } from '../types.js';
import type { AvatarEngine, AvatarTurn, AvatarTurnResult } from './types.js';

/**
 * Receives the agent audio of one turn exactly as it is sent to the client (after resampling, in
 * pacer chunks, at real-time pace), e.g. to stream it to Audio2Face. `cancel()` when the client is
 * told to `clear` (barge-in) or the reply fails or is aborted (the avatar eases to neutral); `end()`
 * once all audio was sent and played. After a false-interruption resume, `push` is called again with
 * the audio from the stop point on (the sink starts a new stream). It may send its own events (e.g.
 * `blendshapes`) through `sendEvent`.
 */
export interface AvatarSink {
  push(pcm: Int16Array): void;
  end(): void;
  cancel(): void;
}

export interface AvatarSinkContext {
  sessionId: string;
  turnId: number;
  sampleRate: number;
  /** Aborted when the turn ends for any reason. */
  signal: AbortSignal;
  sendEvent(event: { type: string } & Record<string, unknown>): void;
  /** Report an avatar failure: counted and sent as an `error` event; the audio goes on. */
  reportError(error: unknown): void;
}

export type AvatarSinkFactory = (ctx: AvatarSinkContext) => AvatarSink | undefined;

export interface AvatarSinkOptions {
  engine: AvatarEngine;
  /** Spans of the avatar stream (child of the turn span when `turnContext` finds it). */
  tracer?: Tracer;
  turnContext?: (sessionId: string, turnId: number) => Context | undefined;
  /** Frames are sent in batches at most this often (default 50 ms; the first frame goes at once). */
  flushIntervalMs?: number;
  /** Called once per finished avatar stream (bench / metrics). */
  onStreamDone?: (stats: AvatarStreamStats) => void;
}

export interface AvatarStreamStats {
  outcome: AvatarTurnResult['outcome'];
  frames: number;
  /** From the first audio pushed to the first frame received. */
  firstFrameMs?: number;
  /** Worst lateness of a frame: arrival time minus the time its audio was pushed (sent to the client). */
  maxLagMs?: number;
}

export interface BlendshapesEvent {
  type: 'blendshapes';
  turn_id: number;
  segment: number;
  names: string[];
  /** `t`: seconds since the segment's `audio_start`; `w`: weights in `names` order, 3 decimals. */
  frames: { t: number; w: number[] }[];
}

const MAX_REMEMBERED_SESSIONS = 10_000;

/**
 * Tells a session the avatar's state when it changed for that session; `onFirstDown` runs just
 * before the session first hears it is down.
 */
type Tell = (ctx: AvatarSinkContext, status: ComponentStatus, onFirstDown?: () => void) => void;

export function createAvatarSinkFactory(opts: AvatarSinkOptions): AvatarSinkFactory {
  // Sessions that were told the avatar is down (so they hear once when it is back).
  const toldDown = new Set<string>();
  const tell: Tell = (ctx, status, onFirstDown) => {
    const down = status.state !== 'up';
    if (down === toldDown.has(ctx.sessionId)) return;
    if (down) {
      onFirstDown?.();
      if (toldDown.size >= MAX_REMEMBERED_SESSIONS) toldDown.delete(toldDown.values().next().value as string);
      toldDown.add(ctx.sessionId);
    } else toldDown.delete(ctx.sessionId);
    ctx.sendEvent({
      type: 'avatar_status',
      state: down ? 'down' : 'up',
      ...(down && status.detail ? { detail: status.detail } : {}),
    });
  };
  return (ctx) => new TurnAvatar(ctx, opts, tell);
}

class TurnAvatar implements AvatarSink {
  private stream: AvatarStream | undefined;
  private segment = 0;

  constructor(
    private readonly ctx: AvatarSinkContext,
    private readonly opts: AvatarSinkOptions,
    private readonly tell: Tell,
  ) {}

  push(pcm: Int16Array): void {
    if (this.ctx.signal.aborted) return;
    // A new stream only after a cancel (a resumed reply starts a new segment at its `audio_start`); a
    // stream that failed stays closed for the rest of its segment, so times never drift.
    this.stream ??= new AvatarStream(this.ctx, this.opts, this.segment++, this.tell);
    this.stream.push(pcm);
  }

  end(): void {
    this.stream?.end();
  }

  cancel(): void {
    this.stream?.cancel();
    this.stream = undefined;
  }
}

/** One Audio2Face stream: from an `audio_start` to the end of the audio, or a cancel. */
class AvatarStream {
  private readonly controller = new AbortController();
  private readonly turn: AvatarTurn;
  private readonly span: Span | undefined;
  private names: string[] = [];
  private batch: { t: number; w: number[] }[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private pushedSamples = 0;
  private firstPushAt: number | undefined;
  private firstFrameMs: number | undefined;
  private maxLagMs = 0;
  private ended = false;
  private sentAny = false;

  constructor(
    private readonly ctx: AvatarSinkContext,
    private readonly opts: AvatarSinkOptions,
    private readonly segment: number,
    private readonly tell: Tell,
  ) {
    // The turn ending for any reason stops the stream, unless all its audio is already in: then
    // Audio2Face finishes normally (its last frames are simply not needed).
    const onTurnEnd = (): void => {
      if (!this.ended) this.controller.abort();
    };
    if (ctx.signal.aborted) this.controller.abort();
    else ctx.signal.addEventListener('abort', onTurnEnd, { once: true });
    const parent = opts.turnContext?.(ctx.sessionId, ctx.turnId) ?? context.active();
    this.span = opts.tracer?.startSpan(
      'avatar',
      { attributes: { 'goassist.avatar.segment': segment } },
      parent,
    );
    const spanCtx = this.span ? trace.setSpan(parent, this.span) : parent;
    // Opened inside the avatar span's context, so the gRPC metadata carries it.
    this.turn = context.with(spanCtx, () =>
      opts.engine.startTurn({ sampleRate: ctx.sampleRate, signal: this.controller.signal }),
    );
    void this.pump();
    void this.turn.done.then((result) => {
      ctx.signal.removeEventListener('abort', onTurnEnd);
      this.finish(result);
    });
  }

  push(pcm: Int16Array): void {
    this.firstPushAt ??= performance.now();
    this.pushedSamples += pcm.length;
    this.turn.push(pcm);
  }

  end(): void {
    this.ended = true;
    this.turn.end();
  }

  cancel(): void {
    this.controller.abort();
  }

  private async pump(): Promise<void> {
    for await (const event of this.turn.events()) {
      if (event.kind === 'names') {
        this.names = event.names;
        continue;
      }
      const now = performance.now();
      const { timeCode, weights } = event.frame;
      if (this.firstPushAt !== undefined) {
        this.firstFrameMs ??= now - this.firstPushAt;
        this.maxLagMs = Math.max(this.maxLagMs, now - this.firstPushAt - timeCode * 1000);
      }
      this.batch.push({
        t: Math.round(timeCode * 1000) / 1000,
        w: weights.map((x) => Math.round(x * 1000) / 1000),
      });
      // The first frame goes out at once (the face starts with the voice); later ones in small
      // batches, well inside the lead the audio is sent with.
      if (!this.sentAny) this.flush();
      else this.flushTimer ??= setTimeout(() => this.flush(), this.opts.flushIntervalMs ?? 50);
    }
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.batch.length === 0) return;
    const event: BlendshapesEvent = {
      type: 'blendshapes',
      turn_id: this.ctx.turnId,
      segment: this.segment,
      names: this.names,
      frames: this.batch,
    };
    this.batch = [];
    this.sentAny = true;
    this.ctx.sendEvent(event as unknown as { type: string } & Record<string, unknown>);
  }

  private finish(result: AvatarTurnResult): void {
    const stats: AvatarStreamStats = {
      outcome: result.outcome,
      frames: result.frames,
      ...(this.firstFrameMs !== undefined
        ? { firstFrameMs: this.firstFrameMs, maxLagMs: this.maxLagMs }
        : {}),
    };
    if (result.outcome === 'failed') {
      this.ctx.reportError(result.error);
      this.tell(this.ctx, this.opts.engine.status());
    } else if (result.outcome === 'skipped') {
      // Audio2Face was already known down when the turn began: a session that has not heard of it
      // gets the same error a failed call gives, once, so what it is told does not depend on which
      // turn noticed first.
      const status = this.opts.engine.status();
      this.tell(this.ctx, status, () =>
        this.ctx.reportError(
          new EngineError('avatar', 'unavailable', status.detail ?? 'Audio2Face is unavailable', true),
        ),
      );
    } else if (result.outcome === 'completed') {
      this.tell(this.ctx, { state: 'up', engine: this.opts.engine.name });
    }
    if (this.span) {
      this.span.setAttributes({
        'goassist.avatar.outcome': result.outcome,
        'goassist.avatar.frames': result.frames,
        'goassist.avatar.audio_seconds': this.pushedSamples / this.ctx.sampleRate,
        ...(stats.firstFrameMs !== undefined
          ? { 'goassist.avatar.first_frame_ms': Math.round(stats.firstFrameMs) }
          : {}),
        ...(stats.maxLagMs !== undefined ? { 'goassist.avatar.max_lag_ms': Math.round(stats.maxLagMs) } : {}),
      });
      if (result.outcome === 'failed') {
        this.span.recordException(result.error);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
        this.span.setAttribute('error.type', result.error.code);
      }
      this.span.end();
    }
    this.opts.onStreamDone?.(stats);
  }
}
