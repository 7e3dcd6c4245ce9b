/**
 * NVIDIA ACE Audio2Face (A2F controller) avatar engine over gRPC.
 *
 * Optional by design: `init()` fails only on bad configuration, never because Audio2Face is down.
 * After a failed turn (or an unreachable server) the engine is `down`, turns are skipped without a
 * call, and a background probe reconnects with exponential backoff; the voice is never affected.
 */
import * as grpc from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import type { ComponentStatus } from '../types.js';
import {
  loadA2fControllerService,
  type A2fAudioStreamHeader,
  type A2fControllerClient,
} from './a2f-proto.js';
import { Audio2FaceTurn, type A2fTurnLimits } from './audio2face-turn.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './reconnect.js';
import type { AvatarEngine, AvatarTurn, AvatarTurnOptions, AvatarTurnResult } from './types.js';
import { parseGrpcTarget, type GrpcTarget } from './url.js';

export interface Audio2FaceOptions {
  /** AUDIO2FACE_GRPC_URL: `host:port`, `grpc://host:port` or `grpcs://host:port`. */
  url: string;
  /** AUDIO2FACE_TLS: TLS (system roots) for the `host:port` and `grpc://` forms. */
  tls?: boolean;
  /** Face parameters of the A2F model (e.g. `{ lowerFaceStrength: 1.2 }`). */
  faceParams?: Record<string, number>;
  blendshapeMultipliers?: Record<string, number>;
  blendshapeOffsets?: Record<string, number>;
  /** How long `init()` and each reconnect probe wait for the channel to connect. */
  connectTimeoutMs?: number;
  limits?: Partial<A2fTurnLimits>;
  backoff?: BackoffOptions;
}

export const DEFAULT_A2F_LIMITS: A2fTurnLimits = {
  maxQueuedAudioSeconds: 5,
  maxPendingEvents: 600,
  stallTimeoutMs: 3000,
};

type StatusListener = (status: ComponentStatus) => void;

export class Audio2FaceEngine implements AvatarEngine {
  readonly component = 'avatar' as const;
  readonly name = 'audio2face';
  private client: A2fControllerClient | undefined;
  private target: GrpcTarget | undefined;
  private state: ComponentStatus['state'] = 'loading';
  private detail: string | undefined;
  private readonly backoff: Backoff;
  private readonly closing = new AbortController();
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<StatusListener>();
  private readonly limits: A2fTurnLimits;

  constructor(private readonly opts: Audio2FaceOptions) {
    this.backoff = new Backoff(opts.backoff ?? DEFAULT_BACKOFF);
    this.limits = { ...DEFAULT_A2F_LIMITS, ...opts.limits };
  }

  async init(): Promise<void> {
    this.target = parseGrpcTarget(this.opts.url, this.opts.tls);
    const Service = loadA2fControllerService();
    const credentials = this.target.tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    this.client = new Service(this.target.address, credentials, {
      // The channel's own reconnects stay quick; our Backoff decides when turns use it again.
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 5000,
    });
    if (await this.connect()) this.markUp();
    else this.markDown(`cannot reach Audio2Face at ${this.target.address}`);
  }

  status(): ComponentStatus {
    return { state: this.state, engine: this.name, ...(this.detail ? { detail: this.detail } : {}) };
  }

  /** Called on every state change (for /health, metrics and telling clients). */
  onStatusChange(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  startTurn(opts: AvatarTurnOptions): AvatarTurn {
    const client = this.client;
    if (!client || this.state !== 'up' || this.closing.signal.aborted) return skippedTurn();
    const turn = new Audio2FaceTurn({
      open: () => client.ProcessAudioStream(traceMetadata()),
      header: this.header(opts.sampleRate),
      sampleRate: opts.sampleRate,
      signal: AbortSignal.any([opts.signal, this.closing.signal]),
      limits: this.limits,
    });
    void turn.done.then((result) => this.onTurnDone(result));
    return turn;
  }

  async close(): Promise<void> {
    this.closing.abort();
    clearTimeout(this.probeTimer);
    this.client?.close();
    this.client = undefined;
    this.setState('disabled', 'closed');
  }

  private header(sampleRate: number): A2fAudioStreamHeader {
    return {
      audio_header: {
        audio_format: 'AUDIO_FORMAT_PCM',
        channel_count: 1,
        samples_per_second: sampleRate,
        bits_per_sample: 16,
      },
      face_params: { float_params: this.opts.faceParams ?? {} },
      emotion_post_processing_params: {},
      blendshape_params: {
        bs_weight_multipliers: this.opts.blendshapeMultipliers ?? {},
        bs_weight_offsets: this.opts.blendshapeOffsets ?? {},
      },
    };
  }

  private onTurnDone(result: AvatarTurnResult): void {
    if (result.outcome === 'completed') this.backoff.succeed();
    // Only errors of the upstream's making take the avatar down; a full local queue or a bad
    // answer from a live server still counts, and the probe brings it back quickly.
    if (result.outcome === 'failed') this.markDown(result.error.message);
  }

  private connect(): Promise<boolean> {
    const client = this.client;
    if (!client) return Promise.resolve(false);
    const deadline = Date.now() + (this.opts.connectTimeoutMs ?? 2000);
    return new Promise((resolve) => client.waitForReady(deadline, (err) => resolve(!err)));
  }

  private markUp(): void {
    this.backoff.succeed();
    this.setState('up', undefined);
  }

  private markDown(detail: string): void {
    if (this.closing.signal.aborted) return;
    this.setState('down', detail);
    if (this.probeTimer) return;
    const delay = this.backoff.fail();
    this.probeTimer = setTimeout(() => void this.probe(), delay);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    this.probeTimer = undefined;
    if (this.closing.signal.aborted) return;
    if (await this.connect()) this.markUp();
    else this.markDown(this.detail ?? 'Audio2Face unreachable');
  }

  private setState(state: ComponentStatus['state'], detail: string | undefined): void {
    const changed = state !== this.state || detail !== this.detail;
    this.state = state;
    this.detail = detail;
    if (changed) for (const listener of this.listeners) listener(this.status());
  }
}

/** W3C trace context of the active span, so an instrumented Audio2Face joins the turn's trace. */
function traceMetadata(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  propagation.inject(context.active(), metadata, { set: (carrier, key, value) => carrier.set(key, value) });
  return metadata;
}

function skippedTurn(): AvatarTurn {
  return {
    push: () => undefined,
    end: () => undefined,
    events: async function* () {},
    done: Promise.resolve({ outcome: 'skipped', frames: 0 }),
  };
}
