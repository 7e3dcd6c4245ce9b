import type { SileroLayout } from './silero-model.js';

/** Messages between the Silero engine and its worker thread. */
export interface WorkerInit {
  modelPath: string;
  intraOpThreads: number;
  sampleRate: number;
}

export interface WorkerReady {
  type: 'ready';
  layout: SileroLayout;
}

export interface WorkerFailed {
  type: 'error';
  message: string;
}

export interface BatchRequest {
  id: number;
  n: number;
  /** [n, context + frame] samples. */
  input: Float32Array;
  /** One [2, n, width] array per state tensor of the layout. */
  states: Float32Array[];
}

export interface BatchResult {
  type: 'result';
  id: number;
  probs?: Float32Array;
  states?: Float32Array[];
  error?: string;
}

export type WorkerMessage = WorkerReady | WorkerFailed | BatchResult;
