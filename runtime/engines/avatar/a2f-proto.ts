/**
 * Loads the Audio2Face controller protos (./proto, see their header) with @grpc/proto-loader and
 * describes the messages this runtime reads and writes, in proto-loader's plain-object form
 * (keepCase: field names exactly as in the .proto; oneofs: the set field's name under `stream_part`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../../package-root.js';

export const A2F_SERVICE_FILE = 'nvidia_ace.services.a2f_controller.v1.proto';
export const A2F_METHOD_PATH =
  '/nvidia_ace.services.a2f_controller.v1.A2FControllerService/ProcessAudioStream';

export interface A2fAudioHeader {
  audio_format?: 'AUDIO_FORMAT_PCM';
  channel_count?: number;
  samples_per_second?: number;
  bits_per_sample?: number;
}

export interface A2fAudioStreamHeader {
  audio_header?: A2fAudioHeader;
  face_params?: { float_params?: Record<string, number>; integer_params?: Record<string, number> };
  emotion_post_processing_params?: Record<string, number | boolean>;
  blendshape_params?: {
    bs_weight_multipliers?: Record<string, number>;
    bs_weight_offsets?: Record<string, number>;
  };
}

/** Client -> A2F: `nvidia_ace.controller.v1.AudioStream`. */
export interface A2fAudioStream {
  stream_part?: 'audio_stream_header' | 'audio_with_emotion' | 'end_of_audio';
  audio_stream_header?: A2fAudioStreamHeader;
  audio_with_emotion?: {
    audio_buffer?: Buffer;
    emotions?: { time_code?: number; emotion?: Record<string, number> }[];
  };
  end_of_audio?: Record<string, never>;
}

export interface A2fFloatArrayWithTimeCode {
  time_code?: number;
  values?: number[];
}

/** A2F -> client: `nvidia_ace.controller.v1.AnimationDataStream`. */
export interface A2fAnimationDataStream {
  stream_part?: 'animation_data_stream_header' | 'animation_data' | 'event' | 'status';
  animation_data_stream_header?: {
    audio_header?: A2fAudioHeader;
    skel_animation_header?: { blend_shapes?: string[]; joints?: string[] };
    start_time_code_since_epoch?: number;
  };
  animation_data?: {
    skel_animation?: { blend_shape_weights?: A2fFloatArrayWithTimeCode[] };
    audio?: { time_code?: number; audio_buffer?: Buffer };
  };
  event?: { event_type?: 'END_OF_A2F_AUDIO_PROCESSING'; metadata?: unknown };
  status?: { code?: 'SUCCESS' | 'INFO' | 'WARNING' | 'ERROR'; message?: string };
}

export type A2fClientStream = grpc.ClientDuplexStream<A2fAudioStream, A2fAnimationDataStream>;
export type A2fServerStream = grpc.ServerDuplexStream<A2fAudioStream, A2fAnimationDataStream>;

export interface A2fControllerClient extends grpc.Client {
  ProcessAudioStream(metadata: grpc.Metadata, options?: grpc.CallOptions): A2fClientStream;
}

export interface A2fControllerServiceDefinition {
  service: grpc.ServiceDefinition;
  new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ClientOptions,
  ): A2fControllerClient;
}

/** The proto directory, in the source tree (the image copies it there too). */
export function a2fProtoDir(): string {
  const dir = join(packageRoot(), 'runtime', 'engines', 'avatar', 'proto');
  if (!existsSync(join(dir, A2F_SERVICE_FILE))) throw new Error(`Audio2Face protos not found in ${dir}`);
  return dir;
}

let cached: A2fControllerServiceDefinition | undefined;

export function loadA2fControllerService(): A2fControllerServiceDefinition {
  if (cached) return cached;
  const definition = protoLoader.loadSync(A2F_SERVICE_FILE, {
    includeDirs: [a2fProtoDir()],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    nvidia_ace: {
      services: { a2f_controller: { v1: { A2FControllerService: A2fControllerServiceDefinition } } };
    };
  };
  cached = loaded.nvidia_ace.services.a2f_controller.v1.A2FControllerService;
  return cached;
}
