/**
 * Streaming polyphase resampler with a Kaiser-windowed sinc low-pass. The rate ratio is reduced
 * to L/M (up by L, down by M); the prototype filter cuts off below the lower of the two Nyquist
 * rates, so downsampling does not alias. State (the last input samples and the output phase)
 * is kept across chunks, so chunk boundaries leave no clicks.
 */

const ZERO_CROSSINGS = 8; // per side, at the cut-off frequency
const KAISER_BETA = 8.6; // about 90 dB stop-band
const ROLLOFF = 0.94; // cut-off as a fraction of the lower Nyquist rate

export class ResamplerError extends Error {
  override readonly name = 'ResamplerError';
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** phases[p][k] is the coefficient applied to input sample (i - k) for output phase p. */
function designPhases(up: number, down: number): { phases: Float32Array[]; taps: number } {
  const cutoff = ROLLOFF / Math.max(up, down); // cycles per upsampled sample * 2
  const taps = Math.ceil((2 * ZERO_CROSSINGS * Math.max(up, down)) / (up * ROLLOFF));
  const length = taps * up;
  const centre = (length - 1) / 2;
  const i0beta = besselI0(KAISER_BETA);
  const proto = new Float64Array(length);
  for (let m = 0; m < length; m++) {
    const x = (m - centre) * cutoff;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = (2 * m) / (length - 1) - 1;
    const window = besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0beta;
    proto[m] = sinc * window;
  }
  const phases: Float32Array[] = [];
  for (let p = 0; p < up; p++) {
    const phase = new Float32Array(taps);
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += proto[p + k * up]!;
    // Each phase sums to one, so DC passes at unit gain whatever the phase.
    for (let k = 0; k < taps; k++) phase[k] = proto[p + k * up]! / sum;
    phases.push(phase);
  }
  return { phases, taps };
}

export class StreamingResampler {
  readonly fromRate: number;
  readonly toRate: number;
  private readonly up: number;
  private readonly down: number;
  private readonly phases: Float32Array[];
  private readonly taps: number;
  /** The last `taps - 1` input samples, then the new chunk. */
  private history: Float32Array;
  /** Global index of history[0]. */
  private historyStart: number;
  /**
   * Global input position (times `up`) of the newest sample under the filter for the next output.
   * It starts one group delay in, so output sample n lines up with input time n * down / up.
   */
  private nextT: number;

  constructor(fromRate: number, toRate: number) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new ResamplerError(`sample rates must be positive integers (got ${fromRate} -> ${toRate})`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    if (this.up > 4096) throw new ResamplerError(`rate ratio ${fromRate}:${toRate} is too fine to resample`);
    const design = designPhases(this.up, this.down);
    this.phases = design.phases;
    this.taps = design.taps;
    this.history = new Float32Array(this.taps - 1);
    this.historyStart = -(this.taps - 1);
    this.nextT = this.startT();
  }

  private startT(): number {
    return Math.round(((this.taps - 1) / 2) * this.up);
  }

  /** Input samples the filter delays the signal by. */
  get delaySamples(): number {
    return (this.taps - 1) / 2;
  }

  processFloat(input: Float32Array): Float32Array {
    if (this.up === this.down) return input.slice();
    const buf = new Float32Array(this.history.length + input.length);
    buf.set(this.history, 0);
    buf.set(input, this.history.length);
    const end = this.historyStart + buf.length; // global index one past the last sample
    const count = Math.max(0, Math.ceil((end * this.up - this.nextT) / this.down));
    const out = new Float32Array(count);
    let t = this.nextT;
    let n = 0;
    const { up, down, taps, phases } = this;
    for (; n < count; n++) {
      const i = Math.floor(t / up);
      const phase = phases[t - i * up]!;
      let acc = 0;
      let j = i - this.historyStart;
      for (let k = 0; k < taps; k++, j--) acc += phase[k]! * buf[j]!;
      out[n] = acc;
      t += down;
    }
    this.nextT = t;
    const keep = taps - 1;
    this.history = buf.slice(buf.length - keep);
    this.historyStart = end - keep;
    return out;
  }

  process(pcm: Int16Array): Int16Array {
    const f = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) f[i] = pcm[i]!;
    const y = this.processFloat(f);
    const out = new Int16Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const s = Math.round(y[i]!);
      out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
    }
    return out;
  }

  /** Pushes out the samples still inside the filter (the tail of the stream) and resets. */
  flush(): Int16Array {
    const tail = this.process(new Int16Array(Math.ceil(this.delaySamples)));
    this.reset();
    return tail;
  }

  reset(): void {
    this.history = new Float32Array(this.taps - 1);
    this.historyStart = -(this.taps - 1);
    this.nextT = this.startT();
  }
}

export function createResampler(fromRate: number, toRate: number): StreamingResampler {
  return new StreamingResampler(fromRate, toRate);
}
