import { startAudio2FaceStandIn, type Audio2FaceStandIn } from '../../../hack/servers/audio2face.js';
import { EngineError } from '../types.js';
import { Audio2FaceEngine } from './audio2face.js';
import { createAvatarSinkFactory, type AvatarStreamStats, type BlendshapesEvent } from './avatar-sink.js';

const RATE = 24_000;
const CHUNK = RATE / 50; // 20 ms, like the pacer

function tone(seconds: number): Int16Array {
  const pcm = new Int16Array(Math.round(RATE * seconds));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * 180 * i) / RATE));
  return pcm;
}

interface Harness {
  events: ({ type: string } & Record<string, unknown>)[];
  errors: unknown[];
  stats: AvatarStreamStats[];
  turn: AbortController;
}

describe('avatar sink: pipeline hook -> Audio2Face -> blendshapes events', () => {
  let server: Audio2FaceStandIn;
  let engine: Audio2FaceEngine;

  beforeEach(async () => {
    server = await startAudio2FaceStandIn();
    engine = new Audio2FaceEngine({
      url: server.address,
      connectTimeoutMs: 500,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    await engine.init();
  });
  afterEach(async () => {
    await engine.close();
    await server.close();
  });

  type Factory = ReturnType<typeof createAvatarSinkFactory>;

  const harness = (): Harness => ({ events: [], errors: [], stats: [], turn: new AbortController() });

  /** The turn's sink from `factory`, with its events and errors going to `h`. */
  const attach = (factory: Factory, h: Harness, sessionId: string, turnId: number): ReturnType<Factory> =>
    factory({
      sessionId,
      turnId,
      sampleRate: RATE,
      signal: h.turn.signal,
      sendEvent: (e) => h.events.push(e),
      reportError: (e) => h.errors.push(e),
    });

  function open(sessionId = 's1', turnId = 1): { sink: ReturnType<Factory>; h: Harness } {
    const h = harness();
    const factory = createAvatarSinkFactory({
      engine,
      flushIntervalMs: 50,
      onStreamDone: (s) => h.stats.push(s),
    });
    return { sink: attach(factory, h, sessionId, turnId), h };
  }

  const blendshapes = (h: Harness): BlendshapesEvent[] =>
    h.events.filter((e) => e.type === 'blendshapes') as unknown as BlendshapesEvent[];

  it('sends blendshapes events for the turn, with times inside the audio sent', async () => {
    const { sink, h } = open();
    const audio = tone(0.8);
    for (let i = 0; i < audio.length; i += CHUNK) sink!.push(audio.subarray(i, i + CHUNK));
    sink!.end();
    await server.waitFor(() => h.stats.length === 1);
    expect(h.stats[0]).toMatchObject({ outcome: 'completed', frames: 24 });
    const events = blendshapes(h);
    expect(events.length).toBeGreaterThan(0);
    const frames = events.flatMap((e) => e.frames);
    expect(frames).toHaveLength(24);
    for (const e of events) {
      expect(e).toMatchObject({ turn_id: 1, segment: 0 });
      expect(e.names).toContain('JawOpen');
      for (const f of e.frames) expect(f.w).toHaveLength(e.names.length);
    }
    for (const f of frames) {
      expect(f.t).toBeGreaterThanOrEqual(0);
      expect(f.t).toBeLessThan(0.8);
    }
    expect(h.errors).toEqual([]);
    expect(h.events.filter((e) => e.type === 'avatar_status')).toEqual([]);
  });

  it('cancels at once on barge-in and starts a new segment when the reply resumes', async () => {
    server.defaults.frameDelayMs = 10;
    const { sink, h } = open();
    const audio = tone(0.5);
    for (let i = 0; i < audio.length; i += CHUNK) sink!.push(audio.subarray(i, i + CHUNK));
    await server.waitFor(() => (server.calls[0]?.sent.length ?? 0) > 2);
    sink!.cancel();
    await server.waitFor(() => server.calls[0]!.cancelled);
    // False interruption: the reply resumes from the stop point with a new audio_start.
    for (let i = 0; i < audio.length; i += CHUNK) sink!.push(audio.subarray(i, i + CHUNK));
    sink!.end();
    await server.waitFor(() => h.stats.length === 2);
    expect(h.stats.map((s) => s.outcome)).toEqual(['aborted', 'completed']);
    expect(server.calls).toHaveLength(2);
    const resumed = blendshapes(h).filter((e) => e.segment === 1);
    expect(resumed[0]!.frames[0]!.t).toBe(0);
    expect(h.errors).toEqual([]);
  });

  it('the turn ending stops a stream still taking audio', async () => {
    server.defaults.frameDelayMs = 10;
    const { sink, h } = open();
    sink!.push(tone(0.3));
    await server.waitFor(() => (server.calls[0]?.sent.length ?? 0) > 1);
    h.turn.abort();
    await server.waitFor(() => server.calls[0]!.cancelled);
    await server.waitFor(() => h.stats.length === 1);
    expect(h.stats[0]!.outcome).toBe('aborted');
  });

  it('reports a failure once, tells the client the avatar is down, then up again when it is back', async () => {
    server.script.push({ errorAfterFrames: 2 });
    const first = open('s1', 1);
    for (let i = 0; i < 3; i++) first.sink!.push(tone(0.2));
    first.sink!.end();
    await server.waitFor(() => first.h.stats.length === 1);
    expect(first.h.errors).toHaveLength(1);
    expect(first.h.errors[0]).toBeInstanceOf(EngineError);
    expect(first.h.errors[0]).toMatchObject({ component: 'avatar', code: 'upstream_error' });
    expect(first.h.events.filter((e) => e.type === 'avatar_status')).toEqual([
      { type: 'avatar_status', state: 'down', detail: expect.stringContaining('scripted') },
    ]);
    // The same factory is used per session in the runtime; a new factory here sees a fresh session.
    await server.waitFor(() => engine.status().state === 'up', 5000);
    const factory = createAvatarSinkFactory({ engine });
    const events: ({ type: string } & Record<string, unknown>)[] = [];
    const ctx = {
      sessionId: 's1',
      sampleRate: RATE,
      signal: new AbortController().signal,
      sendEvent: (e: { type: string } & Record<string, unknown>) => events.push(e),
      reportError: () => undefined,
    };
    server.kill();
    const down = factory({ ...ctx, turnId: 2 })!;
    down.push(tone(0.2));
    down.end();
    await server.waitFor(() => events.some((e) => e.type === 'avatar_status'), 5000);
    await server.restart();
    await server.waitFor(() => engine.status().state === 'up', 10_000);
    const up = factory({ ...ctx, turnId: 3 })!;
    up.push(tone(0.2));
    up.end();
    await server.waitFor(() => events.filter((e) => e.type === 'avatar_status').length === 2, 5000);
    expect(events.filter((e) => e.type === 'avatar_status').map((e) => e.state)).toEqual(['down', 'up']);
  });
  it('every session hears once that Audio2Face is down, whether its turn failed or was skipped', async () => {
    server.kill();
    let finished = 0;
    const factory = createAvatarSinkFactory({ engine, onStreamDone: () => finished++ });
    const sessions = new Map<string, Harness>();
    const turn = async (sessionId: string, turnId: number): Promise<void> => {
      const h = sessions.get(sessionId) ?? harness();
      sessions.set(sessionId, h);
      const before = finished;
      const sink = attach(factory, h, sessionId, turnId)!;
      sink.push(tone(0.2));
      sink.end();
      await server.waitFor(() => finished > before, 5000);
    };
    await turn('a', 1); // the call fails: the engine learns Audio2Face is down
    expect(engine.status().state).toBe('down');
    await turn('a', 2); // skipped, and 'a' was told already
    await turn('b', 1); // skipped, and 'b' was not told yet
    for (const [id, h] of sessions) {
      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toMatchObject({ component: 'avatar' });
      expect(h.events.filter((e) => e.type === 'avatar_status')).toEqual([
        expect.objectContaining({ type: 'avatar_status', state: 'down' }),
      ]);
      if (id === 'b') expect(h.errors[0]).toMatchObject({ code: 'unavailable' });
    }
  });
});
