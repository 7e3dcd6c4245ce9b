import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createResampler } from '../../audio/resampler.js';
import { readWav } from '../../audio/wav.js';

const run = promisify(execFile);

/** Speech to warm a recogniser up with, spoken by Debian's `flite` at `sampleRate`. */
export async function fliteSpeech(text: string, sampleRate: number): Promise<Int16Array> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'goassist-prime-'));
  try {
    const file = path.join(dir, 'prime.wav');
    await run('flite', ['-voice', 'slt', '-t', text, '-o', file]);
    const wav = readWav(await readFile(file));
    if (wav.sampleRate === sampleRate) return wav.pcm;
    const r = createResampler(wav.sampleRate, sampleRate);
    const body = r.process(wav.pcm);
    const tail = r.flush();
    const out = new Int16Array(body.length + tail.length);
    out.set(body);
    out.set(tail, body.length);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
