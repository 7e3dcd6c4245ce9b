/**
 * `createVoiceRuntime(config)`: the engines the config names, their status for /health and /readyz,
 * and the factory of per-session conversations that runtime/server attaches sockets to.
 */
import type { Logger } from 'pino';
import type { Tracer } from '@opentelemetry/api';
import { createResampler } from '../audio/resampler.js';
import type { RuntimeConfig } from '../config/index.js';
import { createAvatarSetup } from '../engines/avatar/setup.js';
import { createEngines, type VoiceEngines } from '../engines/index.js';
import type { ComponentName, ComponentStatus, Engine } from '../engines/types.js';
import type { RuntimeEngines, VoiceRuntime } from '../session/voice-runtime.js';
import type { PipelineMetrics } from '../telemetry/metrics.js';
import { createOtelTurnTracer } from '../telemetry/turn-tracer.js';
import { DEFAULT_CLAUSE_OPTIONS } from './clause-splitter.js';
import { VoiceConversation, type PipelineOptions } from './conversation.js';

export interface VoiceRuntimeDeps {
  metrics: PipelineMetrics;
  logger: Logger;
  tracer: Tracer;
}

/** Pipeline timing that is not (yet) an environment variable: documented in docs/protocol.md. */
export const PIPELINE_DEFAULTS = {
  pacerChunkMs: 20,
  pacerLeadMs: 100,
  maxQueuedAudioMs: 4000,
  maxSocketBufferedBytes: 256 * 1024,
  prerollMs: 192,
  postrollMs: 128,
  maxBufferedInputMs: 2000,
  maxHistoryMessages: 40,
} as const;

export function pipelineOptions(config: RuntimeConfig): PipelineOptions {
  return {
    ...PIPELINE_DEFAULTS,
    defaultInputSampleRate: config.INPUT_SAMPLE_RATE,
    outputSampleRate: config.OUTPUT_SAMPLE_RATE,
    vadThreshold: config.VAD_THRESHOLD,
    vadNegThreshold: config.VAD_NEG_THRESHOLD,
    endOfTurnSilenceMs: config.END_OF_TURN_SILENCE_MS,
    minSpeechMs: config.MIN_SPEECH_MS,
    bargeInMinSpeechMs: config.BARGE_IN_MIN_SPEECH_MS,
    falseInterruptionResume: config.FALSE_INTERRUPTION_RESUME,
    falseInterruptionTimeoutMs: config.FALSE_INTERRUPTION_TIMEOUT_MS,
    systemPrompt: config.LLM_SYSTEM_PROMPT,
    clauses: DEFAULT_CLAUSE_OPTIONS,
  };
}

export async function createVoiceRuntime(
  config: RuntimeConfig,
  deps: VoiceRuntimeDeps,
): Promise<VoiceRuntime> {
  const engines = await createEngines(config);
  const turnTracer = createOtelTurnTracer({ tracer: deps.tracer, revision: config.GOASSIST_REVISION });
  const avatar = createAvatarSetup({
    enabled: config.ENABLE_AVATAR,
    url: config.AUDIO2FACE_GRPC_URL,
    tls: config.AUDIO2FACE_TLS,
    tracer: deps.tracer,
    turnContext: (sessionId, turnId) => turnTracer.turnContext(sessionId, turnId),
  });
  const options = pipelineOptions(config);
  return {
    engines: runtimeEngines(engines, avatar, deps.logger),
    conversationFactory: (ctx) =>
      new VoiceConversation(ctx, {
        engines,
        options,
        metrics: deps.metrics,
        createResampler,
        tracer: turnTracer,
        ...(avatar.sinkFactory ? { avatar: avatar.sinkFactory } : {}),
      }),
  };
}

interface OptionalComponent {
  status(): ComponentStatus;
  init(): Promise<void>;
  close(): Promise<void>;
}

function runtimeEngines(engines: VoiceEngines, avatar: OptionalComponent, logger: Logger): RuntimeEngines {
  const required: Engine[] = [engines.vad, engines.asr, engines.llm, engines.tts];
  let initialised = false;
  return {
    components: (): Record<ComponentName, ComponentStatus> => ({
      vad: engines.vad.status(),
      asr: engines.asr.status(),
      llm: engines.llm.status(),
      tts: engines.tts.status(),
      avatar: avatar.status(),
    }),
    // A remote LLM that is down fails turns (and /health says degraded), but the pod can still serve
    // the rest; the engines that run in-process must be up.
    ready: () =>
      initialised &&
      [engines.vad, engines.asr, engines.tts].every((e) => e.status().state === 'up') &&
      engines.llm.status().state !== 'loading',
    async init() {
      const results = await Promise.allSettled([...required.map((e) => e.init()), avatar.init()]);
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      initialised = true;
      for (const err of failures) logger.error({ err }, 'engine failed to load');
      if (failures.length > 0) throw failures[0];
    },
    async close() {
      await Promise.allSettled([...required.map((e) => e.close()), avatar.close()]);
    },
  };
}
