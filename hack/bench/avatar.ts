/**
 * What the avatar costs a turn: agent speech streams to Audio2Face (the local stand-in, same process)
 * at real-time pace in 20 ms chunks, as the pacer sends it, for many sessions at once. Prints the time
 * from the first audio to the first animation frame, the worst lag of a frame behind its audio, the
 * time spent inside push() (the only avatar work on the audio path) and the CPU per audio second.
 *   npx tsx hack/bench/avatar.ts [seconds-per-turn] [stand-in frame delay ms]
 */
import { Audio2FaceEngine } from '../../runtime/engines/avatar/audio2face.js';
import { createAvatarSinkFactory, type AvatarStreamStats } from '../../runtime/engines/avatar/avatar-sink.js';
import { speechPcm } from '../fixtures/speech.js';
import { startAudio2FaceStandIn } from '../servers/audio2face.js';

const seconds = Number(process.argv[2] ?? 3);
const frameDelayMs = Number(process.argv[3] ?? 0);
const RATE = 16_000;
const CHUNK = RATE / 50;

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const speech = await speechPcm(
    'Here is the weather for today: sunny in the morning, with light rain later on.',
  );
  const audio = new Int16Array(Math.round(RATE * seconds));
  for (let i = 0; i < audio.length; i++) audio[i] = speech[i % speech.length]!;
  const server = await startAudio2FaceStandIn({ defaults: { frameDelayMs } });
  const engine = new Audio2FaceEngine({ url: server.address });
  await engine.init();
  console.log(
    `avatar bench: ${seconds} s of speech per turn, stand-in frame delay ${frameDelayMs} ms, pushes every 20 ms`,
  );
  console.log(
    'sessions | first frame ms p50/p95 | max lag ms p50/p95 | push() us per chunk p50/p99 | cpu ms per audio s',
  );
  for (const sessions of [1, 10, 50]) {
    const stats: AvatarStreamStats[] = [];
    const pushUs: number[] = [];
    const factory = createAvatarSinkFactory({ engine, onStreamDone: (s) => stats.push(s) });
    const cpu0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: sessions }, async (_, n) => {
        const sink = factory({
          sessionId: `s${n}`,
          turnId: 1,
          sampleRate: RATE,
          signal: new AbortController().signal,
          sendEvent: () => undefined,
          reportError: (err) => console.error(err),
        })!;
        const start = performance.now();
        for (let i = 0, k = 0; i < audio.length; i += CHUNK, k++) {
          const t0 = performance.now();
          sink.push(audio.subarray(i, i + CHUNK));
          pushUs.push((performance.now() - t0) * 1000);
          const due = start + (k + 1) * 20;
          await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        }
        sink.end();
      }),
    );
    while (stats.length < sessions) await new Promise((r) => setTimeout(r, 10));
    const cpu = process.cpuUsage(cpu0);
    const first = stats.flatMap((s) => (s.firstFrameMs !== undefined ? [s.firstFrameMs] : []));
    const lag = stats.flatMap((s) => (s.maxLagMs !== undefined ? [s.maxLagMs] : []));
    const failed = stats.filter((s) => s.outcome !== 'completed').length;
    console.log(
      [
        String(sessions).padStart(8),
        `${pct(first, 50).toFixed(1)}/${pct(first, 95).toFixed(1)}`.padStart(22),
        `${pct(lag, 50).toFixed(1)}/${pct(lag, 95).toFixed(1)}`.padStart(18),
        `${pct(pushUs, 50).toFixed(0)}/${pct(pushUs, 99).toFixed(0)}`.padStart(27),
        ((cpu.user + cpu.system) / 1000 / (sessions * seconds)).toFixed(2).padStart(18),
        failed ? `  (${failed} not completed)` : '',
      ].join(' |'),
    );
  }
  await engine.close();
  await server.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
