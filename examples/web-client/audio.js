// Microphone capture (AudioWorklet, downsampled to 16 kHz PCM16) and gapless playback of agent audio.

export const TARGET_RATE = 16000;

/** Streaming decimator: averages the input over each output period (a box low-pass), keeping phase across blocks. */
export class Downsampler {
  constructor(fromRate, toRate) {
    this.ratio = fromRate / toRate;
    this.pos = 0; // input position (fractional) of the next output sample's window start
    this.acc = 0;
    this.count = 0;
  }

  /** Float32 samples in [-1, 1] at `fromRate` -> Int16Array at `toRate`. */
  process(input) {
    if (this.ratio === 1) return floatToPcm16(input);
    const out = [];
    for (let i = 0; i < input.length; i++) {
      this.acc += input[i];
      this.count++;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        this.pos -= this.ratio;
        out.push(this.acc / this.count);
        this.acc = 0;
        this.count = 0;
      }
    }
    return floatToPcm16(out);
  }
}

export function floatToPcm16(samples) {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    pcm[i] = s < 0 ? s * 0x8000 : s * 0x7fff;
  }
  return pcm;
}

/** Starts the microphone; `onPcm(Int16Array)` receives 16 kHz PCM16 blocks of about 32 ms. */
export async function startMicrophone(onPcm) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  const context = new AudioContext();
  await context.audioWorklet.addModule(new URL('mic-worklet.js', import.meta.url));
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, 'mic-capture');
  const downsampler = new Downsampler(context.sampleRate, TARGET_RATE);
  node.port.onmessage = (event) => onPcm(downsampler.process(event.data));
  source.connect(node);
  // The graph only runs nodes that lead to the destination; the worklet outputs silence (gain 0 anyway).
  const mute = context.createGain();
  mute.gain.value = 0;
  node.connect(mute).connect(context.destination);
  await context.resume();
  return {
    sampleRate: TARGET_RATE,
    async stop() {
      for (const track of stream.getTracks()) track.stop();
      await context.close();
    },
  };
}

/** Plays PCM16 chunks back to back without gaps; `clear()` drops everything scheduled at once. */
export class AudioPlayer {
  constructor() {
    this.context = new AudioContext();
    this.nextTime = 0;
    this.sources = new Set();
    this.samplesPlayed = 0;
    this.chunksScheduled = 0;
  }

  async resume() {
    await this.context.resume();
  }

  /** Schedules a chunk after the previous one; returns its start time on the AudioContext clock. */
  play(pcm, sampleRate) {
    const buffer = this.context.createBuffer(1, pcm.length, sampleRate);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    // A small safety margin when starting from silence absorbs network jitter; later chunks follow exactly.
    const start = Math.max(this.nextTime, this.context.currentTime + 0.04);
    source.start(start);
    this.nextTime = start + buffer.duration;
    this.chunksScheduled++;
    this.sources.add(source);
    source.onended = () => {
      this.sources.delete(source);
      this.samplesPlayed += pcm.length;
    };
    return start;
  }

  /** Seconds of audio scheduled but not yet played. */
  buffered() {
    return Math.max(0, this.nextTime - this.context.currentTime);
  }

  clear() {
    for (const source of this.sources) {
      source.onended = null;
      source.stop();
    }
    this.sources.clear();
    this.nextTime = 0;
  }

  async close() {
    this.clear();
    await this.context.close();
  }
}
