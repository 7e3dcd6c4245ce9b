/**
 * The pipeline's TurnTracer (runtime/pipeline/hooks.ts) over OpenTelemetry.
 *
 * Span layout (docs/observability.md): every turn is its own trace, rooted at a `turn` span that
 * links to its session's `session` span (a long-lived session would otherwise make one huge trace
 * that is exported only when the session ends). Children of `turn`: `end_of_turn_wait`, `asr`, `llm`
 * (event `first_token`), `tts` (event `first_chunk`), `audio_send`, and `avatar` (from the avatar sink).
 */
import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/**
 * The shapes of the pipeline's tracing hooks (runtime/pipeline/hooks.ts), restated here so telemetry
 * does not depend on the pipeline; TypeScript checks the two match where they are wired together.
 */
export type TurnStage = 'end_of_turn' | 'asr' | 'llm' | 'tts' | 'playout';

export interface StageSpan {
  end(error?: unknown): void;
  /** A point event on the stage, e.g. `first_token` on `llm`, `first_chunk` on `tts`. */
  event(name: string, attributes?: Attributes): void;
  /** Runs every step of `iterable` in this stage's trace context, so its HTTP/gRPC calls carry it. */
  wrap<T>(iterable: AsyncIterable<T>): AsyncIterable<T>;
}

export interface TurnSpan {
  stage(stage: TurnStage, startTime?: number): StageSpan;
  event(name: string, attributes?: Record<string, string | number | boolean>): void;
  end(outcome: string, attributes?: Record<string, string | number | boolean>): void;
}

export interface TurnTracer {
  startTurn(attrs: { sessionId: string; turnId: number; startTime: number }): TurnSpan;
}

export const SPAN = {
  session: 'session',
  turn: 'turn',
  avatar: 'avatar',
  stages: {
    end_of_turn: 'end_of_turn_wait',
    asr: 'asr',
    llm: 'llm',
    tts: 'tts',
    playout: 'audio_send',
  } satisfies Record<TurnStage, string>,
} as const;

export const ATTR = {
  sessionId: 'goassist.session.id',
  turnId: 'goassist.turn.id',
  revision: 'goassist.revision',
  ttfaMs: 'goassist.turn.ttfa_ms',
  bargeIn: 'goassist.turn.barge_in',
  bargeInMs: 'goassist.turn.barge_in_ms',
  outcome: 'goassist.turn.outcome',
} as const;

export interface OtelTurnTracerOptions {
  tracer: Tracer;
  revision: string;
}

export interface OtelTurnTracer extends TurnTracer {
  /** Ends the session's span (call when the session ends). */
  endSession(sessionId: string): void;
  /** The trace context of a live turn, so its avatar call joins the turn's trace. */
  turnContext(sessionId: string, turnId: number): Context | undefined;
}

export function createOtelTurnTracer(opts: OtelTurnTracerOptions): OtelTurnTracer {
  const sessions = new Map<string, Span>();
  const turns = new Map<string, Context>();
  const key = (sessionId: string, turnId: number): string => `${sessionId}#${turnId}`;

  const sessionSpan = (sessionId: string, startTime: number): Span => {
    let span = sessions.get(sessionId);
    if (!span) {
      span = opts.tracer.startSpan(
        SPAN.session,
        {
          root: true,
          startTime,
          attributes: { [ATTR.sessionId]: sessionId, [ATTR.revision]: opts.revision },
        },
        context.active(),
      );
      sessions.set(sessionId, span);
    }
    return span;
  };

  return {
    startTurn({ sessionId, turnId, startTime }) {
      const session = sessionSpan(sessionId, startTime);
      const span = opts.tracer.startSpan(SPAN.turn, {
        root: true,
        kind: SpanKind.INTERNAL,
        startTime,
        links: [{ context: session.spanContext() }],
        attributes: { [ATTR.sessionId]: sessionId, [ATTR.turnId]: turnId, [ATTR.revision]: opts.revision },
      });
      const ctx = trace.setSpan(context.active(), span);
      turns.set(key(sessionId, turnId), ctx);
      return new OtelTurnSpan(opts.tracer, span, ctx, startTime, () => turns.delete(key(sessionId, turnId)));
    },
    endSession(sessionId) {
      sessions.get(sessionId)?.end();
      sessions.delete(sessionId);
    },
    turnContext(sessionId, turnId) {
      return turns.get(key(sessionId, turnId));
    },
  };
}

class OtelTurnSpan implements TurnSpan {
  private readonly open = new Set<Span>();
  private ended = false;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly ctx: Context,
    private readonly startTime: number,
    private readonly onEnd: () => void,
  ) {}

  stage(stage: TurnStage, startTime?: number): StageSpan {
    const span = this.tracer.startSpan(
      SPAN.stages[stage],
      startTime !== undefined ? { startTime } : {},
      this.ctx,
    );
    this.open.add(span);
    const stageCtx = trace.setSpan(this.ctx, span);
    return {
      end: (error?: unknown) => {
        if (!this.open.delete(span)) return;
        if (error !== undefined) recordError(span, error);
        span.end();
      },
      event: (name: string, attributes?: Attributes) => span.addEvent(name, attributes),
      wrap: <T>(iterable: AsyncIterable<T>) => withContext(stageCtx, iterable),
    };
  }

  event(name: string, attributes?: Record<string, string | number | boolean>): void {
    if (this.ended) return;
    this.span.addEvent(name, attributes);
    if (name === 'first_audio')
      this.span.setAttribute(ATTR.ttfaMs, Math.round(performance.now() - this.startTime));
    if (name === 'clear' && attributes?.reason === 'barge_in') {
      this.span.setAttribute(ATTR.bargeIn, true);
      if (typeof attributes.barge_in_ms === 'number')
        this.span.setAttribute(ATTR.bargeInMs, attributes.barge_in_ms);
    }
  }

  end(outcome: string, attributes?: Record<string, string | number | boolean>): void {
    if (this.ended) return;
    this.ended = true;
    // Stages still open (an aborted reply) end with the turn.
    for (const span of this.open) span.end();
    this.open.clear();
    this.span.setAttributes({ ...prefixed(attributes), [ATTR.outcome]: outcome });
    if (!this.span.isRecording()) return this.onEnd();
    if (this.spanAttributeUnset(ATTR.bargeIn)) this.span.setAttribute(ATTR.bargeIn, false);
    if (outcome === 'failed') this.span.setStatus({ code: SpanStatusCode.ERROR, message: 'turn failed' });
    this.span.end();
    this.onEnd();
  }

  private spanAttributeUnset(name: string): boolean {
    const attrs = (this.span as unknown as { attributes?: Attributes }).attributes;
    return attrs?.[name] === undefined;
  }
}

export function recordError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') span.setAttribute('error.type', code);
}

function prefixed(attributes: Record<string, string | number | boolean> | undefined): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attributes ?? {})) out[`goassist.turn.${k}`] = v;
  return out;
}

/** Every step of `iterable` runs inside `ctx`, so calls the producer makes (fetch, gRPC) carry it. */
function withContext<T>(ctx: Context, iterable: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const it = context.with(ctx, () => iterable[Symbol.asyncIterator]());
      return {
        next: () => context.with(ctx, () => it.next()),
        return: (value?: unknown) =>
          context.with(
            ctx,
            () => it.return?.(value) ?? Promise.resolve({ done: true, value: undefined as T }),
          ),
        throw: (err?: unknown) => context.with(ctx, () => it.throw?.(err) ?? Promise.reject(err)),
      } as AsyncIterator<T>;
    },
  };
}
