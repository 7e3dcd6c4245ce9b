import fc from 'fast-check';
import { EngineError } from './types.js';
import { writeWav } from '../audio/wav.js';
import { Pcm16Decoder, WavStreamDecoder } from './wav.js';

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    parts.push(bytes.subarray(from, p));
    from = p;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

function decodeAll(bytes: Uint8Array, cuts: number[]): { samples: number[]; rate?: number } {
  const d = new WavStreamDecoder('tts');
  const samples: number[] = [];
  for (const part of splitAt(bytes, cuts)) samples.push(...d.push(part));
  d.end();
  return { samples, rate: d.format?.sampleRate };
}

function header(opts: {
  rate: number;
  channels: number;
  bits: number;
  tag: number;
  dataBytes: number;
  extra?: Uint8Array;
}): Uint8Array {
  const extra = opts.extra ?? new Uint8Array(0);
  const h = new Uint8Array(44 + extra.length);
  const v = new DataView(h.buffer);
  const text = (at: number, s: string): void => [...s].forEach((ch, i) => (h[at + i] = ch.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + extra.length + opts.dataBytes, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, opts.tag, true);
  v.setUint16(22, opts.channels, true);
  v.setUint32(24, opts.rate, true);
  v.setUint32(28, (opts.rate * opts.channels * opts.bits) / 8, true);
  v.setUint16(32, (opts.channels * opts.bits) / 8, true);
  v.setUint16(34, opts.bits, true);
  h.set(extra, 36);
  text(36 + extra.length, 'data');
  v.setUint32(40 + extra.length, opts.dataBytes, true);
  return h;
}

describe('WAV encode and streaming decode', () => {
  it('round-trips PCM16 whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (values, cuts) => {
          const wav = writeWav(Int16Array.from(values), 22050);
          const { samples, rate } = decodeAll(wav, cuts);
          expect(rate).toBe(22050);
          expect(samples).toEqual(values);
        },
      ),
    );
  });

  it('reads a streaming header with data size 0 until the body ends', () => {
    const pcm = new Uint8Array([1, 0, 2, 0, 255, 255]);
    const wav = new Uint8Array([
      ...header({ rate: 24000, channels: 1, bits: 16, tag: 1, dataBytes: 0 }),
      ...pcm,
    ]);
    expect(decodeAll(wav, [45, 47])).toEqual({ samples: [1, 2, -1], rate: 24000 });
  });

  it('stops at the declared data size and skips unknown chunks before data', () => {
    const list = new Uint8Array([...'LIST'].map((c) => c.charCodeAt(0)).concat([2, 0, 0, 0, 9, 9]));
    const h = header({ rate: 16000, channels: 1, bits: 16, tag: 1, dataBytes: 2, extra: list });
    const wav = new Uint8Array([...h, 5, 0, 7, 0]);
    expect(decodeAll(wav, [3, 40])).toEqual({ samples: [5], rate: 16000 });
  });

  it('decodes 32-bit float and downmixes stereo', () => {
    const body = new DataView(new ArrayBuffer(16));
    body.setFloat32(0, 0.5, true);
    body.setFloat32(4, -0.5, true);
    body.setFloat32(8, 1, true);
    body.setFloat32(12, 1, true);
    const wav = new Uint8Array([
      ...header({ rate: 24000, channels: 2, bits: 32, tag: 3, dataBytes: 16 }),
      ...new Uint8Array(body.buffer),
    ]);
    expect(decodeAll(wav, [50])).toEqual({ samples: [0, 32767], rate: 24000 });
  });

  it.each([
    ['not RIFF', new TextEncoder().encode('<html>not audio at all</html>')],
    ['8-bit PCM', header({ rate: 8000, channels: 1, bits: 8, tag: 1, dataBytes: 0 })],
    ['truncated header', writeWav(new Int16Array(4), 16000).subarray(0, 30)],
  ])('rejects %s as bad_response', (_name, bytes) => {
    const d = new WavStreamDecoder('tts');
    const run = (): void => {
      d.push(bytes);
      d.end();
    };
    expect(run).toThrow(EngineError);
    try {
      run();
    } catch (err) {
      expect(err).toMatchObject({ component: 'tts', code: 'bad_response' });
    }
  });
});

describe('Pcm16Decoder', () => {
  it('keeps a sample split across chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 100 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (values, cuts) => {
          const bytes = new Uint8Array(Int16Array.from(values).buffer);
          const d = new Pcm16Decoder();
          const out: number[] = [];
          for (const part of splitAt(bytes, cuts)) out.push(...d.push(part));
          expect(out).toEqual(values);
        },
      ),
    );
  });
});
