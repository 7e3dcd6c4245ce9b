/**
 * A local stand-in for NVIDIA ACE Audio2Face: a real gRPC server of
 * `nvidia_ace.services.a2f_controller.v1.A2FControllerService/ProcessAudioStream`, loaded from the same
 * protos as the runtime's client. It computes blendshapes from the audio it receives (JawOpen from the
 * RMS of each 1/30 s frame, mouth shapes from the zero-crossing rate, periodic blinks) and can be
 * scripted per call with delays, mid-stream errors and disconnects. Test harness, not product.
 *
 * CLI: `npx tsx hack/servers/audio2face.ts --port 52000 [--frame-delay-ms 0] [--header-delay-ms 0]`
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import {
  loadA2fControllerService,
  type A2fAnimationDataStream,
  type A2fAudioStream,
  type A2fAudioStreamHeader,
  type A2fServerStream,
} from '../../runtime/engines/avatar/a2f-proto.js';
import { A2F_BLENDSHAPE_NAMES, blendshapesOfFrame } from './audio2face-face.js';

export const A2F_FPS = 30;

export interface A2fCallScript {
  /** Wait before the animation header. */
  headerDelayMs: number;
  /** Wait before each animation data message (a slow Audio2Face). */
  frameDelayMs: number;
  /** After this many frames, end the call with an Audio2Face status ERROR. */
  errorAfterFrames?: number;
  /** After this many frames, end the call with this gRPC error code instead (e.g. INTERNAL). */
  grpcErrorAfterFrames?: number;
  /** After this many frames, the whole server drops its connections and stops (a crash). */
  disconnectAfterFrames?: number;
  /** Never answer anything (a hung Audio2Face). */
  silent?: boolean;
}

export const DEFAULT_SCRIPT: A2fCallScript = { headerDelayMs: 0, frameDelayMs: 0 };

export interface RecordedA2fCall {
  /** `stream_part` of every client message, in order. */
  received: string[];
  /** `stream_part` of every message the server wrote, in order. */
  sent: string[];
  header?: A2fAudioStreamHeader;
  audioBytes: number;
  /** The audio itself, when the stand-in was started with `recordAudio`. */
  audio: Buffer[];
  /** The client cancelled the call (e.g. barge-in). */
  cancelled: boolean;
  /** Request metadata (e.g. `traceparent`). */
  metadata: Record<string, string>;
  /** The server finished the call (OK or error). */
  finished: boolean;
  startedAt: number;
}

export interface Audio2FaceStandIn {
  /** `127.0.0.1:<port>`, usable as AUDIO2FACE_GRPC_URL. */
  address: string;
  port: number;
  calls: RecordedA2fCall[];
  /** Scripts for the next calls, taken in order; then `defaults`. */
  script: Partial<A2fCallScript>[];
  defaults: A2fCallScript;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Drops every connection and stops at once (a crash). */
  kill(): void;
  /** Listens again on the same port after `kill()`. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface Audio2FaceStandInOptions {
  port?: number;
  host?: string;
  /** Keep every call's audio in `calls[i].audio` (tests compare it with what the client heard). */
  recordAudio?: boolean;
  defaults?: Partial<A2fCallScript>;
}

export async function startAudio2FaceStandIn(
  opts: Audio2FaceStandInOptions = {},
): Promise<Audio2FaceStandIn> {
  const host = opts.host ?? '127.0.0.1';
  const calls: RecordedA2fCall[] = [];
  const handle: Audio2FaceStandIn = {
    address: '',
    port: 0,
    calls,
    script: [],
    defaults: { ...DEFAULT_SCRIPT, ...opts.defaults },
    waitFor,
    kill: () => server.forceShutdown(),
    restart: async () => {
      server = createServer();
      await bind(server, `${host}:${handle.port}`);
    },
    close: () => new Promise<void>((done) => server.tryShutdown(() => done())),
  };
  const createServer = (): grpc.Server => {
    const s = new grpc.Server();
    s.addService(loadA2fControllerService().service, {
      ProcessAudioStream: (call: A2fServerStream) => {
        const script = { ...handle.defaults, ...(handle.script.shift() ?? {}) };
        new StandInCall(call, script, calls, () => handle.kill(), opts.recordAudio ?? false).start();
      },
    });
    return s;
  };
  let server = createServer();
  handle.port = await bind(server, `${host}:${opts.port ?? 0}`);
  handle.address = `${host}:${handle.port}`;
  return handle;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((done, fail) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? fail(err) : done(port),
    ),
  );
}

class StandInCall {
  private readonly record: RecordedA2fCall;
  private sampleRate = 16_000;
  private pending = new Int16Array(0);
  private framesSent = 0;
  private samplesDone = 0;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly call: A2fServerStream,
    private readonly script: A2fCallScript,
    calls: RecordedA2fCall[],
    private readonly crash: () => void,
    private readonly recordAudio: boolean,
  ) {
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(call.metadata.getMap())) metadata[key] = String(value);
    this.record = {
      received: [],
      sent: [],
      audioBytes: 0,
      audio: [],
      cancelled: false,
      metadata,
      finished: false,
      startedAt: Date.now(),
    };
    calls.push(this.record);
  }

  start(): void {
    this.call.on('cancelled', () => {
      this.record.cancelled = true;
      this.stopped = true;
    });
    this.call.on('data', (msg: A2fAudioStream) => this.onMessage(msg));
    this.call.on('end', () => this.enqueue(async () => this.finishOk()));
    this.call.on('error', () => (this.stopped = true));
  }

  private onMessage(msg: A2fAudioStream): void {
    const part = msg.stream_part ?? 'none';
    this.record.received.push(part);
    if (this.stopped || this.script.silent) return;
    const first = this.record.received.length === 1;
    if (first !== (part === 'audio_stream_header'))
      return this.reject('the AudioStreamHeader must be the first message, and only once');
    if (this.record.received.includes('end_of_audio') && part !== 'end_of_audio')
      return this.reject('a message after EndOfAudio');
    if (part === 'audio_stream_header') return this.onHeader(msg.audio_stream_header ?? {});
    if (part === 'audio_with_emotion')
      return this.onAudio(msg.audio_with_emotion?.audio_buffer ?? Buffer.alloc(0));
    if (part === 'end_of_audio') return this.enqueue(async () => this.flushAndEnd());
    this.reject('an AudioStream message with no stream part');
  }

  private onHeader(header: A2fAudioStreamHeader): void {
    this.record.header = header;
    const audio = header.audio_header ?? {};
    const rate = audio.samples_per_second ?? 0;
    if (
      (audio.audio_format ?? 'AUDIO_FORMAT_PCM') !== 'AUDIO_FORMAT_PCM' ||
      audio.channel_count !== 1 ||
      audio.bits_per_sample !== 16
    ) {
      return this.reject('only PCM 16-bit mono audio is supported');
    }
    if (rate < 8000 || rate > 96_000) return this.reject(`unsupported sample rate ${rate}`);
    this.sampleRate = rate;
    this.enqueue(async () => {
      await sleep(this.script.headerDelayMs);
      this.send({
        animation_data_stream_header: {
          audio_header: audio,
          skel_animation_header: { blend_shapes: [...A2F_BLENDSHAPE_NAMES], joints: [] },
          start_time_code_since_epoch: Date.now() / 1000,
        },
      });
    });
  }

  private onAudio(buffer: Buffer): void {
    this.record.audioBytes += buffer.length;
    if (this.recordAudio) this.record.audio.push(Buffer.from(buffer));
    if (buffer.length % 2 !== 0) return this.reject('audio_buffer holds an odd number of bytes');
    const samples = new Int16Array(buffer.length / 2);
    for (let i = 0; i < samples.length; i++) samples[i] = buffer.readInt16LE(i * 2);
    const merged = new Int16Array(this.pending.length + samples.length);
    merged.set(this.pending);
    merged.set(samples, this.pending.length);
    const frameSamples = Math.round(this.sampleRate / A2F_FPS);
    let offset = 0;
    while (merged.length - offset >= frameSamples) {
      const frame = merged.slice(offset, offset + frameSamples);
      offset += frameSamples;
      this.enqueue(async () => this.sendFrame(frame));
    }
    this.pending = merged.slice(offset);
  }

  private async sendFrame(frame: Int16Array): Promise<void> {
    await sleep(this.script.frameDelayMs);
    const timeCode = this.samplesDone / this.sampleRate;
    this.samplesDone += frame.length;
    const audio = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    this.send({
      animation_data: {
        skel_animation: {
          blend_shape_weights: [{ time_code: timeCode, values: blendshapesOfFrame(frame, timeCode) }],
        },
        audio: { time_code: timeCode, audio_buffer: audio },
      },
    });
    this.framesSent += 1;
    this.afterFrame();
  }

  private afterFrame(): void {
    const n = this.framesSent;
    if (n === this.script.errorAfterFrames) {
      this.send({ status: { code: 'ERROR', message: 'scripted mid-stream failure' } });
      this.stopped = true;
      this.call.end();
      this.record.finished = true;
    } else if (n === this.script.grpcErrorAfterFrames) {
      this.stopped = true;
      this.record.finished = true;
      this.call.emit('error', { code: grpc.status.INTERNAL, details: 'scripted mid-stream gRPC error' });
    } else if (n === this.script.disconnectAfterFrames) {
      this.stopped = true;
      this.crash();
    }
  }

  private async flushAndEnd(): Promise<void> {
    if (this.pending.length > 0) {
      const rest = this.pending;
      this.pending = new Int16Array(0);
      await this.sendFrame(rest);
    }
    this.send({ event: { event_type: 'END_OF_A2F_AUDIO_PROCESSING' } });
    this.send({ status: { code: 'SUCCESS', message: 'Audio processing completed successfully' } });
  }

  private finishOk(): void {
    if (this.stopped || this.record.finished || this.script.silent) return;
    this.record.finished = true;
    this.call.end();
  }

  private reject(message: string): void {
    if (this.stopped) return;
    this.send({ status: { code: 'ERROR', message } });
    this.stopped = true;
    this.record.finished = true;
    this.call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: message });
  }

  private send(message: A2fAnimationDataStream): void {
    if (this.stopped) return;
    const part = Object.keys(message)[0] ?? 'none';
    this.record.sent.push(part);
    this.call.write(message);
  }

  /** Replies go out in order, each after the previous one (and its scripted delay). */
  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(() => (this.stopped ? undefined : step())).catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((done) => setTimeout(done, ms)) : Promise.resolve();
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const entry = process.argv[1];
if (entry && fileURLToPath(import.meta.url) === resolve(entry)) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '52000' },
      host: { type: 'string', default: '127.0.0.1' },
      'header-delay-ms': { type: 'string', default: '0' },
      'frame-delay-ms': { type: 'string', default: '0' },
    },
  });
  startAudio2FaceStandIn({
    port: Number(values.port),
    host: values.host,
    defaults: {
      headerDelayMs: Number(values['header-delay-ms']),
      frameDelayMs: Number(values['frame-delay-ms']),
    },
  })
    .then((handle) => {
      console.log(`Audio2Face stand-in listening on ${handle.address}`);
      const stop = (): void => void handle.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
