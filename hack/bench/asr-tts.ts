/**
 * Embedded ASR and TTS costs on this machine:
 * - pocketsphinx: decoder CPU per second of audio (from /proc of the decoder process) and the
 *   latency from finish() to the transcript, with audio pushed at real-time pace or all at once;
 * - espeak-ng: first-chunk latency and CPU per second of audio.
 *   npx tsx hack/bench/asr-tts.ts
 */
import { readFile } from 'node:fs/promises';
import { PocketsphinxAsr } from '../../runtime/engines/asr/pocketsphinx.js';
import { EspeakTts } from '../../runtime/engines/tts/espeak.js';
import { speechPcm } from '../fixtures/speech.js';

const TICK = 100; // USER_HZ on Linux

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK; // utime + stime
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function benchPocketsphinx(): Promise<void> {
  const asr = new PocketsphinxAsr();
  await asr.init();
  const pid = asr.pids()[0]!;
  const texts = [
    'what time is it',
    'turn on the kitchen lights please',
    'what is the weather like today in the city',
    'set a timer for ten minutes',
  ];
  const utterances = await Promise.all(texts.map((t) => speechPcm(t)));
  for (const mode of ['realtime', 'burst'] as const) {
    const latencies: number[] = [];
    let audio = 0;
    const cpu0 = await cpuSeconds(pid);
    for (let round = 0; round < 3; round++) {
      for (const pcm of utterances) {
        const s = asr.stream({ signal: new AbortController().signal });
        for (let i = 0; i < pcm.length; i += 512) {
          s.push(pcm.subarray(i, i + 512));
          if (mode === 'realtime') await sleep(32);
        }
        const t0 = performance.now();
        await s.finish();
        latencies.push(performance.now() - t0);
        audio += pcm.length / 16000;
      }
    }
    const cpu = (await cpuSeconds(pid)) - cpu0;
    console.log(
      `pocketsphinx ${mode.padEnd(8)}: ${latencies.length} utterances, ${audio.toFixed(1)} s audio, ` +
        `decoder CPU ${(cpu / audio).toFixed(3)} s per s of audio, finish->transcript ` +
        `p50 ${pct(latencies, 50).toFixed(0)} ms p95 ${pct(latencies, 95).toFixed(0)} ms`,
    );
  }
  await asr.close();
}

async function benchEspeak(): Promise<void> {
  const tts = new EspeakTts();
  await tts.init();
  const clauses = [
    'Sure, I can help with that.',
    'The weather today is sunny with a light breeze from the west.',
    'It is a quarter past three in the afternoon.',
  ];
  for (const c of clauses) for await (const _ of tts.synthesize(c, { signal: new AbortController().signal })); // warm-up
  const firsts: number[] = [];
  let audio = 0;
  const cpu0 = process.cpuUsage();
  for (let round = 0; round < 5; round++) {
    for (const c of clauses) {
      const t0 = performance.now();
      let first = true;
      for await (const chunk of tts.synthesize(c, { signal: new AbortController().signal })) {
        if (first) firsts.push(performance.now() - t0);
        first = false;
        audio += chunk.pcm.length / chunk.sampleRate;
      }
    }
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `espeak-ng: ${firsts.length} clauses, ${audio.toFixed(1)} s audio, first chunk p50 ${pct(firsts, 50).toFixed(1)} ms ` +
      `p95 ${pct(firsts, 95).toFixed(1)} ms, CPU ${((cpu.user + cpu.system) / 1e6 / audio).toFixed(4)} s per s of audio`,
  );
  await tts.close();
}

await benchPocketsphinx();
await benchEspeak();
