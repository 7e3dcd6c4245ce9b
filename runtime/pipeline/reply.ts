/**
 * One agent reply: LLM stream -> clause splitter -> TTS per clause (the next clause is synthesized
 * while the previous one plays) -> resampling -> pacer. Cancelled as a whole by its AbortSignal;
 * `pause()`/`resume()` hold the audio (not the generation) while a barge-in is being judged.
 */
import { AsyncQueue } from './async-queue.js';
import { ClauseSplitter, type ClauseSplitterOptions } from './clause-splitter.js';
import { heardText, type SpokenClause } from './history.js';
import type { AvatarSink, TurnSpan } from './hooks.js';
import { Pacer, type PacerSink } from './pacer.js';
import type { ResamplerFactory } from './resampler.js';
import {
  EngineError,
  isAbortError,
  type ChatMessage,
  type ComponentName,
  type LlmEngine,
  type TtsEngine,
} from '../engines/types.js';

export interface ReplyOptions {
  outputSampleRate: number;
  pacerChunkMs: number;
  pacerLeadMs: number;
  /** TTS runs at most this far ahead of playback (bounds memory per session). */
  maxQueuedAudioMs: number;
  maxSocketBufferedBytes: number;
  clauses: ClauseSplitterOptions;
}

export interface ReplyDeps {
  llm: LlmEngine;
  tts: TtsEngine;
  createResampler: ResamplerFactory;
  options: ReplyOptions;
}

export interface ReplyCallbacks {
  sendEvent(event: { type: string } & Record<string, unknown>): void;
  /** The first chunk of audio of a run (`resumed` after a false interruption) is about to be sent. */
  onAudioStart(resumed: boolean): void;
  /** The first audio byte of the reply was written to the socket (`at`: performance.now()). */
  onFirstAudio(at: number): void;
}

export type ReplyResult =
  { outcome: 'completed' } | { outcome: 'aborted' } | { outcome: 'failed'; error: EngineError };

export interface ReplyTimings {
  llmTtftMs?: number;
  ttsFirstChunkMs?: number;
}

export class AgentReply {
  readonly timings: ReplyTimings = {};
  private readonly controller = new AbortController();
  private readonly clauses: SpokenClause[] = [];
  private readonly pacer: Pacer;
  private fullText = '';

  constructor(
    private readonly deps: ReplyDeps,
    private readonly turnId: number,
    private readonly callbacks: ReplyCallbacks,
    sink: PacerSink,
    private readonly span: TurnSpan,
    private readonly avatar: AvatarSink | undefined,
  ) {
    const { options } = deps;
    this.pacer = new Pacer(sink, {
      sampleRate: options.outputSampleRate,
      chunkMs: options.pacerChunkMs,
      leadMs: options.pacerLeadMs,
      maxSocketBufferedBytes: options.maxSocketBufferedBytes,
      onSend: (pcm, _tag, firstOfRun) => {
        if (firstOfRun) this.callbacks.onAudioStart(this.pacer.firstSendAt !== undefined);
        this.avatar?.push(pcm);
      },
      onFirstSent: (at) => this.callbacks.onFirstAudio(at),
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True while some of the reply's audio has reached the client (and not been rewound by a pause). */
  get hasSentAudio(): boolean {
    return this.pacer.hasSentAudio;
  }

  get isPaused(): boolean {
    return this.pacer.isPaused;
  }

  /** The reply text so far, and what of it the user heard. */
  text(): { full: string; heard: string } {
    const played = this.clauses.map((clause, i) => ({
      ...clause,
      playedSamples: this.pacer.playedSamples(i),
    }));
    return { full: this.fullText, heard: heardText(played) };
  }

  pause(): void {
    this.pacer.pause();
  }

  resume(): void {
    this.pacer.resume();
  }

  abort(): void {
    if (this.controller.signal.aborted) return;
    this.pacer.stop();
    this.avatar?.cancel();
    this.controller.abort();
  }

  async run(messages: readonly ChatMessage[]): Promise<ReplyResult> {
    const signal = this.controller.signal;
    const clauseQueue = new AsyncQueue<{ text: string; readyAt: number }>();
    try {
      await Promise.all([
        this.generate(messages, clauseQueue, signal).finally(() => clauseQueue.close()),
        this.speak(clauseQueue, signal),
      ]);
      await this.playout(signal);
      this.avatar?.end();
      return { outcome: 'completed' };
    } catch (err) {
      const aborted = signal.aborted;
      this.pacer.stop();
      this.avatar?.cancel();
      this.controller.abort();
      const failure = this.failure;
      if (failure !== undefined)
        return { outcome: 'failed', error: asEngineError(failure.error, failure.component) };
      if (aborted || isAbortError(err)) return { outcome: 'aborted' };
      return { outcome: 'failed', error: asEngineError(err, 'llm') };
    }
  }

  /** The first stage failure; later errors are consequences of the abort it caused. */
  private failure: { component: ComponentName; error: unknown } | undefined;

  private fail(component: ComponentName, error: unknown): void {
    if (!this.controller.signal.aborted && !isAbortError(error)) this.failure = { component, error };
    this.controller.abort();
  }

  private async generate(
    messages: readonly ChatMessage[],
    clauses: AsyncQueue<{ text: string; readyAt: number }>,
    signal: AbortSignal,
  ): Promise<void> {
    const splitter = new ClauseSplitter(this.deps.options.clauses);
    const started = performance.now();
    const stage = this.span.stage('llm', started);
    try {
      // Iterated in the stage's trace context, so the LLM's HTTP call carries `traceparent`.
      const tokens = this.deps.llm.stream(messages, { signal });
      for await (const delta of stage.wrap?.(tokens) ?? tokens) {
        if (signal.aborted) break;
        if (this.timings.llmTtftMs === undefined) {
          this.timings.llmTtftMs = performance.now() - started;
          stage.event?.('first_token');
        }
        this.fullText += delta;
        this.callbacks.sendEvent({ type: 'agent_text', turn_id: this.turnId, delta });
        for (const text of splitter.push(delta)) clauses.push({ text, readyAt: performance.now() });
      }
      for (const text of splitter.flush()) clauses.push({ text, readyAt: performance.now() });
      stage.end();
    } catch (err) {
      stage.end(isAbortError(err) ? undefined : err);
      this.fail('llm', err);
      throw err;
    }
  }

  private async speak(
    clauses: AsyncQueue<{ text: string; readyAt: number }>,
    signal: AbortSignal,
  ): Promise<void> {
    const outputRate = this.deps.options.outputSampleRate;
    let stage: ReturnType<TurnSpan['stage']> | undefined;
    try {
      for await (const clause of clauses) {
        if (signal.aborted) break;
        stage ??= this.span.stage('tts', clause.readyAt);
        const spoken: SpokenClause = { text: clause.text, totalSamples: undefined, playedSamples: 0 };
        // playedSamples is filled in from the pacer when the text is read.
        const index = this.clauses.push(spoken) - 1;
        let samples = 0;
        let resampler: ReturnType<ResamplerFactory> | undefined;
        let inputRate = 0;
        const chunks = this.deps.tts.synthesize(clause.text, { signal });
        for await (const chunk of stage.wrap?.(chunks) ?? chunks) {
          if (signal.aborted) break;
          if (this.timings.ttsFirstChunkMs === undefined) {
            this.timings.ttsFirstChunkMs = performance.now() - clause.readyAt;
            stage.event?.('first_chunk');
          }
          if (resampler === undefined || chunk.sampleRate !== inputRate) {
            inputRate = chunk.sampleRate;
            resampler = this.deps.createResampler(inputRate, outputRate);
          }
          samples += await this.enqueue(resampler.process(chunk.pcm), index, signal);
        }
        if (resampler) samples += await this.enqueue(resampler.flush(), index, signal);
        spoken.totalSamples = samples;
      }
      stage?.end();
      this.pacer.end();
    } catch (err) {
      stage?.end(isAbortError(err) ? undefined : err);
      this.fail('tts', err);
      throw err;
    }
  }

  private async enqueue(pcm: Int16Array, clauseIndex: number, signal: AbortSignal): Promise<number> {
    if (pcm.length === 0) return 0;
    await this.pacer.waitForRoom(this.deps.options.maxQueuedAudioMs, signal);
    this.pacer.enqueue(pcm, clauseIndex);
    return pcm.length;
  }

  private async playout(signal: AbortSignal): Promise<void> {
    const stage = this.span.stage('playout');
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new DOMException('reply aborted', 'AbortError'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void this.pacer.done.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    stage.end();
  }
}

function asEngineError(err: unknown, component: ComponentName): EngineError {
  if (err instanceof EngineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EngineError(component, 'internal', message, false, { cause: err });
}
