/**
 * Voice benchmark (`npm run bench:voice`): N concurrent clients talk to a real runtime process at
 * real-time pace through the full loop, barging in on some replies, and measure TTFA and barge-in
 * latency from their own clock; the runtime's own per-turn numbers are reported beside them, with the
 * runtime process's CPU, RSS, memory per session and event-loop lag.
 *
 * Two set-ups, reported apart:
 *   capacity  Silero VAD real; ASR, LLM and TTS behind the local OpenAI-compatible server with fixed,
 *             stated latencies, so what is left is the runtime's own cost. Levels 10, 50, 100 sessions.
 *   embedded  pocketsphinx + offline responder + espeak-ng in the runtime: the most concurrent talking
 *             sessions per core with TTFA p95 under 1 s.
 *
 * The runtime is the built one (`npm run build` first), as the image runs it.
 * Everything runs on 127.0.0.1; every loop is bounded (turns per client, timeouts) and every child
 * process is stopped at the end.
 *
 *   npm run bench:voice -- [--setup capacity|embedded|all] [--levels 10,50,100] [--turns 4]
 *                          [--embedded-levels 1,2,4,8,16,32] [--avatar] [--placement shared|nice|pin]
 *                          [--ramp-seconds 9] [--burst-ramp-seconds 2] [--json out.json]
 *
 * Arrivals: a client's turn cycle (question, reply, pause) takes about 9 s here, so clients start
 * evenly over --ramp-seconds (one cycle): at any moment the sessions are at every point of their
 * conversations, as in steady traffic. The largest capacity level then runs once more with every
 * client starting within --burst-ramp-seconds, so their first questions end together (a burst of
 * turns, as when a crowd joins at once); 0 skips it.
 *
 * --avatar runs the capacity levels a second time with the avatar on (the Audio2Face stand-in), and
 * reports what it adds per turn: TTFA beside the run without it, and the animation's timing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { speechPcm } from '../../fixtures/speech.js';
import { Mic } from './mic.js';
import { cpuSeconds, percentile, rssBytes } from './proc.js';
import { avatarLagOf, type AvatarLag } from './avatar-lag.js';
import { VoiceClient, createSession, speechEndMs } from './voice-client.js';

const STATED = { asrMs: 100, llmFirstTokenMs: 100, ttsFirstChunkMs: 50, endOfTurnMs: 512 } as const;
const CAPACITY_REPLY =
  'Sure, here it is. This reply is long enough to be interrupted, and it keeps on talking for a while.';
const TURN_TIMEOUT_MS = 30_000;

interface TurnSample {
  /** When the client finished saying its question (bench clock, ms): the turn rate comes from these. */
  at?: number;
  clientTtfaMs?: number;
  /** Client TTFA from the position the runtime reported as the end of speech (protocol clock). */
  clientProtocolTtfaMs?: number;
  serverTtfaMs?: number;
  clientBargeInMs?: number;
  serverBargeInMs?: number;
  /** The runtime's stage breakdown of the turn (turn_metrics). */
  stages?: { eot?: number; asr?: number; llm?: number; tts?: number };
  /** With the avatar on: when its animation arrived relative to the turn's audio. */
  avatar?: AvatarLag;
  outcome: string;
}

interface LevelResult {
  setup: string;
  sessions: number;
  /** Clients started evenly over this many seconds. */
  rampSeconds: number;
  turns: TurnSample[];
  failures: string[];
  cpuCores: number;
  benchCpuCores: number;
  baselineRssMb: number;
  peakRssMb: number;
  perSessionMb: number;
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  wallSeconds: number;
}

const children: ChildProcess[] = [];

/** The runtime as the image runs it: `npm run build` first (the bench says so when it is missing). */
const RUNTIME_MAIN = 'dist/runtime/main.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Extra node flags for the runtime process only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const RUNTIME_NODE_FLAGS = (process.env.BENCH_RUNTIME_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/**
 * Where the runtime runs relative to what stands in for the world (this process with its clients,
 * the engine servers), all on one machine:
 *   shared  everything on every CPU at the same priority
 *   nice    the world at nice 10: the runtime gets a CPU whenever it needs one, as a pod with its
 *           own CPU request would, and the world uses what is left
 *   pin     the runtime on CPU 0 alone (a 1-CPU pod), the world on the other CPUs
 */
type Placement = 'shared' | 'nice' | 'pin';
let placement: Placement = 'shared';
const WORLD_NICENESS = 10;

function placedCommand(role: 'runtime' | 'world', argv: string[]): [string, string[]] {
  const cores = os.availableParallelism();
  const prefix =
    placement === 'pin'
      ? ['taskset', '-c', role === 'runtime' ? '0' : `1-${cores - 1}`]
      : placement === 'nice' && role === 'world'
        ? ['nice', '-n', String(WORLD_NICENESS)]
        : [];
  const all = [...prefix, ...argv];
  return [all[0] as string, all.slice(1)];
}

function placeThisProcess(): void {
  if (placement === 'pin') {
    const cores = os.availableParallelism();
    if (cores < 2) throw new Error('--placement pin needs at least 2 CPUs');
    execFileSync('taskset', ['-a', '-p', '-c', `1-${cores - 1}`, String(process.pid)], { stdio: 'ignore' });
  }
  if (placement === 'nice') os.setPriority(WORLD_NICENESS);
}

const PLACEMENT_NOTE: Record<Placement, string> = {
  shared: 'runtime, clients and engine servers share every CPU at the same priority',
  nice: `clients and engine servers at nice ${WORLD_NICENESS}, the runtime at 0, all CPUs shared`,
  pin: 'runtime alone on CPU 0; clients and engine servers on the other CPUs',
};

function startChild(
  args: string[],
  env: Record<string, string>,
  nodeFlags: string[] = [],
  role: 'runtime' | 'world' = 'world',
): ChildProcess {
  // The built runtime (what the image runs) when it is asked for; TypeScript sources through tsx otherwise.
  const loader = args[0]?.endsWith('.js') ? [] : ['--import', 'tsx'];
  const [command, argv] = placedCommand(role, [process.execPath, ...nodeFlags, ...loader, ...args]);
  const child = spawn(command, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`child ${args[0]} exited ${code}: ${stderr}\n`);
  });
  children.push(child);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitReady(baseUrl: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${baseUrl}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`runtime at ${baseUrl} not ready after ${timeoutMs} ms`);
    await sleep(200);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function firstLoudMs(pcm: Int16Array, threshold = 600): number {
  const i = pcm.findIndex((v) => Math.abs(v) > threshold);
  return (Math.max(0, i) * 1000) / 16000;
}

interface Utterances {
  question: Int16Array;
  interruption: Int16Array;
}

/** One client: `turns` questions, barging in on every third reply when `bargeIn`. */
async function talker(
  baseUrl: string,
  utterances: Utterances,
  turns: number,
  bargeIn: boolean,
  samples: TurnSample[],
  failures: string[],
): Promise<void> {
  let client: VoiceClient | undefined;
  let mic: Mic | undefined;
  try {
    client = await VoiceClient.connect(await createSession(baseUrl));
    mic = new Mic(client);
    mic.start();
    let turnId = 1;
    for (let t = 0; t < turns; t++) {
      const c = client;
      const startPos = c.position;
      await mic.say(utterances.question);
      const speechEnd = startPos + speechEndMs(utterances.question);
      const interrupt = bargeIn && t % 3 === 1;
      if (interrupt) {
        await c.waitFor(
          () => c.firstAudioOf(turnId) !== undefined,
          `first audio of turn ${turnId}`,
          TURN_TIMEOUT_MS,
        );
        await sleep(500);
        const interruptPos = c.position + firstLoudMs(utterances.interruption);
        await mic.say(utterances.interruption);
        await c.waitFor(
          () => c.find('turn_metrics', (e) => e.turn_id === turnId) !== undefined,
          `turn ${turnId}`,
          TURN_TIMEOUT_MS,
        );
        const clear = c.find('clear', (e) => e.turn_id === turnId);
        const metrics = c.find('turn_metrics', (e) => e.turn_id === turnId);
        const sentAt = c.sentAt(interruptPos);
        samples.push({
          ...ttfaOf(c, turnId, speechEnd),
          outcome: String(metrics?.outcome),
          ...(clear && sentAt !== undefined ? { clientBargeInMs: clear.at - sentAt } : {}),
          ...(typeof metrics?.barge_in_ms === 'number' ? { serverBargeInMs: metrics.barge_in_ms } : {}),
        });
        // The interruption is the next user turn.
        turnId++;
        const nextEnd =
          interruptPos - firstLoudMs(utterances.interruption) + speechEndMs(utterances.interruption);
        await c.waitFor(
          () => c.find('turn_metrics', (e) => e.turn_id === turnId) !== undefined,
          `turn ${turnId}`,
          TURN_TIMEOUT_MS,
        );
        samples.push({
          ...ttfaOf(c, turnId, nextEnd),
          outcome: String(c.find('turn_metrics', (e) => e.turn_id === turnId)?.outcome),
        });
      } else {
        await c.waitFor(
          () => c.find('turn_metrics', (e) => e.turn_id === turnId) !== undefined,
          `turn ${turnId}`,
          TURN_TIMEOUT_MS,
        );
        samples.push({
          ...ttfaOf(c, turnId, speechEnd),
          outcome: String(c.find('turn_metrics', (e) => e.turn_id === turnId)?.outcome),
        });
      }
      // Wait for the reply to finish playing, then a short human pause.
      await c.waitFor(() => c.all('state').at(-1)?.state === 'listening', 'listening', TURN_TIMEOUT_MS);
      turnId++;
      await sleep(300 + Math.random() * 500);
    }
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
  } finally {
    mic?.stop();
    await client?.close().catch(() => undefined);
  }
}

function ttfaOf(c: VoiceClient, turnId: number, speechEndPos: number): Omit<TurnSample, 'outcome'> {
  const metrics = c.find('turn_metrics', (e) => e.turn_id === turnId);
  const first = c.firstAudioOf(turnId);
  const sentEnd = c.sentAt(speechEndPos);
  const reported =
    typeof metrics?.speech_end_audio_ms === 'number' ? c.sentAt(metrics.speech_end_audio_ms) : undefined;
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const avatar = avatarLagOf(c, turnId);
  return {
    ...(sentEnd !== undefined ? { at: sentEnd } : {}),
    ...(avatar ? { avatar } : {}),
    stages: {
      eot: num(metrics?.end_of_turn_ms),
      asr: num(metrics?.asr_ms),
      llm: num(metrics?.llm_ttft_ms),
      tts: num(metrics?.tts_first_chunk_ms),
    },
    ...(first && sentEnd !== undefined ? { clientTtfaMs: first.at - sentEnd } : {}),
    ...(first && reported !== undefined ? { clientProtocolTtfaMs: first.at - reported } : {}),
    ...(typeof metrics?.ttfa_ms === 'number' ? { serverTtfaMs: metrics.ttfa_ms } : {}),
  };
}

async function scrapeLag(baseUrl: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const value = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000 : 0;
  };
  return { p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') };
}

async function runLevel(
  setup: string,
  runtime: StartedRuntime,
  { sessions, rampSeconds }: Level,
  turns: number,
  bargeIn: boolean,
  utterances: Utterances,
): Promise<LevelResult> {
  const { baseUrl } = runtime;
  const runtimePid = runtime.child.pid as number;
  await sleep(1000);
  // The lag histogram restarts at each scrape: this one drops what happened before the level.
  await scrapeLag(baseUrl);
  const baselineRss = rssBytes(runtimePid);
  const cpuStart = cpuSeconds(runtimePid);
  const benchCpuStart = process.cpuUsage();
  const started = performance.now();
  let peakRss = baselineRss;
  const lag = { p99: 0, max: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, rssBytes(runtimePid));
      const l = await scrapeLag(baseUrl).catch(() => ({ p99: 0, max: 0 }));
      lag.p99 = Math.max(lag.p99, l.p99);
      lag.max = Math.max(lag.max, l.max);
      await sleep(1000);
    }
  })();
  const samples: TurnSample[] = [];
  const failures: string[] = [];
  const clients: Promise<void>[] = [];
  for (let i = 0; i < sessions; i++) {
    clients.push(talker(baseUrl, utterances, turns, bargeIn, samples, failures));
    await sleep((rampSeconds * 1000) / sessions);
  }
  await Promise.all(clients);
  sampling = false;
  await sampler;
  const wall = (performance.now() - started) / 1000;
  const benchCpu = process.cpuUsage(benchCpuStart);
  return {
    setup,
    sessions,
    rampSeconds,
    turns: samples,
    failures,
    cpuCores: (cpuSeconds(runtimePid) - cpuStart) / wall,
    benchCpuCores: (benchCpu.user + benchCpu.system) / 1e6 / wall,
    baselineRssMb: baselineRss / 2 ** 20,
    peakRssMb: peakRss / 2 ** 20,
    perSessionMb: (peakRss - baselineRss) / 2 ** 20 / sessions,
    loopLagP99Ms: lag.p99,
    loopLagMaxMs: lag.max,
    wallSeconds: wall,
  };
}

function clientTtfaP95(result: LevelResult): number | undefined {
  return percentile(
    result.turns.flatMap((t) => (t.clientTtfaMs === undefined ? [] : [t.clientTtfaMs])),
    95,
  );
}

function pcts(values: (number | undefined)[]): string {
  const v = values.filter((x): x is number => x !== undefined);
  if (v.length === 0) return '-';
  return [50, 95, 99].map((p) => Math.round(percentile(v, p) as number)).join(' / ');
}

function stagesP50(turns: TurnSample[]): string {
  const keys = ['eot', 'asr', 'llm', 'tts'] as const;
  return keys
    .map((k) => {
      const p = percentile(
        turns.flatMap((t) => (t.stages?.[k] === undefined ? [] : [t.stages[k] as number])),
        50,
      );
      return p === undefined ? '-' : String(Math.round(p));
    })
    .join(' / ');
}

/** Turns per second over the level (mean) and in its busiest second (peak), from when questions ended. */
function turnRate(turns: TurnSample[]): string {
  const at = turns.flatMap((t) => (t.at === undefined ? [] : [t.at])).sort((a, b) => a - b);
  if (at.length < 2) return '-';
  const mean = (at.length - 1) / (((at.at(-1) as number) - (at[0] as number)) / 1000);
  let peak = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while ((at[i] as number) - (at[j] as number) >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return `${mean.toFixed(1)} / ${peak}`;
}

function arrivals(r: LevelResult): string {
  return `${r.sessions} over ${r.rampSeconds} s`;
}

function table(results: LevelResult[], capacity: boolean): string {
  const head = capacity
    ? '| sessions started over | turns (failed) | turns/s mean / peak | TTFA client p50/p95/p99 ms | TTFA runtime p50/p95/p99 ms | overhead beyond stated engines p50/p95/p99 ms | stages p50 eot/asr/llm/tts ms | barge-in client p50/p95/p99 ms | barge-in runtime p50/p95/p99 ms | runtime CPU (cores) | RSS idle -> peak MB | MB/session | loop lag p99 / max ms |'
    : '| sessions started over | turns (failed) | turns/s mean / peak | TTFA client p50/p95/p99 ms | TTFA runtime p50/p95/p99 ms | stages p50 eot/asr/llm/tts ms | runtime CPU incl. decoders (cores) | RSS idle -> peak MB | MB/session | loop lag p99 / max ms |';
  const sep = head.replace(/[^|]+/g, '---');
  const stated = STATED.endOfTurnMs + STATED.asrMs + STATED.llmFirstTokenMs + STATED.ttsFirstChunkMs;
  const rows = results.map((r) => {
    const answered = r.turns.filter((t) => t.serverTtfaMs !== undefined);
    const failed = r.turns.filter((t) => t.outcome === 'failed').length + r.failures.length;
    const common = [
      arrivals(r),
      `${r.turns.length} (${failed})`,
      turnRate(r.turns),
      pcts(answered.map((t) => t.clientTtfaMs)),
      pcts(answered.map((t) => t.serverTtfaMs)),
    ];
    const tail = [
      r.cpuCores.toFixed(2),
      `${r.baselineRssMb.toFixed(0)} -> ${r.peakRssMb.toFixed(0)}`,
      Number.isNaN(r.perSessionMb) ? '-' : r.perSessionMb.toFixed(2),
      `${r.loopLagP99Ms.toFixed(1)} / ${r.loopLagMaxMs.toFixed(1)}`,
    ];
    const middle = capacity
      ? [
          pcts(answered.map((t) => (t.serverTtfaMs as number) - stated)),
          stagesP50(answered),
          pcts(r.turns.map((t) => t.clientBargeInMs)),
          pcts(r.turns.map((t) => t.serverBargeInMs)),
        ]
      : [stagesP50(answered)];
    return `| ${[...common, ...middle, ...tail].join(' | ')} |`;
  });
  return [head, sep, ...rows].join('\n');
}

/** What the avatar adds per turn: TTFA against the same level without it, and the animation's timing. */
function avatarTable(without: LevelResult[], withAvatar: LevelResult[]): string {
  const head =
    '| sessions started over | TTFA client p50/p95/p99 ms without -> with avatar | turns animated | first frame after first audio p50/p95/p99 ms | worst frame lateness vs its audio p50/p95/p99 ms |';
  const rows = withAvatar.map((r) => {
    const base = without.find((b) => b.sessions === r.sessions && b.rampSeconds === r.rampSeconds);
    const ttfa = (x: LevelResult | undefined): string =>
      x ? pcts(x.turns.filter((t) => t.serverTtfaMs !== undefined).map((t) => t.clientTtfaMs)) : '-';
    const animated = r.turns.filter((t) => t.avatar !== undefined);
    return `| ${[
      arrivals(r),
      `${ttfa(base)} -> ${ttfa(r)}`,
      `${animated.length} / ${r.turns.length}`,
      pcts(animated.map((t) => t.avatar?.firstFrameMs)),
      pcts(animated.map((t) => t.avatar?.maxLateMs)),
    ].join(' | ')} |`;
  });
  return [head, head.replace(/[^|]+/g, '---'), ...rows].join('\n');
}

async function capacitySetup(
  levels: Level[],
  turns: number,
  utterances: Utterances,
  withAvatar = false,
): Promise<LevelResult[]> {
  const setupName = withAvatar ? 'capacity+avatar' : 'capacity';
  let avatarEnv: Record<string, string> = {};
  let a2f: ChildProcess | undefined;
  if (withAvatar) {
    const a2fPort = await freePort();
    a2f = startChild(['hack/servers/audio2face.ts', '--port', String(a2fPort)], {});
    avatarEnv = { ENABLE_AVATAR: 'true', AUDIO2FACE_GRPC_URL: `127.0.0.1:${a2fPort}` };
  }
  const serverPort = await freePort();
  const server = startChild(
    [
      'hack/servers/openai-compatible.ts',
      '--port',
      String(serverPort),
      '--reply',
      CAPACITY_REPLY,
      '--first-token-ms',
      String(STATED.llmFirstTokenMs),
      '--inter-token-ms',
      '0',
      '--asr-latency-ms',
      String(STATED.asrMs),
      '--tts-latency-ms',
      String(STATED.ttsFirstChunkMs),
      '--transcript',
      'what time is it',
    ],
    {},
  );
  const llmUrl = `http://127.0.0.1:${serverPort}/v1`;
  const runtime = await startRuntime(Math.max(...levels.map((l) => l.sessions)), {
    LLM_BASE_URL: llmUrl,
    LLM_MODEL_NAME: 'local-model',
    ASR_ENGINE: 'openai',
    ASR_BASE_URL: llmUrl,
    TTS_ENGINE: 'openai',
    TTS_BASE_URL: llmUrl,
    ...avatarEnv,
  });
  try {
    return await runLevels(setupName, runtime, levels, turns, true, utterances);
  } finally {
    await stopChild(runtime.child);
    await stopChild(server);
    if (a2f) await stopChild(a2f);
  }
}

async function embeddedSetup(levels: Level[], turns: number, utterances: Utterances): Promise<LevelResult[]> {
  const runtime = await startRuntime(Math.max(...levels.map((l) => l.sessions)), {});
  try {
    // Levels stop once client TTFA p95 reaches 1 s: the question is how many sessions stay under it.
    return await runLevels('embedded', runtime, levels, turns, false, utterances, (result) => {
      const p95 = clientTtfaP95(result);
      return p95 === undefined || p95 >= 1000;
    });
  } finally {
    await stopChild(runtime.child);
  }
}

interface StartedRuntime {
  child: ChildProcess;
  baseUrl: string;
}

/** The built runtime on a free loopback port, with the bench's settings and the set-up's engines. */
async function startRuntime(maxLevel: number, engineEnv: Record<string, string>): Promise<StartedRuntime> {
  const port = await freePort();
  const child = startChild(
    [RUNTIME_MAIN],
    {
      ENVIRONMENT: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      MAX_CONCURRENT_SESSIONS: String(maxLevel + 10),
      RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '0',
      DRAIN_TIMEOUT_SECONDS: '0',
      ...engineEnv,
    },
    RUNTIME_NODE_FLAGS,
    'runtime',
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitReady(baseUrl);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { child, baseUrl };
}

/** A level: how many clients, started evenly over how many seconds. */
interface Level {
  sessions: number;
  rampSeconds: number;
}

async function runLevels(
  setup: string,
  runtime: StartedRuntime,
  levels: Level[],
  turns: number,
  bargeIn: boolean,
  utterances: Utterances,
  stopAfter: (result: LevelResult) => boolean = () => false,
): Promise<LevelResult[]> {
  const results: LevelResult[] = [];
  for (const level of levels) {
    process.stderr.write(`${setup}: ${level.sessions} sessions over ${level.rampSeconds} s ...\n`);
    const result = await runLevel(setup, runtime, level, turns, bargeIn, utterances);
    // Memory per session only means something for a level larger than any before it in this runtime.
    if (results.some((r) => r.sessions >= level.sessions)) result.perSessionMb = Number.NaN;
    results.push(result);
    if (stopAfter(result)) break;
  }
  return results;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      setup: { type: 'string', default: 'all' },
      levels: { type: 'string', default: '10,50,100' },
      'embedded-levels': { type: 'string', default: '1,2,4,8,12,16,24,32,40,48' },
      turns: { type: 'string', default: '4' },
      avatar: { type: 'boolean', default: false },
      json: { type: 'string' },
      placement: { type: 'string', default: 'shared' },
      'ramp-seconds': { type: 'string', default: '9' },
      'burst-ramp-seconds': { type: 'string', default: '2' },
    },
  });
  const seconds = (name: 'ramp-seconds' | 'burst-ramp-seconds'): number => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < 0 || v > 120) throw new Error(`--${name} must be 0 to 120 seconds`);
    return v;
  };
  const rampSeconds = seconds('ramp-seconds');
  const burstRampSeconds = seconds('burst-ramp-seconds');
  const turns = Math.min(20, Math.max(1, Number(values.turns)));
  const utterances: Utterances = {
    question: await speechPcm('what time is it'),
    interruption: await speechPcm('turn on the kitchen lights'),
  };
  if (!existsSync(RUNTIME_MAIN)) throw new Error(`${RUNTIME_MAIN} is missing: run \`npm run build\` first`);
  const cores = os.availableParallelism();
  const placementArg = String(values.placement);
  if (!['shared', 'nice', 'pin'].includes(placementArg))
    throw new Error(`--placement must be shared, nice or pin, not ${placementArg}`);
  placement = placementArg as Placement;
  placeThisProcess();
  const out: Record<string, unknown> = { cores, stated: STATED, turnsPerClient: turns, placement };
  const report: string[] = [
    `machine: ${cores} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}`,
    `placement (${placement}): ${PLACEMENT_NOTE[placement]}`,
  ];
  if (values.setup === 'capacity' || values.setup === 'all') {
    const sessions = String(values.levels)
      .split(',')
      .map(Number)
      .filter((n) => n > 0 && n <= 500);
    const levels: Level[] = sessions.map((n) => ({ sessions: n, rampSeconds }));
    if (burstRampSeconds > 0 && sessions.length > 0)
      levels.push({ sessions: Math.max(...sessions), rampSeconds: burstRampSeconds });
    const results = await capacitySetup(levels, turns, utterances);
    out.capacity = results;
    report.push(
      '',
      `Capacity: Silero VAD in the runtime; ASR ${STATED.asrMs} ms, LLM first token ${STATED.llmFirstTokenMs} ms, ` +
        `TTS first chunk ${STATED.ttsFirstChunkMs} ms from the local OpenAI-compatible server; end-of-turn rule ` +
        `${STATED.endOfTurnMs} ms (500 ms in 32 ms frames). Overhead = runtime TTFA minus their sum. ` +
        `Clients start evenly over ${rampSeconds} s (steady traffic)` +
        (burstRampSeconds > 0
          ? `; the last row starts them all within ${burstRampSeconds} s (a burst).`
          : '.'),
      '',
      table(results, true),
    );
    if (values.avatar) {
      const withAvatar = await capacitySetup(levels, turns, utterances, true);
      out.capacityAvatar = withAvatar;
      report.push(
        '',
        'Capacity with the avatar on (Audio2Face stand-in, same engines):',
        '',
        table(withAvatar, true),
      );
      report.push('', avatarTable(results, withAvatar));
    }
  }
  if (values.setup === 'embedded' || values.setup === 'all') {
    const levels: Level[] = String(values['embedded-levels'])
      .split(',')
      .map(Number)
      .filter((n) => n > 0 && n <= 64)
      .map((n) => ({ sessions: n, rampSeconds }));
    const results = await embeddedSetup(levels, Math.min(turns, 3), utterances);
    out.embedded = results;
    const passing = results.filter((r) => {
      const p95 = clientTtfaP95(r);
      return p95 !== undefined && p95 < 1000 && r.failures.length === 0;
    });
    const best = passing.at(-1)?.sessions ?? 0;
    report.push(
      '',
      `Embedded: pocketsphinx + offline responder + espeak-ng + Silero in the runtime (bench clients on the same ${cores} cores).`,
      '',
      table(results, false),
      '',
      `Most concurrent talking sessions with client TTFA p95 < 1 s: ${best} (${(best / cores).toFixed(1)} per core).`,
    );
  }
  const text = report.join('\n');
  process.stdout.write(`${text}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 2));
}

async function cleanup(): Promise<void> {
  await Promise.all(children.map((c) => stopChild(c)));
}

process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
main()
  .then(cleanup)
  .catch(async (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    await cleanup();
    process.exit(1);
  });
