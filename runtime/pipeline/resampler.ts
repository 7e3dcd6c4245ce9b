/**
 * The pipeline's view of a streaming resampler (runtime/audio provides the implementation; index.ts
 * wires it). One instance per stream keeps the filter state across chunks.
 */
export interface StreamingResampler {
  process(pcm: Int16Array): Int16Array;
  /** The samples still held back at the end of the stream. */
  flush(): Int16Array;
}

export type ResamplerFactory = (fromRate: number, toRate: number) => StreamingResampler;
