/** Reading and writing mono PCM16 WAV files (fixtures, tests, debugging). */

export interface WavAudio {
  sampleRate: number;
  pcm: Int16Array;
}

export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

export function writeWav(pcm: Int16Array, sampleRate: number): Buffer {
  const dataBytes = pcm.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i]!, 44 + i * 2);
  return out;
}

/**
 * Parses a PCM16 WAV file, walking its chunks (tools put LIST and other chunks before `data`).
 * Multi-channel audio is mixed down to mono.
 */
export function readWav(buf: Uint8Array): WavAudio {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | undefined;
  let at = 12;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > b.length) throw new WavFormatError('truncated fmt chunk');
      fmt = {
        format: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        sampleRate: b.readUInt32LE(body + 4),
        bits: b.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
      // WAVE_FORMAT_EXTENSIBLE (0xfffe) carries PCM too; its subformat is checked by the bit depth.
      if ((fmt.format !== 1 && fmt.format !== 0xfffe) || fmt.bits !== 16) {
        throw new WavFormatError(
          `unsupported WAV encoding (format ${fmt.format}, ${fmt.bits} bits): need PCM16`,
        );
      }
      if (fmt.channels < 1) throw new WavFormatError('WAV has no channels');
      const end = Math.min(b.length, body + size);
      const frames = Math.floor((end - body) / (2 * fmt.channels));
      const pcm = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < fmt.channels; c++) sum += b.readInt16LE(body + (i * fmt.channels + c) * 2);
        pcm[i] = Math.round(sum / fmt.channels);
      }
      return { sampleRate: fmt.sampleRate, pcm };
    }
    at = body + size + (size % 2);
  }
  throw new WavFormatError('no data chunk');
}
