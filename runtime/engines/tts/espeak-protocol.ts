/** Messages between the espeak-ng engine and its worker threads. */
export interface EspeakWorkerInit {
  voice: string;
  /** Words per minute. */
  rate: number;
  /** Int32Array[1] over a SharedArrayBuffer: the id of the request to stop at the next chunk. */
  cancel: SharedArrayBuffer;
}

export interface SynthRequest {
  id: number;
  text: string;
}

export type EspeakWorkerMessage =
  | { type: 'ready'; sampleRate: number }
  | { type: 'error'; message: string }
  | { type: 'chunk'; id: number; pcm: Int16Array }
  | { type: 'done'; id: number; error?: string };
