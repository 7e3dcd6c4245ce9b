import { createResampler, ResamplerError, StreamingResampler } from './resampler.js';

function sine(freq: number, rate: number, seconds: number, amplitude = 10000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

/** RMS of the middle half, away from the filter's start-up. */
function steadyRms(pcm: Int16Array): number {
  const from = Math.floor(pcm.length / 4);
  const to = Math.floor((pcm.length * 3) / 4);
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / (to - from));
}

describe('StreamingResampler', () => {
  it.each([
    [48000, 16000],
    [44100, 16000],
    [22050, 16000],
    [8000, 16000],
    [16000, 24000],
  ])('%i -> %i keeps a 1 kHz tone at its level and produces the right length', (from, to) => {
    const r = createResampler(from, to);
    const input = sine(1000, from, 1);
    const out = r.process(input);
    const all = out.length + r.flush().length;
    expect(Math.abs(all - to)).toBeLessThanOrEqual(1);
    const inRms = steadyRms(input);
    expect(steadyRms(out) / inRms).toBeGreaterThan(0.97);
    expect(steadyRms(out) / inRms).toBeLessThan(1.03);
  });

  it('removes content above the new Nyquist rate instead of aliasing it', () => {
    const r = new StreamingResampler(48000, 16000);
    const out = r.process(sine(11000, 48000, 1));
    // 11 kHz would alias to 5 kHz: it must be at least 50 dB down.
    expect(steadyRms(out) / steadyRms(sine(11000, 48000, 1))).toBeLessThan(10 ** (-50 / 20));
  });

  it('gives the same output whether fed at once or in odd-sized chunks', () => {
    const input = sine(440, 22050, 0.5);
    const whole = new StreamingResampler(22050, 16000).process(input);
    const r = new StreamingResampler(22050, 16000);
    const parts: number[] = [];
    let at = 0;
    const sizes = [1, 7, 100, 333, 2, 1024];
    for (let s = 0; at < input.length; s++) {
      const n = sizes[s % sizes.length]!;
      parts.push(...r.process(input.subarray(at, at + n)));
      at += n;
    }
    expect(parts).toEqual(Array.from(whole));
  });

  it('passes audio through unchanged at equal rates', () => {
    const input = sine(300, 16000, 0.1);
    expect(Array.from(createResampler(16000, 16000).process(input))).toEqual(Array.from(input));
  });

  it('rejects invalid rates with a typed error', () => {
    expect(() => createResampler(0, 16000)).toThrow(ResamplerError);
    expect(() => createResampler(16000.5, 16000)).toThrow(ResamplerError);
  });
});
