/** Conversions between PCM16 samples and floats in [-1, 1]. */

export function int16ToFloat32(
  pcm: Int16Array,
  out: Float32Array = new Float32Array(pcm.length),
): Float32Array {
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i]! / 32768;
  return out;
}

export function float32ToInt16(
  samples: Float32Array,
  out: Int16Array = new Int16Array(samples.length),
): Int16Array {
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]! * 32768;
    out[i] = s >= 32767 ? 32767 : s <= -32768 ? -32768 : Math.round(s);
  }
  return out;
}

/** Joins chunks into one array. */
export function concatInt16(chunks: readonly Int16Array[]): Int16Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Int16Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Little-endian bytes of PCM16 samples (a copy, so the caller may reuse `pcm`). */
export function int16ToBytes(pcm: Int16Array): Buffer {
  const out = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i]!, i * 2);
  return out;
}

/** Root mean square of PCM16 samples, as a fraction of full scale. */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / pcm.length) / 32768;
}
