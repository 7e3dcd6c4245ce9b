/**
 * The avatar as the runtime assembles it: off (status `disabled`, no sink) unless ENABLE_AVATAR, else
 * the Audio2Face engine plus the per-turn sink factory the pipeline calls. The avatar is optional: its
 * `init()` fails only on configuration errors, and its state never counts towards readiness.
 */
import type { Context, Tracer } from '@opentelemetry/api';
import type { ComponentStatus } from '../types.js';
import { Audio2FaceEngine } from './audio2face.js';
import { createAvatarSinkFactory, type AvatarSinkFactory, type AvatarStreamStats } from './avatar-sink.js';

export interface AvatarSetupOptions {
  enabled: boolean;
  /** AUDIO2FACE_GRPC_URL (required when enabled; the config checks it). */
  url?: string;
  /** AUDIO2FACE_TLS */
  tls?: boolean;
  tracer?: Tracer;
  turnContext?: (sessionId: string, turnId: number) => Context | undefined;
  onStreamDone?: (stats: AvatarStreamStats) => void;
}

export interface AvatarSetup {
  status(): ComponentStatus;
  /** Undefined when the avatar is off: the pipeline then does no avatar work at all. */
  sinkFactory: AvatarSinkFactory | undefined;
  init(): Promise<void>;
  close(): Promise<void>;
}

const DISABLED: ComponentStatus = { state: 'disabled', engine: 'none' };

export function createAvatarSetup(opts: AvatarSetupOptions): AvatarSetup {
  if (!opts.enabled || !opts.url) {
    return {
      status: () => DISABLED,
      sinkFactory: undefined,
      init: async () => undefined,
      close: async () => undefined,
    };
  }
  const engine = new Audio2FaceEngine({ url: opts.url, tls: opts.tls ?? false });
  return {
    status: () => engine.status(),
    sinkFactory: createAvatarSinkFactory({
      engine,
      ...(opts.tracer ? { tracer: opts.tracer } : {}),
      ...(opts.turnContext ? { turnContext: opts.turnContext } : {}),
      ...(opts.onStreamDone ? { onStreamDone: opts.onStreamDone } : {}),
    }),
    init: () => engine.init(),
    close: () => engine.close(),
  };
}
