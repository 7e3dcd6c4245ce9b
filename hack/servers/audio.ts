import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { delay, write } from './common.js';

/**
 * Real audio for the local TTS servers: espeak-ng speech (the Debian CLI) or a deterministic
 * tone whose length follows the text, in the exact byte format each API declares.
 */
export type AudioSource = 'tone' | 'espeak';

export interface AudioStreamOptions {
  /** Audio per written chunk. */
  chunkMs: number;
  /** Wait between two chunks (0 = as fast as the socket takes them). */
  interChunkDelayMs: number;
  /** End the response after the last chunk (default true). */
  end?: boolean;
}

/** What one scripted answer of a local TTS server can vary. */
export interface AudioStep {
  /** Before the first audio byte. */
  latencyMs: number;
  chunkMs: number;
  interChunkDelayMs: number;
  audio: AudioSource;
  /** Answer with this HTTP status and the API's error body instead of audio. */
  status?: number;
  /** Send headers, never audio. */
  stall?: boolean;
  /** Cut the connection after this many audio chunks. */
  dropAfterChunks?: number;
}

/** Milliseconds of tone per character of text: about the pace of speech. */
const TONE_MS_PER_CHAR = 60;

export async function synthesize(text: string, sampleRate: number, source: AudioSource): Promise<Int16Array> {
  if (source === 'espeak') return resample(await espeak(text), 22050, sampleRate);
  return tone(Math.max(200, text.length * TONE_MS_PER_CHAR), sampleRate);
}

/** A 220 Hz tone with 10 ms fades, at a third of full scale. */
export function tone(durationMs: number, sampleRate: number, hz = 220): Int16Array {
  const n = Math.round((durationMs / 1000) * sampleRate);
  const fade = Math.round(0.01 * sampleRate);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = Math.round(Math.sin((2 * Math.PI * hz * i) / sampleRate) * env * 0.33 * 32767);
  }
  return out;
}

/** espeak-ng's own 22050 Hz output for `text`. */
export function espeak(text: string): Promise<Int16Array> {
  return new Promise((resolve, reject) => {
    const child = spawn('espeak-ng', ['--stdout', '-v', 'en', '--', text], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const parts: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => parts.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`espeak-ng exited with ${code}`));
      const wav = Buffer.concat(parts);
      const at = wav.indexOf('data');
      if (at < 0) return reject(new Error('espeak-ng wrote no WAV data chunk'));
      const body = wav.subarray(at + 8);
      const samples = new Int16Array(Math.floor(body.length / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = body.readInt16LE(i * 2);
      resolve(samples);
    });
  });
}

/** Linear-interpolation resampling; good enough for test audio. */
export function resample(input: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return input;
  const n = Math.round((input.length * to) / from);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const pos = (i * from) / to;
    const j = Math.floor(pos);
    const a = input[j] ?? 0;
    const b = input[j + 1] ?? a;
    out[i] = Math.round(a + (b - a) * (pos - j));
  }
  return out;
}

export function pcm16Bytes(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, i * 2);
  return out;
}

/** IEEE float32 little-endian bytes, as numpy float arrays are written by scipy. */
export function float32Bytes(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length * 4);
  for (let i = 0; i < samples.length; i++) out.writeFloatLE(samples[i]! / 32768, i * 4);
  return out;
}

/**
 * A canonical 44-byte WAV header. `dataBytes` 0 is what streaming servers write when they
 * cannot know the length (Python's `wave` module with no frames yet, as xtts-streaming-server does).
 */
export function wavHeader(
  sampleRate: number,
  dataBytes: number,
  encoding: 'pcm16' | 'float32' = 'pcm16',
): Buffer {
  const bytesPerSample = encoding === 'pcm16' ? 2 : 4;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(encoding === 'pcm16' ? 1 : 3, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * bytesPerSample, 28);
  h.writeUInt16LE(bytesPerSample, 32);
  h.writeUInt16LE(bytesPerSample * 8, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Writes `bytes` in chunks of `chunkMs` of audio; stops early when the client goes. */
export async function streamBytes(
  res: ServerResponse,
  bytes: Buffer,
  bytesPerSecond: number,
  opts: AudioStreamOptions,
): Promise<void> {
  const chunkBytes = Math.max(2, Math.round((bytesPerSecond * opts.chunkMs) / 1000 / 2) * 2);
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    if (at > 0 && !(await delay(opts.interChunkDelayMs, res))) return;
    if (!(await write(res, bytes.subarray(at, at + chunkBytes)))) return;
  }
  if (opts.end !== false) res.end();
}

/**
 * streamBytes, or with `dropAfterChunks` set: that many chunks, then the connection is cut instead
 * of the response ending (an upstream dying mid-answer).
 */
export async function streamOrCut(
  res: ServerResponse,
  bytes: Buffer,
  bytesPerSecond: number,
  step: AudioStreamOptions & { dropAfterChunks?: number },
): Promise<void> {
  if (step.dropAfterChunks === undefined) return streamBytes(res, bytes, bytesPerSecond, step);
  const chunkBytes = Math.round((bytesPerSecond * step.chunkMs) / 1000);
  await streamBytes(res, bytes.subarray(0, chunkBytes * step.dropAfterChunks), bytesPerSecond, {
    ...step,
    end: false,
  });
  res.socket?.destroySoon();
}
