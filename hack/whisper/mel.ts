/**
 * Whisper's log-mel filterbank: triangular filters on the Slaney mel scale with Slaney area
 * normalisation (as librosa.filters.mel(sr, n_fft, n_mels) computes them), [nMels x (nFft/2+1)].
 */
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

function hzToMel(f: number): number {
  return f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOG_STEP : f / F_SP;
}

function melToHz(m: number): number {
  return m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (m - MIN_LOG_MEL)) : F_SP * m;
}

export function melFilters(sampleRate: number, nFft: number, nMels: number): Float32Array {
  const bins = Math.floor(nFft / 2) + 1;
  const fftFreqs = Array.from({ length: bins }, (_, k) => (k * sampleRate) / nFft);
  const lo = hzToMel(0);
  const hi = hzToMel(sampleRate / 2);
  const hz = Array.from({ length: nMels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (nMels + 1)));
  const out = new Float32Array(nMels * bins);
  for (let i = 0; i < nMels; i++) {
    const enorm = 2 / (hz[i + 2]! - hz[i]!);
    for (let k = 0; k < bins; k++) {
      const lower = (fftFreqs[k]! - hz[i]!) / (hz[i + 1]! - hz[i]!);
      const upper = (hz[i + 2]! - fftFreqs[k]!) / (hz[i + 2]! - hz[i + 1]!);
      out[i * bins + k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
  }
  return out;
}
