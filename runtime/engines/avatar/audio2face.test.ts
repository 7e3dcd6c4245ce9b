import * as grpc from '@grpc/grpc-js';
import { startAudio2FaceStandIn, type Audio2FaceStandIn } from '../../../hack/servers/audio2face.js';
import { loadA2fControllerService, type A2fAnimationDataStream } from './a2f-proto.js';
import { Audio2FaceEngine } from './audio2face.js';
import type { AvatarEvent, AvatarTurn, BlendshapeFrame } from './types.js';

const RATE = 16_000;

/** 0.3 s of a loud 220 Hz vowel-like tone, then 0.3 s of silence. */
function speechLikeAudio(): Int16Array {
  const pcm = new Int16Array(Math.round(RATE * 0.6));
  for (let i = 0; i < RATE * 0.3; i++) pcm[i] = Math.round(16000 * Math.sin((2 * Math.PI * 220 * i) / RATE));
  return pcm;
}

function pushInChunks(turn: AvatarTurn, pcm: Int16Array, chunk = 320): void {
  for (let i = 0; i < pcm.length; i += chunk) turn.push(pcm.subarray(i, i + chunk));
}

async function collect(
  turn: AvatarTurn,
): Promise<{ names: string[]; frames: BlendshapeFrame[]; order: string[] }> {
  const names: string[] = [];
  const frames: BlendshapeFrame[] = [];
  const order: string[] = [];
  for await (const event of turn.events() as AsyncIterable<AvatarEvent>) {
    order.push(event.kind);
    if (event.kind === 'names') names.push(...event.names);
    else frames.push(event.frame);
  }
  return { names, frames, order };
}

function newEngine(
  address: string,
  extra: Partial<ConstructorParameters<typeof Audio2FaceEngine>[0]> = {},
): Audio2FaceEngine {
  return new Audio2FaceEngine({
    url: `grpc://${address}`,
    connectTimeoutMs: 500,
    backoff: { initialMs: 50, maxMs: 200 },
    ...extra,
  });
}

describe('Audio2Face engine against the local stand-in', () => {
  let server: Audio2FaceStandIn;
  let engine: Audio2FaceEngine;

  beforeEach(async () => {
    server = await startAudio2FaceStandIn();
  });
  afterEach(async () => {
    await engine?.close();
    await server.close();
  });

  it('speaks the real protocol in order and returns audio-driven blendshapes inside the audio span', async () => {
    engine = newEngine(server.address);
    await engine.init();
    expect(engine.status().state).toBe('up');
    const turn = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    const audio = speechLikeAudio();
    pushInChunks(turn, audio);
    turn.end();
    const { names, frames, order } = await collect(turn);
    expect(await turn.done).toEqual({ outcome: 'completed', frames: frames.length });

    const call = server.calls[0]!;
    expect(call.received[0]).toBe('audio_stream_header');
    expect(call.received.at(-1)).toBe('end_of_audio');
    expect(new Set(call.received.slice(1, -1))).toEqual(new Set(['audio_with_emotion']));
    expect(call.audioBytes).toBe(audio.byteLength);
    expect(call.header?.audio_header).toEqual({
      audio_format: 'AUDIO_FORMAT_PCM',
      channel_count: 1,
      samples_per_second: RATE,
      bits_per_sample: 16,
    });
    expect(call.sent[0]).toBe('animation_data_stream_header');
    expect(call.sent.slice(-2)).toEqual(['event', 'status']);
    expect(new Set(call.sent.slice(1, -2))).toEqual(new Set(['animation_data']));

    expect(order[0]).toBe('names');
    expect(names).toContain('JawOpen');
    // One frame per 1/30 s of audio (533 samples at 16 kHz), the last one partial.
    expect(frames.length).toBe(Math.ceil(audio.length / Math.round(RATE / 30)));
    const duration = audio.length / RATE;
    for (const [i, f] of frames.entries()) {
      expect(f.timeCode).toBeGreaterThanOrEqual(0);
      expect(f.timeCode).toBeLessThan(duration);
      if (i > 0) expect(f.timeCode).toBeGreaterThan(frames[i - 1]!.timeCode);
      expect(f.weights).toHaveLength(names.length);
    }
    const jaw = names.indexOf('JawOpen');
    const loud = frames.filter((f) => f.timeCode < 0.25).map((f) => f.weights[jaw]!);
    const quiet = frames.filter((f) => f.timeCode > 0.35).map((f) => f.weights[jaw]!);
    expect(Math.min(...loud)).toBeGreaterThan(0.3);
    expect(Math.max(...quiet)).toBe(0);
  });

  it('adds no metadata of its own outside a trace', async () => {
    engine = newEngine(server.address);
    await engine.init();
    const turn = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    turn.end();
    await collect(turn);
    // No SDK registered here: nothing is injected, and nothing else leaks into metadata.
    expect(
      Object.keys(server.calls[0]!.metadata).filter((k) => !k.startsWith('grpc-') && k !== 'user-agent'),
    ).toEqual([]);
  });

  it('cancels the call at once on barge-in (the server sees CANCELLED)', async () => {
    server.defaults.frameDelayMs = 20;
    engine = newEngine(server.address);
    await engine.init();
    const bargeIn = new AbortController();
    const turn = engine.startTurn({ sampleRate: RATE, signal: bargeIn.signal });
    pushInChunks(turn, new Int16Array(RATE * 2).fill(3000));
    const reading = collect(turn);
    await server.waitFor(() => (server.calls[0]?.sent.length ?? 0) >= 3);
    bargeIn.abort();
    expect((await turn.done).outcome).toBe('aborted');
    await reading;
    await server.waitFor(() => server.calls[0]!.cancelled);
    expect(server.calls[0]!.received).not.toContain('end_of_audio');
    expect(engine.status().state).toBe('up');
  });

  it('breaking out of the frames cancels the call', async () => {
    server.defaults.frameDelayMs = 20;
    engine = newEngine(server.address);
    await engine.init();
    const turn = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    pushInChunks(turn, new Int16Array(RATE).fill(3000));
    for await (const event of turn.events()) if (event.kind === 'frame') break;
    expect((await turn.done).outcome).toBe('aborted');
    await server.waitFor(() => server.calls[0]!.cancelled);
  });

  it.each([
    ['an Audio2Face status ERROR', { errorAfterFrames: 3 }, 'upstream_error'],
    ['a gRPC error', { grpcErrorAfterFrames: 3 }, 'upstream_error'],
  ])('fails the animation only, on %s mid-stream, then recovers', async (_label, script, code) => {
    server.script.push(script);
    engine = newEngine(server.address);
    await engine.init();
    const turn = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    pushInChunks(turn, speechLikeAudio());
    turn.end();
    const { frames } = await collect(turn);
    const result = await turn.done;
    expect(result.outcome).toBe('failed');
    expect(result.outcome === 'failed' && result.error.code).toBe(code);
    expect(frames.length).toBe(3);
    expect(engine.status().state).toBe('down');
    await server.waitFor(() => engine.status().state === 'up', 5000);
    const next = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    pushInChunks(next, speechLikeAudio());
    next.end();
    await collect(next);
    expect((await next.done).outcome).toBe('completed');
  });

  it('gives up a turn whose Audio2Face stops answering (stall timeout)', async () => {
    server.script.push({ silent: true });
    engine = newEngine(server.address, { limits: { stallTimeoutMs: 300 } });
    await engine.init();
    const turn = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    pushInChunks(turn, speechLikeAudio());
    turn.end();
    await collect(turn);
    const result = await turn.done;
    expect(result.outcome === 'failed' && result.error.code).toBe('timeout');
    await server.waitFor(() => server.calls[0]!.cancelled);
  });

  it('is down while the server is unreachable, skips turns without a call, and reconnects with backoff', async () => {
    const port = server.port;
    server.kill();
    engine = newEngine(server.address);
    await engine.init();
    expect(engine.status().state).toBe('down');
    const skipped = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    skipped.push(new Int16Array(320));
    skipped.end();
    expect(await skipped.done).toEqual({ outcome: 'skipped', frames: 0 });

    await server.restart();
    expect(server.port).toBe(port);
    await server.waitFor(() => engine.status().state === 'up', 10_000);
    const turn = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    pushInChunks(turn, speechLikeAudio());
    turn.end();
    await collect(turn);
    expect((await turn.done).outcome).toBe('completed');
    expect(server.calls).toHaveLength(1);
  });

  it('survives a mid-stream disconnect (server crash) and reconnects when it is back', async () => {
    server.script.push({ disconnectAfterFrames: 2 });
    engine = newEngine(server.address);
    await engine.init();
    const turn = engine.startTurn({ sampleRate: RATE, signal: new AbortController().signal });
    pushInChunks(turn, speechLikeAudio());
    turn.end();
    await collect(turn);
    const result = await turn.done;
    expect(result.outcome === 'failed' && result.error.code).toBe('unavailable');
    expect(engine.status().state).toBe('down');
    await server.restart();
    await server.waitFor(() => engine.status().state === 'up', 10_000);
  });

  it('rejects a bad URL at init with a config error', async () => {
    engine = new Audio2FaceEngine({ url: 'http://example:1' });
    await expect(engine.init()).rejects.toMatchObject({ component: 'avatar', code: 'config' });
  });
});

describe('the Audio2Face stand-in enforces the protocol order', () => {
  it('answers audio before the header with an ERROR status and INVALID_ARGUMENT', async () => {
    const server = await startAudio2FaceStandIn();
    const Service = loadA2fControllerService();
    const client = new Service(server.address, grpc.credentials.createInsecure());
    try {
      const call = client.ProcessAudioStream(new grpc.Metadata());
      const replies: A2fAnimationDataStream[] = [];
      call.on('data', (m: A2fAnimationDataStream) => replies.push(m));
      const error = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
      call.write({ audio_with_emotion: { audio_buffer: Buffer.alloc(640) } });
      call.end();
      expect((await error).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(replies.map((r) => r.stream_part)).toEqual(['status']);
      expect(replies[0]!.status?.code).toBe('ERROR');
    } finally {
      client.close();
      await server.close();
    }
  });
});
