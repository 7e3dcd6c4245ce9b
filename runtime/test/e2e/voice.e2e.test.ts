/**
 * The voice loop end to end over a real WebSocket: Silero VAD, pocketsphinx ASR, an LLM and a TTS
 * behind the local OpenAI-compatible server (real SSE and HTTP wire protocol, scripted latencies),
 * and the client sending flite speech at real-time pace.
 */
import { execFileSync } from 'node:child_process';
import { silence, speechPcm } from '../../../hack/fixtures/speech.js';
import {
  VoiceClient,
  concatPcm,
  createSession,
  speechEndMs,
} from '../../../hack/bench/voice/voice-client.js';
import { startOpenAiCompatible, type OpenAiServer } from '../../../hack/servers/openai-compatible.js';
import { createResampler } from '../../audio/resampler.js';
import { metricSum, metricValue, startVoiceRuntime, type RunningVoiceRuntime } from './voice-runtime.js';

import { jest } from '@jest/globals';

jest.setTimeout(120_000);

const REPLY =
  'It is twelve o clock. The sun is high in the sky, the birds are singing in the trees, and the day is warm and bright for everyone outside.';

let llm: OpenAiServer;
let rt: RunningVoiceRuntime;
let question: Int16Array;

beforeAll(async () => {
  question = await speechPcm('what time is it');
  llm = await startOpenAiCompatible({
    host: '127.0.0.1',
    port: 0,
    chat: { reply: REPLY, firstTokenDelayMs: 50, interTokenDelayMs: 10 },
    speech: { latencyMs: 20, chunkMs: 100, interChunkDelayMs: 5, audio: 'tone' },
  });
  rt = await startVoiceRuntime({
    LLM_BASE_URL: `${llm.url}/v1`,
    LLM_MODEL_NAME: 'local-model',
    LLM_TIMEOUT_MS: '1500',
    LLM_MAX_RETRIES: '0',
    ASR_ENGINE: 'pocketsphinx',
    TTS_ENGINE: 'openai',
    TTS_BASE_URL: `${llm.url}/v1`,
  });
});

afterAll(async () => {
  await rt?.close();
  await llm?.close();
});

async function talk(client: VoiceClient, pcm: Int16Array, trailingSilenceS = 3): Promise<void> {
  await client.stream(concatPcm(pcm, silence(trailingSilenceS)));
}

function turnMetrics(client: VoiceClient, turnId: number) {
  return client.find('turn_metrics', (e) => e.turn_id === turnId);
}

describe('voice loop over a real WebSocket', () => {
  test('spoken question -> transcript, LLM reply, agent audio; TTFA in /metrics matches the client', async () => {
    const client = await VoiceClient.connect(await createSession(rt.baseUrl));
    const speaking = talk(client, question, 4);
    await client.waitFor(() => turnMetrics(client, 1) !== undefined, 'turn 1 metrics', 30_000);
    await speaking;
    const transcript = client.find('transcript', (e) => e.final === true && e.turn_id === 1);
    expect(String(transcript?.text)).toContain('time');
    const deltas = client
      .all('agent_text')
      .filter((e) => typeof e.delta === 'string')
      .map((e) => e.delta)
      .join('');
    expect(deltas).toBe(REPLY);
    const metrics = turnMetrics(client, 1) as Record<string, number | string>;
    expect(metrics.outcome).toBe('completed');
    const audioBytes = client.audio.reduce((n, a) => n + a.bytes, 0);
    expect(audioBytes).toBeGreaterThan(24000 * 2); // more than a second of 24 kHz PCM16

    // The client's own TTFA: first agent audio frame received minus when it sent the chunk holding the
    // end of the user's speech (the position the server's VAD reported).
    const first = client.firstAudioOf(1);
    const sentEnd = client.sentAt(Number(metrics.speech_end_audio_ms));
    expect(first).toBeDefined();
    expect(sentEnd).toBeDefined();
    const clientTtfa = (first?.at as number) - (sentEnd as number);
    const serverTtfa = Number(metrics.ttfa_ms);
    expect(Math.abs(clientTtfa - serverTtfa)).toBeLessThanOrEqual(32);
    // Against the fixture's true end of speech (energy), the VAD's end lies within a few frames.
    const groundTruth = (first?.at as number) - (client.sentAt(speechEndMs(question)) as number);
    expect(Math.abs(groundTruth - serverTtfa)).toBeLessThanOrEqual(4 * 32);

    const text = await rt.metricsText();
    expect(metricValue(text, 'goassist_ttfa_seconds_count')).toBe(1);
    expect(
      Math.abs((metricValue(text, 'goassist_ttfa_seconds_sum') as number) * 1000 - serverTtfa),
    ).toBeLessThan(1);
    expect(metricValue(text, 'goassist_turns_total', 'outcome="completed"')).toBe(1);
    expect(metricValue(text, 'goassist_asr_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'goassist_llm_ttft_seconds_count')).toBe(1);
    expect(metricValue(text, 'goassist_tts_first_chunk_seconds_count')).toBe(1);
    expect(metricValue(text, 'goassist_end_of_turn_seconds_count')).toBeGreaterThanOrEqual(1);
    process.stdout.write(
      `TTFA server ${serverTtfa} ms, client ${clientTtfa.toFixed(1)} ms, vs energy end ${groundTruth.toFixed(1)} ms; ` +
        `stages ${JSON.stringify(metrics)}\n`,
    );
    await client.close();
  });
});

describe('input sample rates', () => {
  test('a client declaring 48 kHz is resampled to the VAD/ASR rate and understood', async () => {
    llm.script.chat.push({ reply: 'Noon.', firstTokenDelayMs: 0, interTokenDelayMs: 0 });
    const client = await VoiceClient.connect(await createSession(rt.baseUrl), { sampleRate: 48000 });
    expect(client.find('ready')).toMatchObject({ input_sample_rate: 48000, output_sample_rate: 24000 });
    const up = createResampler(16000, 48000);
    const pcm48 = concatPcm(up.process(concatPcm(question, silence(2.5))), up.flush());
    await client.stream(pcm48);
    await client.waitFor(() => turnMetrics(client, 1) !== undefined, 'turn 1', 30_000);
    expect(String(client.find('transcript', (e) => e.final === true)?.text)).toContain('time');
    // The audio timeline is in ms of the client's audio, whatever its rate.
    const end = Number(turnMetrics(client, 1)?.speech_end_audio_ms);
    expect(Math.abs(end - speechEndMs(question))).toBeLessThanOrEqual(4 * 32);
    await client.close();
  });
});

/** Speaks `pcm` (then silence) and waits for the turn's metrics. */
async function askAndWait(
  client: VoiceClient,
  pcm: Int16Array,
  turnId: number,
): Promise<Record<string, unknown>> {
  const speaking = talk(client, pcm, 2.5);
  await client.waitFor(() => turnMetrics(client, turnId) !== undefined, `turn ${turnId} metrics`, 30_000);
  await speaking;
  return turnMetrics(client, turnId) as Record<string, unknown>;
}

function typedTurn(client: VoiceClient, text: string, turnId: number): Promise<void> {
  client.sendJson({ type: 'text', text });
  return client.waitFor(() => turnMetrics(client, turnId) !== undefined, `turn ${turnId} metrics`, 30_000);
}

describe('barge-in', () => {
  test('speech over the agent: clear at once, no agent audio after it, LLM stream aborted, history truncated', async () => {
    const slowReply = REPLY.split(' ').concat(REPLY.split(' ')).join(' ');
    llm.script.chat.push({ reply: slowReply, firstTokenDelayMs: 50, interTokenDelayMs: 120 });
    llm.script.chat.push({ reply: 'Okay, the lights are on.', firstTokenDelayMs: 20, interTokenDelayMs: 5 });
    const chatBefore = llm.chatRequests().length;
    const client = await VoiceClient.connect(await createSession(rt.baseUrl));
    const interruption = await speechPcm('turn on the kitchen lights');
    const speaking = client.stream(concatPcm(question, silence(1.2)));
    await client.waitFor(
      () => client.find('audio_start', (e) => e.turn_id === 1) !== undefined,
      'agent audio',
    );
    await speaking;
    await client.stream(silence(0.8));
    const interruptAt = client.position;
    const interrupting = talk(client, interruption, 3);
    await client.waitFor(() => client.find('clear') !== undefined, 'clear');
    await client.waitFor(() => turnMetrics(client, 2) !== undefined, 'turn 2', 30_000);
    await interrupting;

    const clear = client.find('clear') as ReceivedEventLike;
    const clearIndex = client.events.indexOf(clear as never);
    const turn2Start = client.events.findIndex((e) => e.type === 'audio_start' && e.turn_id === 2);
    const lateFrames = client.audio.filter(
      (a) => a.afterEvent > clearIndex && (turn2Start < 0 || a.afterEvent <= turn2Start),
    );
    expect(lateFrames).toHaveLength(0);
    expect(turnMetrics(client, 1)).toMatchObject({ outcome: 'interrupted' });
    const bargeInMs = Number(turnMetrics(client, 1)?.barge_in_ms);
    expect(bargeInMs).toBeGreaterThan(0);
    // The client's measure: from sending the chunk where the interrupting speech starts to `clear`.
    const speechStart = interruptAt + firstLoudMs(interruption);
    const clientBargeIn = clear.at - (client.sentAt(speechStart) as number);

    const requests = llm.chatRequests().slice(chatBefore);
    expect(requests).toHaveLength(2);
    await llm.waitFor(() => requests[0]?.aborted === true || requests[0]?.finished === true, 5000);
    expect(requests[0]?.aborted).toBe(true);
    const messages = (requests[1]?.body as { messages: { role: string; content: string }[] }).messages;
    const heard = messages.at(-2);
    expect(heard?.role).toBe('assistant');
    expect(heard?.content.length).toBeGreaterThan(0);
    expect(heard?.content.length).toBeLessThan(slowReply.length);
    expect(slowReply.startsWith(String(heard?.content))).toBe(true);
    expect(String(messages.at(-1)?.content)).toContain('kitchen');
    const final1 = client.find('agent_text', (e) => e.final === true && e.turn_id === 1);
    expect(final1).toMatchObject({ interrupted: true, text: heard?.content });
    expect(metricValue(await rt.metricsText(), 'goassist_barge_in_seconds_count')).toBeGreaterThanOrEqual(1);
    process.stdout.write(
      `barge-in server ${bargeInMs} ms, client ${clientBargeIn.toFixed(1)} ms; heard "${heard?.content}"\n`,
    );
    await client.close();
  });

  test('false interruption: a short blip clears, the agent resumes where it stopped and completes', async () => {
    llm.script.chat.push({ reply: REPLY, firstTokenDelayMs: 20, interTokenDelayMs: 20 });
    const client = await VoiceClient.connect(await createSession(rt.baseUrl));
    const blip = loudestWindow(await speechPcm('ah'), 0.13);
    const speaking = client.stream(concatPcm(question, silence(1.2)));
    await client.waitFor(
      () => client.find('audio_start', (e) => e.turn_id === 1) !== undefined,
      'agent audio',
    );
    await speaking;
    await client.stream(silence(0.5));
    await client.stream(concatPcm(blip, silence(2)));
    await client.waitFor(() => turnMetrics(client, 1) !== undefined, 'turn 1', 30_000);
    expect(client.all('clear')).toHaveLength(1);
    expect(client.all('audio_start').map((e) => e.resumed)).toEqual([false, true]);
    expect(turnMetrics(client, 1)).toMatchObject({ outcome: 'completed' });
    expect(client.find('agent_text', (e) => e.final === true)).toMatchObject({
      text: REPLY,
      interrupted: false,
    });
    const states = client.all('state').map((e) => e.state);
    expect(states).toEqual(['listening', 'thinking', 'speaking', 'interrupted', 'speaking', 'listening']);
    await client.close();
  });
});

type ReceivedEventLike = { type: string; at: number };

function firstLoudMs(pcm: Int16Array, threshold = 600): number {
  const i = pcm.findIndex((v) => Math.abs(v) > threshold);
  return (Math.max(0, i) * 1000) / 16000;
}

/** The loudest `seconds` of `pcm` (a cough-length piece of voice). */
function loudestWindow(pcm: Int16Array, seconds: number): Int16Array {
  const n = Math.round(seconds * 16000);
  let best = 0;
  let bestEnergy = -1;
  for (let start = 0; start + n <= pcm.length; start += 160) {
    let energy = 0;
    for (let i = start; i < start + n; i++) energy += Math.abs(pcm[i] as number);
    if (energy > bestEnergy) {
      bestEnergy = energy;
      best = start;
    }
  }
  return pcm.slice(best, best + n);
}

describe('failing engines fail the turn, not the session', () => {
  async function expectFailedThenRecovered(
    client: VoiceClient,
    turnId: number,
    component: string,
    errorsBefore: number,
  ): Promise<void> {
    expect(turnMetrics(client, turnId)).toMatchObject({ outcome: 'failed' });
    const error = client.find('error', (e) => e.turn_id === turnId);
    expect(String(error?.code)).toMatch(new RegExp(`^${component}\\.`));
    expect(error?.component).toBe(component);
    const errorsAfter = metricSum(
      await rt.metricsText(),
      'goassist_errors_total',
      `component="${component}"`,
    );
    expect(errorsAfter).toBeGreaterThan(errorsBefore);
    expect(client.all('state').at(-1)?.state).toBe('listening');
  }

  const errorsOf = async (component: string): Promise<number> =>
    metricSum(await rt.metricsText(), 'goassist_errors_total', `component="${component}"`);

  test('LLM answers 500: llm error event, counted; the next turn works', async () => {
    const client = await VoiceClient.connect(await createSession(rt.baseUrl));
    const before = await errorsOf('llm');
    llm.script.chat.push({ status: 500 });
    await typedTurn(client, 'what time is it', 1);
    await expectFailedThenRecovered(client, 1, 'llm', before);
    llm.script.chat.push({ reply: 'Back again.', firstTokenDelayMs: 0, interTokenDelayMs: 0 });
    await typedTurn(client, 'and now', 2);
    expect(turnMetrics(client, 2)).toMatchObject({ outcome: 'completed' });
    expect(client.firstAudioOf(2)).toBeDefined();
    await client.close();
  });

  test('LLM stalls past LLM_TIMEOUT_MS: llm.timeout, counted; the next turn works', async () => {
    const client = await VoiceClient.connect(await createSession(rt.baseUrl));
    const before = await errorsOf('llm');
    llm.script.chat.push({ stall: true });
    await typedTurn(client, 'what time is it', 1);
    await expectFailedThenRecovered(client, 1, 'llm', before);
    expect(client.find('error', (e) => e.turn_id === 1)?.code).toBe('llm.timeout');
    llm.script.chat.push({ reply: 'Back again.', firstTokenDelayMs: 0, interTokenDelayMs: 0 });
    await typedTurn(client, 'and now', 2);
    expect(turnMetrics(client, 2)).toMatchObject({ outcome: 'completed' });
    await client.close();
  });

  test('TTS fails: tts error event, counted; the next turn works', async () => {
    const client = await VoiceClient.connect(await createSession(rt.baseUrl));
    const before = await errorsOf('tts');
    llm.script.chat.push({ reply: 'Short.', firstTokenDelayMs: 0, interTokenDelayMs: 0 });
    llm.script.speech.push({ status: 500 }, { status: 500 }, { status: 500 });
    await typedTurn(client, 'say something', 1);
    await expectFailedThenRecovered(client, 1, 'tts', before);
    llm.script.speech.length = 0;
    llm.script.chat.push({ reply: 'Back again.', firstTokenDelayMs: 0, interTokenDelayMs: 0 });
    await typedTurn(client, 'and now', 2);
    expect(turnMetrics(client, 2)).toMatchObject({ outcome: 'completed' });
    await client.close();
  });

  test('ASR decoder killed mid-utterance: asr error event, counted; the next spoken turn works', async () => {
    const client = await VoiceClient.connect(await createSession(rt.baseUrl));
    const before = await errorsOf('asr');
    const speaking = talk(client, question, 2.5);
    await client.waitFor(
      () => client.find('vad', (e) => e.event === 'speech_start') !== undefined,
      'speech start',
    );
    for (const pid of decoderPids()) process.kill(pid, 'SIGKILL');
    await client.waitFor(() => turnMetrics(client, 1) !== undefined, 'turn 1', 30_000);
    await speaking;
    await expectFailedThenRecovered(client, 1, 'asr', before);
    expect(client.find('error', (e) => e.turn_id === 1)?.code).toBe('asr.worker_crashed');
    llm.script.chat.push({ reply: 'Heard you.', firstTokenDelayMs: 0, interTokenDelayMs: 0 });
    // The pool restarts its decoders (back-off, model load) while the user thinks of what to say next.
    await new Promise((r) => setTimeout(r, 1500));
    const second = await askAndWait(client, question, 2);
    expect(second.outcome).toBe('completed');
    expect(String(client.find('transcript', (e) => e.final === true && e.turn_id === 2)?.text)).toContain(
      'time',
    );
    await client.close();
  });
});

/** pocketsphinx decoder processes started by this (test) process. */
function decoderPids(): number[] {
  const out = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'pocketsphinx'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map(Number);
}

describe('protocol fuzz', () => {
  test('random and malformed frames, floods, wrong tokens, huge frames: clear errors; process and other sessions unaffected', async () => {
    llm.script.chat.push({ reply: REPLY, firstTokenDelayMs: 20, interTokenDelayMs: 30 });
    const bystander = await VoiceClient.connect(await createSession(rt.baseUrl));
    bystander.sendJson({ type: 'text', text: 'tell me about the weather' });

    const session = await createSession(rt.baseUrl);
    const fuzzed = await VoiceClient.connect(session);
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200; i++) {
      const kind = i % 4;
      if (kind === 0)
        fuzzed.sendRaw(
          Buffer.from(Array.from({ length: Math.floor(random() * 3000) }, () => Math.floor(random() * 256))),
        );
      else if (kind === 1)
        fuzzed.sendRaw(
          String.fromCharCode(
            ...Array.from({ length: 1 + Math.floor(random() * 200) }, () => 32 + Math.floor(random() * 90)),
          ),
          false,
        );
      else if (kind === 2)
        fuzzed.sendRaw(
          JSON.stringify({
            type: ['start', 'text', 'ping', 'nope'][i % 4],
            sample_rate: random() * 1e6,
            text: i,
          }),
          false,
        );
      else fuzzed.sendRaw(JSON.stringify([1, 2, { type: 'start' }]), false);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    fuzzed.sendRaw('x'.repeat(20_000), false);
    // A flood: a minute of audio at once is more than the input buffer takes.
    for (let i = 0; i < 60; i++) fuzzed.sendRaw(Buffer.alloc(32_000));
    fuzzed.sendJson({ type: 'ping', id: 'still-there' });
    await fuzzed.waitFor(
      () => fuzzed.find('pong', (e) => e.id === 'still-there') !== undefined,
      'pong after fuzz',
    );
    const codes = new Set(fuzzed.all('error').map((e) => String(e.code)));
    for (const code of ['bad_json', 'bad_message', 'frame_too_large', 'input_overflow'])
      expect(codes).toContain(code);
    for (const code of codes)
      expect(code).toMatch(/^(bad_json|bad_message|frame_too_large|bad_audio|not_started|input_overflow)$/);

    // Wrong token and a token of another session: refused before the upgrade, the live session untouched.
    const other = await createSession(rt.baseUrl);
    await expect(VoiceClient.connect({ ...session, token: other.token })).rejects.toThrow('HTTP 401');
    await expect(VoiceClient.connect({ ...session, token: 'garbage' })).rejects.toThrow('HTTP 401');
    // A frame over the socket limit closes that socket (1009) only.
    const big = await VoiceClient.connect(other);
    big.sendRaw(Buffer.alloc(70_000));
    await big.waitFor(() => big.closed !== undefined, 'close', 10_000).catch(() => undefined);
    expect(big.closed?.code).toBe(1009);

    fuzzed.sendJson({ type: 'ping', id: 'after' });
    await fuzzed.waitFor(() => fuzzed.find('pong', (e) => e.id === 'after') !== undefined, 'pong');
    await bystander.waitFor(() => turnMetrics(bystander, 1) !== undefined, 'bystander turn', 30_000);
    expect(turnMetrics(bystander, 1)).toMatchObject({ outcome: 'completed' });
    expect(bystander.all('error')).toHaveLength(0);
    expect((await fetch(`${rt.baseUrl}/livez`)).status).toBe(200);
    await fuzzed.close();
    await bystander.close();
  });
});
