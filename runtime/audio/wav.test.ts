import { readWav, WavFormatError, writeWav } from './wav.js';
import { float32ToInt16, int16ToFloat32 } from './pcm.js';

describe('wav', () => {
  it('round-trips PCM16 mono', () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    const back = readWav(writeWav(pcm, 22050));
    expect(back.sampleRate).toBe(22050);
    expect(Array.from(back.pcm)).toEqual(Array.from(pcm));
  });

  it('skips chunks before data and mixes stereo down', () => {
    const body = Buffer.alloc(8);
    body.writeInt16LE(100, 0);
    body.writeInt16LE(300, 2);
    body.writeInt16LE(-10, 4);
    body.writeInt16LE(-30, 6);
    const fmt = Buffer.alloc(24);
    fmt.write('fmt ', 0, 'ascii');
    fmt.writeUInt32LE(16, 4);
    fmt.writeUInt16LE(1, 8);
    fmt.writeUInt16LE(2, 10);
    fmt.writeUInt32LE(8000, 12);
    fmt.writeUInt32LE(32000, 16);
    fmt.writeUInt16LE(4, 20);
    fmt.writeUInt16LE(16, 22);
    const list = Buffer.concat([
      Buffer.from('LIST'),
      Buffer.from([3, 0, 0, 0]),
      Buffer.from('abc'),
      Buffer.alloc(1),
    ]);
    const data = Buffer.concat([Buffer.from('data'), Buffer.from([8, 0, 0, 0]), body]);
    const riff = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVE'), fmt, list, data]);
    const wav = readWav(riff);
    expect(wav.sampleRate).toBe(8000);
    expect(Array.from(wav.pcm)).toEqual([200, -20]);
  });

  it('rejects what it cannot read with a typed error', () => {
    expect(() => readWav(Buffer.from('hello world, not a wav'))).toThrow(WavFormatError);
    const float = writeWav(new Int16Array(4), 16000);
    float.writeUInt16LE(3, 20);
    expect(() => readWav(float)).toThrow(/PCM16/);
  });
});

describe('pcm', () => {
  it('converts int16 <-> float32 and clamps', () => {
    const f = int16ToFloat32(Int16Array.from([0, 16384, -32768]));
    expect(Array.from(f)).toEqual([0, 0.5, -1]);
    expect(Array.from(float32ToInt16(Float32Array.from([0.5, 2, -2])))).toEqual([16384, 32767, -32768]);
  });
});
