import { EngineError, type ComponentName } from './types.js';

/**
 * Incremental decoders for audio bodies read over HTTP: bytes become samples as they arrive
 * (a chunk boundary may split a sample or the header). Whole-file WAV read/write is runtime/audio/wav.ts.
 */

/** Raw little-endian PCM16 mono bytes to samples, keeping a split sample for the next chunk. */
export class Pcm16Decoder {
  private carry: number | undefined;

  push(bytes: Uint8Array): Int16Array {
    let input = bytes;
    if (this.carry !== undefined && bytes.length > 0) {
      input = new Uint8Array(bytes.length + 1);
      input[0] = this.carry;
      input.set(bytes, 1);
      this.carry = undefined;
    }
    const even = input.length & ~1;
    if (even < input.length) this.carry = input[even];
    return pcm16Copy(input, even);
  }
}

export interface WavFormat {
  sampleRate: number;
  channels: number;
  /** 1 = integer PCM, 3 = IEEE float. */
  encoding: 'pcm16' | 'float32';
}

/** Upper bound on the bytes before the `data` chunk; more is not a WAV stream we accept. */
const MAX_HEADER_BYTES = 64 * 1024;
/** A `data` size of 0 or 0xFFFFFFFF means "until the stream ends" (streaming servers cannot know it). */
const STREAMING_SIZES = new Set([0, 0xffffffff]);

/**
 * Incremental WAV decoder: feed it the body as it arrives, get mono PCM16 samples out.
 * Accepts 16-bit integer and 32-bit float PCM, any channel count (downmixed to mono).
 */
export class WavStreamDecoder {
  private header: Uint8Array = new Uint8Array(0);
  private fmt: WavFormat | undefined;
  private remaining = Infinity;
  private pending: Uint8Array = new Uint8Array(0);

  constructor(private readonly component: ComponentName) {}

  get format(): WavFormat | undefined {
    return this.fmt;
  }

  push(bytes: Uint8Array): Int16Array {
    if (!this.fmt) {
      this.header = concat(this.header, bytes);
      const body = this.parseHeader();
      if (body === undefined) return new Int16Array(0);
      bytes = body;
    }
    if (this.remaining !== Infinity) {
      bytes = bytes.subarray(0, Math.min(bytes.length, this.remaining));
      this.remaining -= bytes.length;
    }
    return this.decode(bytes);
  }

  /** Checks the stream ended as a WAV should; returns nothing (a trailing partial frame is dropped). */
  end(): void {
    if (!this.fmt) throw this.bad('response ended before a complete WAV header');
  }

  private parseHeader(): Uint8Array | undefined {
    const h = this.header;
    if (h.length < 12) return this.checkSize();
    if (ascii(h, 0) !== 'RIFF' || ascii(h, 8) !== 'WAVE')
      throw this.bad('response is not a RIFF/WAVE stream');
    const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
    let pos = 12;
    let fmt: WavFormat | undefined;
    while (pos + 8 <= h.length) {
      const id = ascii(h, pos);
      const size = view.getUint32(pos + 4, true);
      if (id === 'data') {
        if (!fmt) throw this.bad('WAV data chunk before its fmt chunk');
        this.fmt = fmt;
        this.remaining = STREAMING_SIZES.has(size) ? Infinity : size;
        this.header = new Uint8Array(0);
        return h.subarray(pos + 8);
      }
      if (pos + 8 + size > h.length) return this.checkSize();
      if (id === 'fmt ') fmt = this.parseFmt(view, pos + 8, size);
      pos += 8 + size + (size % 2);
    }
    return this.checkSize();
  }

  private parseFmt(view: DataView, at: number, size: number): WavFormat {
    if (size < 16) throw this.bad('WAV fmt chunk too short');
    let tag = view.getUint16(at, true);
    const channels = view.getUint16(at + 2, true);
    const sampleRate = view.getUint32(at + 4, true);
    const bits = view.getUint16(at + 14, true);
    if (tag === 0xfffe && size >= 26) tag = view.getUint16(at + 24, true); // WAVE_FORMAT_EXTENSIBLE sub-format
    if (channels < 1 || sampleRate < 1000 || sampleRate > 384000)
      throw this.bad(`WAV format out of range (${channels} ch, ${sampleRate} Hz)`);
    if (tag === 1 && bits === 16) return { sampleRate, channels, encoding: 'pcm16' };
    if (tag === 3 && bits === 32) return { sampleRate, channels, encoding: 'float32' };
    throw this.bad(`unsupported WAV encoding (format ${tag}, ${bits} bit)`);
  }

  private checkSize(): undefined {
    if (this.header.length > MAX_HEADER_BYTES) throw this.bad('no WAV data chunk in the first 64 KiB');
    return undefined;
  }

  private decode(bytes: Uint8Array): Int16Array {
    const fmt = this.fmt!;
    const frameBytes = (fmt.encoding === 'pcm16' ? 2 : 4) * fmt.channels;
    const all = this.pending.length ? concat(this.pending, bytes) : bytes;
    const frames = Math.floor(all.length / frameBytes);
    this.pending = all.slice(frames * frameBytes);
    if (fmt.encoding === 'pcm16' && fmt.channels === 1) return pcm16Copy(all, frames * frameBytes);
    const view = new DataView(all.buffer, all.byteOffset, frames * frameBytes);
    const out = new Int16Array(frames);
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < fmt.channels; c++) {
        const at = f * frameBytes + c * (frameBytes / fmt.channels);
        sum +=
          fmt.encoding === 'pcm16' ? view.getInt16(at, true) : clampFloat(view.getFloat32(at, true)) * 32767;
      }
      out[f] = Math.round(sum / fmt.channels);
    }
    return out;
  }

  private bad(message: string): EngineError {
    return new EngineError(this.component, 'bad_response', message);
  }
}

function clampFloat(x: number): number {
  if (Number.isNaN(x)) return 0;
  return x > 1 ? 1 : x < -1 ? -1 : x;
}

/**
 * The first `byteLength` bytes as samples, copied into a buffer of their own (aligned, and body chunks
 * may be views of pooled memory); the hosts we run on are little-endian, as PCM16LE is.
 */
function pcm16Copy(bytes: Uint8Array, byteLength: number): Int16Array {
  return new Int16Array(Uint8Array.prototype.slice.call(bytes, 0, byteLength).buffer);
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
