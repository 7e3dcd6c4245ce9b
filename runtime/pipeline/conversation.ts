/**
 * The voice conversation of one session: microphone frames -> VAD -> turn detector -> ASR, then an
 * agent reply (reply.ts) per user turn; barge-in, false-interruption resume, history, per-turn metrics.
 * Everything leaves through the one transport of the attached socket.
 */
import type { AsrStream, AsrEngine, LlmEngine, TtsEngine, VadEngine, VadStream } from '../engines/types.js';
import { EngineError, isAbortError } from '../engines/types.js';
import type {
  Conversation,
  ConversationContext,
  SessionState,
  SessionTransport,
} from '../session/conversation.js';
import type { PipelineMetrics } from '../telemetry/metrics.js';
import { ConversationHistory } from './history.js';
import {
  NOOP_TRACER,
  type AvatarSink,
  type AvatarSinkFactory,
  type TurnSpan,
  type TurnTracer,
} from './hooks.js';
import { InputFramer, toFloat32, type InputFrame } from './input-audio.js';
import {
  PROTOCOL_VERSION,
  ProtocolError,
  decodeAudioFrame,
  parseClientMessage,
  type ClientMessage,
  type ServerEvent,
  type TurnMetricsEvent,
} from './protocol.js';
import { AgentReply, type ReplyOptions, type ReplyResult } from './reply.js';
import type { ResamplerFactory } from './resampler.js';
import { TurnDetector, type TurnDetectorEvent } from './turn-detector.js';

export interface PipelineOptions extends ReplyOptions {
  defaultInputSampleRate: number;
  vadThreshold: number;
  vadNegThreshold: number;
  endOfTurnSilenceMs: number;
  minSpeechMs: number;
  bargeInMinSpeechMs: number;
  falseInterruptionResume: boolean;
  falseInterruptionTimeoutMs: number;
  /** Audio before the start of speech that goes to the ASR too. */
  prerollMs: number;
  /** Silence after the last speech frame that goes to the ASR at the end of a turn. */
  postrollMs: number;
  /** Received audio waiting for the VAD beyond this is dropped (`input_overflow`). */
  maxBufferedInputMs: number;
  systemPrompt: string;
  maxHistoryMessages: number;
}

export interface PipelineEngines {
  vad: VadEngine;
  asr: AsrEngine;
  llm: LlmEngine;
  tts: TtsEngine;
}

export interface ConversationDeps {
  engines: PipelineEngines;
  options: PipelineOptions;
  metrics: PipelineMetrics;
  createResampler: ResamplerFactory;
  tracer?: TurnTracer;
  avatar?: AvatarSinkFactory;
}

/** Capture of one stretch of user speech into an ASR stream. */
interface Capture {
  asr: AsrStream;
  controller: AbortController;
  /** Arrival of the frame where the speech started (barge-in clock). */
  startArrivedAt: number;
  /** Silence frames after the last speech frame, held back until speech resumes or the turn ends. */
  tail: Int16Array[];
}

interface ActiveTurn {
  id: number;
  /** Aborted when the turn ends for any reason (the avatar's signal). */
  controller: AbortController;
  reply: AgentReply;
  span: TurnSpan;
  avatar: AvatarSink | undefined;
  metrics: TurnMetricsEvent;
  /** When the user's speech ended (arrival of its last speech frame), the TTFA clock's zero. */
  speechEndAt: number;
  audioStarted: boolean;
  speaking: boolean;
  interruption: { timer: NodeJS.Timeout | undefined } | undefined;
  finalized: boolean;
}

interface UserTiming {
  speechEndAt: number;
  speechEndAudioMs?: number;
  endOfTurnMs?: number;
}

const ARRIVAL_RING = 1024;
const ERROR_EVENTS_PER_SECOND = 10;

export class VoiceConversation implements Conversation {
  private transport: SessionTransport | undefined;
  private state: SessionState = 'idle';
  private started = false;
  private closed = false;
  private inputRate: number;
  private readonly framer: InputFramer;
  private readonly frames: InputFrame[] = [];
  private pumping = false;
  private vad: VadStream | undefined;
  private readonly detector: TurnDetector;
  private readonly frameMs: number;
  /**
   * Per detector frame (a ring): the input frame's number (audio timeline) and arrival time (TTFA
   * clock). Numbers only: holding the frames themselves would cost 1 MiB per session.
   */
  private readonly frameIndexes = new Float64Array(ARRIVAL_RING);
  private readonly frameArrivals = new Float64Array(ARRIVAL_RING);
  private readonly preroll: Int16Array[] = [];
  private capture: Capture | undefined;
  private active: ActiveTurn | undefined;
  private pendingUtterances = 0;
  private turnIds = 0;
  private readonly history: ConversationHistory;
  private readonly tracer: TurnTracer;
  private readonly errorWindows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly ctx: ConversationContext,
    private readonly deps: ConversationDeps,
  ) {
    const { options, engines } = deps;
    this.inputRate = ctx.options?.inputSampleRate ?? options.defaultInputSampleRate;
    this.frameMs = (engines.vad.frameSamples * 1000) / engines.vad.sampleRate;
    this.framer = new InputFramer(engines.vad.frameSamples, engines.vad.sampleRate, deps.createResampler);
    this.detector = new TurnDetector({
      threshold: options.vadThreshold,
      negThreshold: options.vadNegThreshold,
      endOfTurnSilenceMs: options.endOfTurnSilenceMs,
      minSpeechMs: options.minSpeechMs,
      bargeInMinSpeechMs: options.bargeInMinSpeechMs,
      frameMs: this.frameMs,
    });
    this.history = new ConversationHistory(options.systemPrompt, options.maxHistoryMessages);
    this.tracer = deps.tracer ?? NOOP_TRACER;
  }

  /** The history as the LLM will see it next (without the system prompt). */
  historyEntries(): readonly { role: string; content: string }[] {
    return this.history.entries();
  }

  // ------------------------------------------------------------------ socket side

  attach(transport: SessionTransport): void {
    const resumed = this.transport !== undefined || this.turnIds > 0;
    this.transport = transport;
    this.send({
      type: 'session',
      session_id: this.ctx.sessionId,
      protocol: PROTOCOL_VERSION,
      resumed,
      state: this.state,
    });
  }

  detach(): void {
    this.stopListening();
    this.transport = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopListening();
    this.closed = true;
    this.transport = undefined;
    this.vad?.close();
    this.vad = undefined;
    this.tracer.endSession?.(this.ctx.sessionId);
  }

  handleText(text: string): void {
    if (this.closed) return;
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (err) {
      this.reportProtocolError(err);
      return;
    }
    this.onMessage(message);
  }

  handleBinary(data: Buffer): void {
    if (this.closed) return;
    const arrivedAt = performance.now();
    try {
      const pcm = decodeAudioFrame(data);
      if (!this.started) throw new ProtocolError('not_started', 'send {"type":"start"} before audio');
      const frames = this.framer.push(pcm, arrivedAt);
      const room = Math.ceil(this.deps.options.maxBufferedInputMs / this.frameMs) - this.frames.length;
      if (frames.length > room) {
        frames.length = Math.max(0, room);
        throw new ProtocolError(
          'input_overflow',
          'audio arrives faster than it can be processed; newest audio dropped',
        );
      }
      this.frames.push(...frames);
    } catch (err) {
      this.reportProtocolError(err);
    } finally {
      void this.pump();
    }
  }

  private onMessage(message: ClientMessage): void {
    switch (message.type) {
      case 'start':
      case 'config':
        this.start(message.sample_rate ?? this.inputRate);
        return;
      case 'ping':
        this.send(message.id === undefined ? { type: 'pong' } : { type: 'pong', id: message.id });
        return;
      case 'text':
        if (!this.started) this.start(this.inputRate);
        this.interrupt(performance.now(), 'interrupt');
        this.pendingUtterances++;
        this.setState('thinking');
        this.beginTurn(message.text, { speechEndAt: performance.now() });
        return;
      case 'interrupt':
        this.interrupt(performance.now(), 'interrupt');
        return;
      case 'end':
        this.stopListening();
        return;
    }
  }

  private start(sampleRate: number): void {
    this.inputRate = sampleRate;
    this.framer.start(sampleRate);
    this.frames.length = 0;
    this.detector.reset();
    this.vad ??= this.deps.engines.vad.createStream();
    this.vad.reset();
    this.started = true;
    this.send({
      type: 'ready',
      input_sample_rate: sampleRate,
      output_sample_rate: this.deps.options.outputSampleRate,
      vad_frame_ms: this.frameMs,
    });
    if (this.state === 'idle') this.setState('listening');
  }

  /** Stops everything in flight and goes idle (detach, `end`, close); the history stays. */
  private stopListening(): void {
    this.started = false;
    this.frames.length = 0;
    this.preroll.length = 0;
    this.dropCapture();
    this.interrupt(performance.now(), 'interrupt');
    this.setState('idle');
  }

  // ------------------------------------------------------------------ VAD and turn detection

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.frames.length > 0 && this.started && !this.closed) {
        const frame = this.frames.shift() as InputFrame;
        let probability: number;
        try {
          probability = await (this.vad as VadStream).process(toFloat32(frame.pcm));
        } catch (err) {
          this.reportEngineError(asEngineError(err, 'vad'), undefined);
          continue;
        }
        if (!this.started) break;
        this.onFrame(frame, probability);
      }
    } finally {
      this.pumping = false;
    }
  }

  private onFrame(frame: InputFrame, probability: number): void {
    const detectorIndex = this.detector.nextFrame;
    this.frameIndexes[detectorIndex % ARRIVAL_RING] = frame.index;
    this.frameArrivals[detectorIndex % ARRIVAL_RING] = frame.arrivedAt;
    const events = this.detector.push(probability);
    const startsSpeech = events.some((e) => e.kind === 'speech_start');
    if (!startsSpeech && this.capture) {
      if (probability >= this.deps.options.vadNegThreshold) {
        for (const held of this.capture.tail) this.capture.asr.push(held);
        this.capture.tail.length = 0;
        this.capture.asr.push(frame.pcm);
      } else {
        this.capture.tail.push(frame.pcm);
      }
    }
    for (const event of events) this.onDetectorEvent(event, frame);
    this.preroll.push(frame.pcm);
    const prerollFrames = Math.ceil(this.deps.options.prerollMs / this.frameMs);
    if (this.preroll.length > prerollFrames) this.preroll.splice(0, this.preroll.length - prerollFrames);
  }

  private onDetectorEvent(event: TurnDetectorEvent, frame: InputFrame): void {
    switch (event.kind) {
      case 'speech_start':
        this.send({ type: 'vad', event: 'speech_start', audio_ms: Math.round(frame.index * this.frameMs) });
        this.openCapture(frame);
        return;
      case 'speech_confirmed':
        if (this.active && !this.active.interruption && this.capture) {
          this.interrupt(this.capture.startArrivedAt, 'barge_in');
        }
        return;
      case 'speech_end':
        this.onSpeechEnd(event);
        return;
    }
  }

  private openCapture(frame: InputFrame): void {
    this.dropCapture();
    const controller = new AbortController();
    const asr = this.deps.engines.asr.stream({ signal: controller.signal });
    for (const pcm of this.preroll) asr.push(pcm);
    asr.push(frame.pcm);
    this.capture = { asr, controller, startArrivedAt: frame.arrivedAt, tail: [] };
    void this.forwardPartials(asr);
  }

  private async forwardPartials(asr: AsrStream): Promise<void> {
    try {
      for await (const text of asr.partials()) {
        if (this.capture?.asr !== asr) break;
        this.send({ type: 'transcript', turn_id: this.turnIds + 1, text, final: false });
      }
    } catch {
      // A failing recognition is reported once, by finish(); partials are best effort.
    }
  }

  private dropCapture(): void {
    this.capture?.controller.abort();
    this.capture = undefined;
  }

  private onSpeechEnd(event: Extract<TurnDetectorEvent, { kind: 'speech_end' }>): void {
    const slot = event.lastSpeechFrame % ARRIVAL_RING;
    const last = { index: this.frameIndexes[slot] as number, arrivedAt: this.frameArrivals[slot] as number };
    const speechEndAudioMs = Math.round((last.index + 1) * this.frameMs);
    this.send({ type: 'vad', event: 'speech_end', audio_ms: speechEndAudioMs, speech_ms: event.speechMs });
    const capture = this.capture;
    this.capture = undefined;
    if (!event.isTurn || !capture) {
      capture?.controller.abort();
      if (this.active?.interruption) this.resolveFalseInterruption();
      return;
    }
    const postroll = Math.ceil(this.deps.options.postrollMs / this.frameMs);
    for (const held of capture.tail.slice(0, postroll)) capture.asr.push(held);
    const endOfTurnMs = performance.now() - last.arrivedAt;
    this.deps.metrics.endOfTurnSeconds.observe(endOfTurnMs / 1000);
    if (this.active && !this.active.interruption) this.interrupt(capture.startArrivedAt, 'barge_in');
    void this.onUtterance(capture, { speechEndAt: last.arrivedAt, speechEndAudioMs, endOfTurnMs });
  }

  // ------------------------------------------------------------------ user turns

  private async onUtterance(capture: Capture, timing: UserTiming): Promise<void> {
    this.pendingUtterances++;
    if (!this.active) this.setState('thinking');
    const asrStarted = performance.now();
    let text: string;
    try {
      text = (await capture.asr.finish()).text.trim();
    } catch (err) {
      this.pendingUtterances--;
      if (isAbortError(err) || this.closed || capture.controller.signal.aborted) return this.settle();
      // The user spoke long enough for a turn: an unreadable interruption still stops the agent.
      this.confirmInterruption();
      const id = ++this.turnIds;
      this.reportEngineError(asEngineError(err, 'asr'), id);
      this.finishUserTurnEarly(id, 'failed', timing, performance.now() - asrStarted);
      return this.settle();
    }
    const asrMs = performance.now() - asrStarted;
    this.deps.metrics.asrSeconds.observe(asrMs / 1000);
    if (!this.started || this.closed) {
      this.pendingUtterances--;
      return this.settle();
    }
    if (this.active?.interruption) {
      if (text === '') {
        this.pendingUtterances--;
        this.resolveFalseInterruption();
        return this.settle();
      }
      this.confirmInterruption();
    }
    if (text === '') {
      this.pendingUtterances--;
      this.finishUserTurnEarly(++this.turnIds, 'empty', timing, asrMs);
      return this.settle();
    }
    this.beginTurn(text, timing, asrMs);
  }

  /** A user turn that ends before any reply: nothing heard, or the ASR failed. */
  private finishUserTurnEarly(
    id: number,
    outcome: 'empty' | 'failed',
    timing: UserTiming,
    asrMs: number,
  ): void {
    this.send({ type: 'transcript', turn_id: id, text: '', final: true });
    const metrics: TurnMetricsEvent = {
      type: 'turn_metrics',
      turn_id: id,
      outcome,
      asr_ms: round(asrMs),
      ...(timing.endOfTurnMs !== undefined ? { end_of_turn_ms: round(timing.endOfTurnMs) } : {}),
      ...(timing.speechEndAudioMs !== undefined ? { speech_end_audio_ms: timing.speechEndAudioMs } : {}),
    };
    this.send(metrics);
    this.ctx.onTurnCompleted?.({ outcome });
    this.tracer
      .startTurn({ sessionId: this.ctx.sessionId, turnId: id, startTime: timing.speechEndAt })
      .end(outcome);
  }

  /** Starts the agent's reply to `text`; `pendingUtterances` was counted up by the caller. */
  private beginTurn(text: string, timing: UserTiming, asrMs?: number): void {
    const id = ++this.turnIds;
    this.pendingUtterances--;
    this.send({ type: 'transcript', turn_id: id, text, final: true });
    const messages = (this.history.add('user', text), this.history.forLlm());
    const span = this.tracer.startTurn({
      sessionId: this.ctx.sessionId,
      turnId: id,
      startTime: timing.speechEndAt,
    });
    if (timing.endOfTurnMs !== undefined) span.stage('end_of_turn', timing.speechEndAt).end();
    if (asrMs !== undefined) span.stage('asr', performance.now() - asrMs).end();
    const controller = new AbortController();
    const avatar = this.deps.avatar?.({
      sessionId: this.ctx.sessionId,
      turnId: id,
      sampleRate: this.deps.options.outputSampleRate,
      signal: controller.signal,
      sendEvent: (event) => this.transport?.sendEvent(event),
      reportError: (err) => this.reportEngineError(asEngineError(err, 'avatar'), id),
    });
    const turn: ActiveTurn = {
      id,
      controller,
      span,
      avatar,
      speechEndAt: timing.speechEndAt,
      audioStarted: false,
      speaking: false,
      interruption: undefined,
      finalized: false,
      metrics: {
        type: 'turn_metrics',
        turn_id: id,
        outcome: 'completed',
        ...(timing.endOfTurnMs !== undefined ? { end_of_turn_ms: round(timing.endOfTurnMs) } : {}),
        ...(asrMs !== undefined ? { asr_ms: round(asrMs) } : {}),
        ...(timing.speechEndAudioMs !== undefined ? { speech_end_audio_ms: timing.speechEndAudioMs } : {}),
      },
      reply: undefined as unknown as AgentReply,
    };
    turn.reply = new AgentReply(
      {
        llm: this.deps.engines.llm,
        tts: this.deps.engines.tts,
        createResampler: this.deps.createResampler,
        options: this.deps.options,
      },
      id,
      {
        sendEvent: (event) => this.transport?.sendEvent(event),
        onAudioStart: (resumed) => {
          turn.audioStarted = true;
          turn.speaking = true;
          this.send({
            type: 'audio_start',
            turn_id: id,
            sample_rate: this.deps.options.outputSampleRate,
            resumed,
          });
          if (this.active === turn && !turn.interruption) this.setState('speaking');
        },
        onFirstAudio: (at) => {
          turn.metrics.ttfa_ms = round(at - turn.speechEndAt);
          span.event('first_audio');
        },
      },
      {
        sendAudio: (pcm) => this.transport?.sendAudio(pcm),
        bufferedBytes: () => this.transport?.bufferedBytes() ?? 0,
      },
      span,
      avatar,
    );
    this.active = turn;
    this.setState('thinking');
    void turn.reply.run(messages).then((result) => this.onReplyEnded(turn, result));
  }

  private onReplyEnded(turn: ActiveTurn, result: ReplyResult): void {
    if (turn.finalized) return;
    if (this.active === turn) this.active = undefined;
    if (result.outcome === 'failed') {
      this.reportEngineError(result.error, turn.id);
      this.finalize(turn, 'failed');
    } else {
      this.finalize(turn, result.outcome === 'completed' ? 'completed' : 'interrupted');
    }
    this.settle();
  }

  private finalize(turn: ActiveTurn, outcome: TurnMetricsEvent['outcome']): void {
    if (turn.finalized) return;
    turn.finalized = true;
    turn.controller.abort();
    if (turn.interruption?.timer) clearTimeout(turn.interruption.timer);
    const { full, heard } = turn.reply.text();
    const spoken = outcome === 'completed' ? full : heard;
    this.history.add('assistant', spoken);
    if (turn.audioStarted) {
      const reason = outcome === 'completed' ? 'done' : outcome === 'failed' ? 'failed' : 'interrupted';
      this.send({ type: 'audio_end', turn_id: turn.id, reason });
    }
    this.send({
      type: 'agent_text',
      turn_id: turn.id,
      final: true,
      text: spoken,
      interrupted: outcome === 'interrupted',
    });
    const { llmTtftMs, ttsFirstChunkMs } = turn.reply.timings;
    if (llmTtftMs !== undefined) {
      turn.metrics.llm_ttft_ms = round(llmTtftMs);
      this.deps.metrics.llmTtftSeconds.observe(llmTtftMs / 1000);
    }
    if (ttsFirstChunkMs !== undefined) {
      turn.metrics.tts_first_chunk_ms = round(ttsFirstChunkMs);
      this.deps.metrics.ttsFirstChunkSeconds.observe(ttsFirstChunkMs / 1000);
    }
    turn.metrics.outcome = outcome;
    this.send(turn.metrics);
    this.ctx.onTurnCompleted?.(
      turn.metrics.ttfa_ms !== undefined ? { outcome, ttfaMs: turn.metrics.ttfa_ms } : { outcome },
    );
    turn.span.end(outcome, { heard_chars: spoken.length, full_chars: full.length });
  }

  // ------------------------------------------------------------------ barge-in

  /**
   * Stop audio at once, then decide: the reply is paused (audio rewound to what the user heard) and
   * the client told to clear; a false interruption resumes it, a real one aborts it.
   */
  private interrupt(speechStartAt: number, reason: 'barge_in' | 'interrupt'): void {
    const turn = this.active;
    if (!turn || turn.interruption) {
      if (turn && reason === 'interrupt') this.confirmInterruption();
      return;
    }
    const wasSpeaking = turn.speaking;
    turn.reply.pause();
    turn.speaking = false;
    if (wasSpeaking) {
      this.send({ type: 'clear', turn_id: turn.id, reason });
      const bargeInMs = performance.now() - speechStartAt;
      if (reason === 'barge_in') {
        turn.metrics.barge_in_ms = round(bargeInMs);
        this.deps.metrics.bargeInSeconds.observe(bargeInMs / 1000);
      }
      turn.span.event('clear', { reason, barge_in_ms: round(bargeInMs) });
      turn.avatar?.cancel();
    }
    turn.interruption = { timer: undefined };
    this.setState('interrupted');
    if (reason === 'interrupt' || !this.deps.options.falseInterruptionResume) {
      this.confirmInterruption();
      this.settle();
      return;
    }
    turn.interruption.timer = setTimeout(() => {
      this.confirmInterruption();
      this.settle();
    }, this.deps.options.falseInterruptionTimeoutMs);
  }

  /** The interruption is real: abort LLM and TTS, keep only the heard text in the history. */
  private confirmInterruption(): void {
    const turn = this.active;
    if (!turn) return;
    this.active = undefined;
    turn.reply.abort();
    this.finalize(turn, 'interrupted');
  }

  /** It was a cough or a blip: the reply goes on from the first sample the user did not hear. */
  private resolveFalseInterruption(): void {
    const turn = this.active;
    if (!turn?.interruption) return;
    if (turn.interruption.timer) clearTimeout(turn.interruption.timer);
    turn.interruption = undefined;
    turn.span.event('resume');
    turn.speaking = turn.audioStarted;
    this.setState(turn.audioStarted ? 'speaking' : 'thinking');
    turn.reply.resume();
  }

  // ------------------------------------------------------------------ state and output

  /** The state that follows from what is in flight. */
  private settle(): void {
    if (this.closed) return;
    if (!this.started) return this.setState('idle');
    if (this.active) {
      if (this.active.interruption) return this.setState('interrupted');
      return this.setState(this.active.speaking ? 'speaking' : 'thinking');
    }
    this.setState(this.pendingUtterances > 0 ? 'thinking' : 'listening');
  }

  private setState(state: SessionState): void {
    if (state === this.state || this.closed) return;
    const previous = this.state;
    this.state = state;
    this.ctx.onStateChange(state);
    const turnId = this.active?.id;
    this.send(
      turnId === undefined
        ? { type: 'state', state, previous }
        : { type: 'state', state, previous, turn_id: turnId },
    );
  }

  private send(event: ServerEvent): void {
    this.transport?.sendEvent(event);
  }

  private reportEngineError(error: EngineError, turnId: number | undefined): void {
    this.deps.metrics.errorsTotal.inc({ component: error.component, type: error.code });
    this.send({
      type: 'error',
      code: `${error.component}.${error.code}`,
      message: error.message,
      component: error.component,
      ...(turnId !== undefined ? { turn_id: turnId } : {}),
    });
  }

  /**
   * Client mistakes are answered, not counted as runtime errors (a broken client must not fail a
   * canary). A flood gets at most 10 answers a second per code.
   */
  private reportProtocolError(err: unknown): void {
    if (!(err instanceof ProtocolError)) throw err;
    const now = performance.now();
    const window = this.errorWindows.get(err.code);
    if (window === undefined || now - window.start >= 1000) {
      this.errorWindows.set(err.code, { start: now, count: 1 });
    } else if (++window.count > ERROR_EVENTS_PER_SECOND) {
      return;
    }
    this.send({ type: 'error', code: err.code, message: err.message });
  }
}

function asEngineError(err: unknown, component: EngineError['component']): EngineError {
  if (err instanceof EngineError) return err;
  return new EngineError(component, 'internal', err instanceof Error ? err.message : String(err), false, {
    cause: err,
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
