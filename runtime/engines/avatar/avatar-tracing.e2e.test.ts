/**
 * End to end through the real runtime (fastify, WebSocket, the turn pipeline with Silero VAD, and ASR,
 * LLM and TTS over a local OpenAI-compatible server speaking with espeak-ng), with the avatar on against the
 * Audio2Face stand-in and tracing on against a real OpenTelemetry Collector:
 * - blendshapes reach the WebSocket client with times inside the audio they animate, computed from
 *   exactly the audio the client got;
 * - a barge-in cancels the Audio2Face call and marks the turn's trace;
 * - the span tree of a spoken turn and of a barge-in turn, with context propagated into the LLM's
 *   HTTP call and the Audio2Face gRPC call;
 * - with Audio2Face down the voice is byte for byte the same, and the client is told.
 */
import { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import { startCollector, type CollectedSpan, type Collector } from '../../../hack/otelcol/collector.js';
import { speechPcm } from '../../../hack/fixtures/speech.js';
import { startOpenAiCompatible, type OpenAiServer } from '../../../hack/servers/openai-compatible.js';
import { startAudio2FaceStandIn, type Audio2FaceStandIn } from '../../../hack/servers/audio2face.js';
import { loadConfig } from '../../config/index.js';
import { createVoiceRuntime } from '../../pipeline/index.js';
import { createLogger } from '../../server/logger.js';
import { createRuntime, type Runtime } from '../../server/runtime.js';
import { httpClient } from '../../server/test/http-client.js';

const SETUP_TIMEOUT_MS = 20 * 60_000; // the first run builds the collector
const REPLY =
  'Sure. Today will be sunny and warm, with a light breeze in the afternoon and clear skies tonight.';
const OUTPUT_RATE = 24_000;
const INPUT_RATE = 16_000;

type Message =
  { kind: 'event'; event: { type: string } & Record<string, unknown> } | { kind: 'audio'; pcm: Buffer };

let collector: Collector;
let a2f: Audio2FaceStandIn;
let llm: OpenAiServer;
let runtime: Runtime;
let baseUrl: string;
let utterance: Int16Array;

beforeAll(async () => {
  collector = await startCollector();
  a2f = await startAudio2FaceStandIn({ recordAudio: true });
  // LLM, ASR and TTS over the OpenAI-compatible local server (TTS: espeak-ng speech, streamed).
  llm = await startOpenAiCompatible({
    chat: { reply: REPLY, interTokenDelayMs: 5 },
    transcription: { text: 'what is the weather like today' },
    speech: { audio: 'espeak' },
  });
  utterance = await speechPcm('what is the weather like today');
  const config = loadConfig({
    ENVIRONMENT: 'test',
    SESSION_SECRET: 'test-session-secret-0123456789abcdef',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LLM_BASE_URL: `${llm.url}/v1`,
    LLM_API_KEY: 'sk-test-SECRET-KEY',
    ASR_ENGINE: 'openai',
    TTS_ENGINE: 'openai',
    ENABLE_AVATAR: 'true',
    AUDIO2FACE_GRPC_URL: a2f.address,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
    GOASSIST_REVISION: 'rev-e2e',
    DRAIN_TIMEOUT_SECONDS: '0',
  });
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const logger = createLogger({ level: 'warn', revision: 'rev-e2e' }, quiet);
  runtime = await createRuntime(config, createVoiceRuntime, { logger, processMetrics: false });
  baseUrl = await runtime.listen();
  const http = httpClient(baseUrl);
  const deadline = Date.now() + 120_000;
  while ((await http('/readyz')).statusCode !== 200) {
    if (Date.now() > deadline) throw new Error('runtime not ready');
    await new Promise((r) => setTimeout(r, 100));
  }
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await runtime?.drain();
  await llm?.close();
  await a2f?.close();
  await collector?.stop();
});

interface Session {
  ws: WebSocket;
  messages: Message[];
  events(type: string): ({ type: string } & Record<string, unknown>)[];
  /** The agent audio between a turn's audio_start and audio_end (segment 0). */
  turnAudio(turnId: number): Buffer;
  send(pcm: Int16Array): Promise<void>;
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

async function openSession(): Promise<Session> {
  const res = await httpClient(baseUrl)({ method: 'POST', url: '/sessions', payload: {} });
  expect(res.statusCode).toBe(201);
  const { token, stream_url } = res.json() as { token: string; stream_url: string };
  const ws = new WebSocket(stream_url, ['goassist.v1', `goassist.token.${token}`]);
  const messages: Message[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) messages.push({ kind: 'audio', pcm: data as Buffer });
    else messages.push({ kind: 'event', event: JSON.parse(String(data)) });
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'start', sample_rate: INPUT_RATE }));
  let silenceTimer: NodeJS.Timeout | undefined;
  const session: Session = {
    ws,
    messages,
    events: (type) => messages.flatMap((m) => (m.kind === 'event' && m.event.type === type ? [m.event] : [])),
    turnAudio(turnId) {
      const parts: Buffer[] = [];
      let inTurn = false;
      for (const m of messages) {
        if (m.kind === 'event' && m.event.type === 'audio_start' && m.event.turn_id === turnId)
          inTurn = !m.event.resumed;
        else if (m.kind === 'event' && m.event.type === 'audio_end' && m.event.turn_id === turnId)
          inTurn = false;
        else if (m.kind === 'audio' && inTurn) parts.push(m.pcm);
      }
      return Buffer.concat(parts);
    },
    /** Real-time pace in 32 ms frames, then the microphone goes on with silence. */
    async send(pcm) {
      clearInterval(silenceTimer);
      for (let i = 0; i < pcm.length; i += 512) {
        ws.send(Buffer.from(pcm.slice(i, i + 512).buffer));
        await new Promise((r) => setTimeout(r, 32));
      }
      silenceTimer = setInterval(() => ws.send(Buffer.alloc(1024)), 32);
    },
    async waitFor(predicate, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${what}: ${JSON.stringify(session.events('state').map((e) => e.state))}`,
          );
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close() {
      clearInterval(silenceTimer);
      ws.close();
    },
  };
  return session;
}

const turnEnded = (s: Session, turnId: number) => () =>
  s.events('turn_metrics').some((e) => e.turn_id === turnId);

interface BlendshapesEvent {
  turn_id: number;
  segment: number;
  names: string[];
  frames: { t: number; w: number[] }[];
}

function traceOf(spans: CollectedSpan[], sessionId: string, turnId: number) {
  const turn = spans.find(
    (s) =>
      s.name === 'turn' &&
      s.attributes['goassist.session.id'] === sessionId &&
      s.attributes['goassist.turn.id'] === turnId,
  );
  if (!turn) return undefined;
  const inTrace = spans.filter((s) => s.traceId === turn.traceId);
  return { turn, spans: inTrace, byName: (name: string) => inTrace.filter((s) => s.name === name) };
}

describe('avatar and tracing through the runtime', () => {
  let first: Session;
  let firstTurnAudio: Buffer;

  it('streams blendshapes aligned with the agent audio of a spoken turn, and traces the turn', async () => {
    first = await openSession();
    const sessionId = first.events('session')[0]?.session_id as string;
    const callsBefore = a2f.calls.length;
    await first.send(utterance);
    await first.waitFor(turnEnded(first, 1), 'turn 1 to end');
    expect(first.events('turn_metrics')[0]).toMatchObject({ turn_id: 1, outcome: 'completed' });

    firstTurnAudio = first.turnAudio(1);
    const samples = firstTurnAudio.length / 2;
    expect(samples).toBeGreaterThan(OUTPUT_RATE); // over a second of speech

    // Audio2Face got exactly the audio the client got: header first, chunks, end of audio.
    const call = a2f.calls[callsBefore]!;
    await a2f.waitFor(() => call.finished, 10_000);
    expect(call.received[0]).toBe('audio_stream_header');
    expect(call.received.at(-1)).toBe('end_of_audio');
    expect(call.header?.audio_header?.samples_per_second).toBe(OUTPUT_RATE);
    expect(Buffer.concat(call.audio).equals(firstTurnAudio)).toBe(true);
    expect(call.sent[0]).toBe('animation_data_stream_header');
    expect(call.sent.slice(-2)).toEqual(['event', 'status']);

    // Every frame reached the client, inside the audio's span, in order.
    const expectedFrames = Math.ceil(samples / (OUTPUT_RATE / 30));
    const frames = () =>
      (first.events('blendshapes') as unknown as BlendshapesEvent[])
        .filter((e) => e.turn_id === 1)
        .flatMap((e) => e.frames);
    await first.waitFor(() => frames().length === expectedFrames, 'all blendshape frames', 5_000);
    const events = first.events('blendshapes') as unknown as BlendshapesEvent[];
    expect(events.every((e) => e.segment === 0 && e.names.includes('JawOpen'))).toBe(true);
    const times = frames().map((f) => f.t);
    expect(times[0]).toBe(0);
    expect(Math.max(...times)).toBeLessThan(samples / OUTPUT_RATE);
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!)).toBe(true);
    // The jaw moves with the voice: open somewhere, closed somewhere.
    const jaw = events[0]!.names.indexOf('JawOpen');
    const jawValues = frames().map((f) => f.w[jaw]!);
    expect(Math.max(...jawValues)).toBeGreaterThan(0.3);
    expect(Math.min(...jawValues)).toBeLessThan(0.05);

    // The trace of the turn in the collector.
    await runtime.tracing.forceFlush();
    const stages = ['end_of_turn_wait', 'asr', 'llm', 'tts', 'audio_send', 'avatar', 'POST'];
    const spans = await collector.waitForSpans((all) => {
      const t = traceOf(all, sessionId, 1);
      return t !== undefined && stages.every((n) => t.byName(n).length > 0);
    });
    const trace = traceOf(spans, sessionId, 1)!;
    expect(trace.turn.parentSpanId).toBe('');
    expect(trace.turn.attributes).toMatchObject({
      'goassist.revision': 'rev-e2e',
      'goassist.turn.outcome': 'completed',
      'goassist.turn.barge_in': false,
    });
    expect(trace.turn.attributes['goassist.turn.ttfa_ms']).toEqual(expect.any(Number));
    for (const name of ['end_of_turn_wait', 'asr', 'llm', 'tts', 'audio_send', 'avatar']) {
      expect(trace.byName(name)).toHaveLength(1);
      expect(trace.byName(name)[0]!.parentSpanId).toBe(trace.turn.spanId);
    }
    const llmSpan = trace.byName('llm')[0]!;
    expect(llmSpan.events.map((e) => e.name)).toContain('first_token');
    expect(trace.byName('tts')[0]!.events.map((e) => e.name)).toContain('first_chunk');
    // The engines' HTTP calls are CLIENT spans under their stage, and carried the trace upstream.
    const post = trace.byName('POST').find((p) => p.parentSpanId === llmSpan.spanId)!;
    expect(post.attributes['url.full']).toBe(`${llm.url}/v1/chat/completions`);
    const ttsPost = trace.byName('POST').find((p) => p.parentSpanId === trace.byName('tts')[0]!.spanId);
    expect(ttsPost?.attributes['url.full']).toBe(`${llm.url}/v1/audio/speech`);
    const chat = llm.chatRequests().at(-1)!;
    expect(chat.headers.traceparent).toBe(`00-${post.traceId}-${post.spanId}-01`);
    const avatarSpan = trace.byName('avatar')[0]!;
    expect(avatarSpan.attributes['goassist.avatar.outcome']).toBe('completed');
    expect(call.metadata.traceparent).toBe(`00-${avatarSpan.traceId}-${avatarSpan.spanId}-01`);
    for (const s of spans) expect(JSON.stringify(s.attributes)).not.toContain('SECRET');
  });

  it('cancels the Audio2Face call on barge-in and marks the trace', async () => {
    const sessionId = first.events('session')[0]?.session_id as string;
    const callsBefore = a2f.calls.length;
    await first.send(utterance);
    // Interrupt once the agent is speaking turn 2.
    await first.waitFor(() => first.events('audio_start').some((e) => e.turn_id === 2), 'turn 2 audio');
    await first.waitFor(() => (a2f.calls[callsBefore]?.audioBytes ?? 0) > 9600, 'audio reaching Audio2Face');
    await first.send(utterance);
    await first.waitFor(() => first.events('clear').some((e) => e.turn_id === 2), 'clear of turn 2');
    await a2f.waitFor(() => a2f.calls[callsBefore]!.cancelled, 5_000);
    expect(a2f.calls[callsBefore]!.received).not.toContain('end_of_audio');
    await first.waitFor(turnEnded(first, 2), 'turn 2 to end');
    expect(first.events('turn_metrics').find((e) => e.turn_id === 2)).toMatchObject({
      outcome: 'interrupted',
    });

    await runtime.tracing.forceFlush();
    const spans = await collector.waitForSpans((all) => {
      const t = traceOf(all, sessionId, 2);
      return t !== undefined && t.byName('avatar').length > 0;
    });
    const trace = traceOf(spans, sessionId, 2)!;
    expect(trace.turn.attributes).toMatchObject({
      'goassist.turn.barge_in': true,
      'goassist.turn.outcome': 'interrupted',
    });
    expect(trace.turn.attributes['goassist.turn.barge_in_ms']).toEqual(expect.any(Number));
    expect(trace.turn.events.map((e) => e.name)).toContain('clear');
    expect(trace.byName('avatar')[0]!.attributes['goassist.avatar.outcome']).toBe('aborted');
    first.close();
  });

  it('keeps the voice byte for byte the same with a slow Audio2Face (frames late, never the audio)', async () => {
    // 60 ms per 33 ms frame: Audio2Face falls further behind the voice with every frame.
    a2f.script.push({ frameDelayMs: 60 });
    const callsBefore = a2f.calls.length;
    const slow = await openSession();
    try {
      await slow.send(utterance);
      await slow.waitFor(turnEnded(slow, 1), 'turn 1 to end');
      expect(slow.events('turn_metrics')[0]).toMatchObject({ turn_id: 1, outcome: 'completed' });
      expect(slow.turnAudio(1).equals(firstTurnAudio)).toBe(true);
      // The animation is still coming in after the voice has ended; Audio2Face finishes it normally.
      const frames = () =>
        (slow.events('blendshapes') as unknown as BlendshapesEvent[]).flatMap((e) => e.frames).length;
      expect(frames()).toBeLessThan(Math.ceil(firstTurnAudio.length / 2 / (OUTPUT_RATE / 30)));
      await a2f.waitFor(() => a2f.calls[callsBefore]?.finished === true, 20_000);
      expect(slow.events('error')).toEqual([]);
    } finally {
      slow.close();
    }
  });

  it('keeps the voice byte for byte the same with Audio2Face down, and tells the client', async () => {
    a2f.kill();
    const second = await openSession();
    try {
      await second.send(utterance);
      await second.waitFor(turnEnded(second, 1), 'turn 1 to end');
      expect(second.events('turn_metrics')[0]).toMatchObject({ turn_id: 1, outcome: 'completed' });
      expect(second.turnAudio(1).equals(firstTurnAudio)).toBe(true);
      expect(second.events('blendshapes')).toEqual([]);
      await second.waitFor(() => second.events('avatar_status').length > 0, 'avatar_status', 5_000);
      expect(second.events('avatar_status')[0]).toMatchObject({ state: 'down' });
      expect(second.events('error')).toContainEqual(
        expect.objectContaining({ component: 'avatar', code: expect.stringMatching(/^avatar\./) }),
      );
      const healthRes = await httpClient(baseUrl)('/health');
      const health = healthRes.json() as { status: string; components: { avatar: { state: string } } };
      expect(health.components.avatar.state).toBe('down');
      // The avatar is optional: /health says degraded but keeps answering 200, and readiness holds.
      expect(healthRes.statusCode).toBe(200);
      expect(health.status).toBe('degraded');
      expect((await httpClient(baseUrl)('/readyz')).statusCode).toBe(200);
      const metrics = (await httpClient(baseUrl)('/metrics')).body;
      expect(metrics).toMatch(/goassist_errors_total\{[^}]*component="avatar"[^}]*\} [1-9]/);
    } finally {
      second.close();
      await a2f.restart();
    }
  });
});
