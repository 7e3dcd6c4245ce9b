/**
 * `make demo`: the runtime on embedded defaults (Silero VAD, pocketsphinx, the offline responder or your
 * LLM_BASE_URL, espeak-ng), with a local Audio2Face stand-in driving the web client's face, and the URL
 * to open. Ctrl-C drains the runtime and stops everything.
 *
 * DEMO_PORT (default 8000, next free port if taken), DEMO_AVATAR=0 to run without the avatar,
 * DEMO_TRACES=1 to trace every turn into a local OpenTelemetry Collector (its file output is printed).
 * Every runtime variable (LLM_BASE_URL, TTS_ENGINE, ...) passes through to the runtime.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startCollector, type Collector } from '../otelcol/collector.js';
import { startAudio2FaceStandIn, type Audio2FaceStandIn } from '../servers/audio2face.js';

const repo = join(import.meta.dirname, '..', '..');
const cache = process.env.GOASSIST_CACHE ?? join(homedir(), '.cache', 'goassist');
const say = (line: string): void => void process.stdout.write(`[demo] ${line}\n`);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '0.0.0.0' }, () => probe.close(() => resolve(true)));
  });
}

async function choosePort(wanted: number): Promise<number> {
  for (let port = wanted; port < wanted + 50; port += 1) if (await portIsFree(port)) return port;
  throw new Error(`no free port in ${wanted}..${wanted + 49}`);
}

async function waitReady(url: string, child: { exitCode: number | null }): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 180_000;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the runtime exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      const body = (await res.json()) as Record<string, unknown>;
      if (res.status === 200) return body;
      const state = JSON.stringify(body.components ?? body);
      if (state !== last) say(`waiting for engines: ${state}`);
      last = state;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the runtime did not become ready within 180 s');
}

async function main(): Promise<void> {
  const port = await choosePort(Number(process.env.DEMO_PORT ?? 8000));
  const withAvatar = process.env.DEMO_AVATAR !== '0';
  let avatar: Audio2FaceStandIn | undefined;
  if (withAvatar) {
    avatar = await startAudio2FaceStandIn();
    say(`Audio2Face stand-in (gRPC, the published ACE protos) on ${avatar.address}`);
  }
  mkdirSync(join(cache, 'demo'), { recursive: true });
  let collector: Collector | undefined;
  if (process.env.DEMO_TRACES === '1') {
    const spansPath = join(cache, 'demo', 'spans.jsonl');
    say('building/starting the OpenTelemetry Collector (the first build takes minutes)');
    collector = await startCollector({ output: spansPath });
    say(`traces: OTLP on ${collector.httpEndpoint}, spans written to ${spansPath} (one JSON line per batch)`);
  }
  const logPath = join(cache, 'demo', 'runtime.log');
  const log = createWriteStream(logPath, { flags: 'a' });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    ENVIRONMENT: process.env.ENVIRONMENT ?? 'development',
  };
  if (avatar) Object.assign(env, { ENABLE_AVATAR: 'true', AUDIO2FACE_GRPC_URL: avatar.address });
  if (collector) Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint });
  say(`starting the runtime on port ${port} (logs: ${logPath})`);
  const child = spawn(process.execPath, [join(repo, 'dist', 'runtime', 'main.js')], {
    cwd: repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only the demo, which forwards one SIGTERM per press.
    detached: true,
  });
  child.stdout.pipe(log);
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    process.stderr.write(chunk);
  });

  let stopping = false;
  const stop = (): void => {
    if (stopping) {
      say('closing live sessions now');
      child.kill('SIGTERM'); // the runtime's second signal cuts the drain short
      return;
    }
    stopping = true;
    say(
      'stopping: live sessions may finish (up to DRAIN_TIMEOUT_SECONDS, 30 s); Ctrl-C again to close them now',
    );
    child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => {
    void avatar?.close();
    void collector?.stop();
    log.end();
    if (!stopping) say(`the runtime exited with code ${code}; see ${logPath}`);
    process.exit(stopping ? 0 : (code ?? 1));
  });

  const url = `http://localhost:${port}`;
  const ready = await waitReady(url, child);
  const health = (await (await fetch(`${url}/health`)).json()) as {
    components?: Record<string, { engine?: string; offline?: boolean }>;
  };
  const engines = Object.entries(health.components ?? {})
    .map(([name, c]) => `${name}=${c.engine ?? '?'}${c.offline ? ' (offline responder)' : ''}`)
    .join(', ');
  say(`ready: ${JSON.stringify(ready.status)}; engines: ${engines}`);
  say('');
  say(`Open ${url}/ in Chrome or Firefox, allow the microphone, press Start and talk.`);
  say('Interrupt the agent while it speaks: it stops at once. Metrics: ' + `${url}/metrics`);
  say('Ctrl-C to stop.');
}

main().catch((err: unknown) => {
  process.stderr.write(`[demo] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
