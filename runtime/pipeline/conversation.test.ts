import { EngineError } from '../engines/types.js';
import { harness } from './test/harness.js';
import { loudnessVad, scriptedAsr, scriptedLlm, scriptedTts } from './test/scripted-engines.js';

const REPLY =
  'Sure, here is a long answer. It has several sentences so that it keeps talking for a while. The end is near now.';

function engines(
  opts: {
    reply?: (call: number) => string | Error;
    tts?: (text: string) => Error | undefined;
    asr?: (loud: number) => string | Error;
  } = {},
) {
  return {
    vad: loudnessVad(),
    asr: scriptedAsr(opts.asr ?? ((loud) => (loud > 0 ? 'hello there' : ''))),
    llm: scriptedLlm(opts.reply ?? (() => REPLY)),
    tts: scriptedTts(opts.tts),
  };
}

describe('VoiceConversation (scripted engines)', () => {
  test('a spoken turn: vad edges, final transcript, streamed agent text and audio, metrics, history', async () => {
    const e = engines();
    const h = harness(e);
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    expect(h.events('ready')[0]).toMatchObject({
      input_sample_rate: 16000,
      output_sample_rate: 24000,
      vad_frame_ms: 32,
    });
    await h.sendAudio(320, true);
    await h.sendAudio(200, false);
    await h.waitFor(() => h.events('turn_metrics').length === 1, 'turn_metrics');
    const vad = h.events('vad').map((v) => v.event);
    expect(vad).toEqual(['speech_start', 'speech_end']);
    expect(h.events('transcript').filter((t) => t.final)).toEqual([
      { type: 'transcript', turn_id: 1, text: 'hello there', final: true },
    ]);
    const deltas = h
      .events('agent_text')
      .filter((t) => 'delta' in t)
      .map((t) => t.delta)
      .join('');
    expect(deltas).toBe(REPLY);
    const metrics = h.events('turn_metrics')[0] as Record<string, unknown>;
    expect(metrics).toMatchObject({ outcome: 'completed', turn_id: 1 });
    expect(typeof metrics.ttfa_ms).toBe('number');
    expect(typeof metrics.llm_ttft_ms).toBe('number');
    expect(typeof metrics.tts_first_chunk_ms).toBe('number');
    // audio_start precedes the first binary frame, audio_end follows the last.
    const firstAudio = h.sent.findIndex((s) => s.kind === 'audio');
    const audioStart = h.sent.findIndex((s) => s.kind === 'event' && s.event.type === 'audio_start');
    const audioEnd = h.sent.findIndex((s) => s.kind === 'event' && s.event.type === 'audio_end');
    const lastAudio = h.sent.map((s) => s.kind).lastIndexOf('audio');
    expect(audioStart).toBeLessThan(firstAudio);
    expect(audioEnd).toBeGreaterThan(lastAudio);
    const totalSamples = h.sent.reduce((n, s) => n + (s.kind === 'audio' ? s.samples : 0), 0);
    expect(totalSamples).toBe(e.tts.texts.join('').length * 240);
    expect(e.tts.texts.join(' ')).toBe(REPLY);
    expect(h.states).toEqual(['listening', 'thinking', 'speaking', 'listening']);
    expect(h.turns).toEqual([{ outcome: 'completed', ttfaMs: metrics.ttfa_ms }]);
    expect(h.conversation.historyEntries()).toEqual([
      { role: 'user', content: 'hello there' },
      { role: 'assistant', content: REPLY },
    ]);
    expect(e.llm.calls[0]?.messages[0]).toEqual({ role: 'system', content: 'You are a test.' });
    await h.conversation.close();
  });

  test('barge-in: clear, no audio after it, LLM aborted, history keeps only what was heard', async () => {
    const e = engines({ reply: (call) => (call === 1 ? REPLY : 'Second reply.') });
    const h = harness(e);
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    await h.sendAudio(320, true);
    await h.sendAudio(160, false);
    await h.waitFor(() => h.events('audio_start').length === 1, 'audio_start');
    await new Promise((r) => setTimeout(r, 400));
    await h.sendAudio(640, true);
    await h.waitFor(() => h.events('clear').length === 1, 'clear');
    const clearIndex = h.sent.findIndex((s) => s.kind === 'event' && s.event.type === 'clear');
    await h.sendAudio(200, false);
    await h.waitFor(() => h.events('turn_metrics').length === 2, 'second turn');
    const turn1Audio = h.sent.slice(clearIndex).filter((s) => s.kind === 'audio');
    // Every binary frame after `clear` belongs to the second reply (after its audio_start).
    const secondStart = h.sent.findIndex(
      (s, i) => i > clearIndex && s.kind === 'event' && s.event.type === 'audio_start',
    );
    expect(h.sent.slice(clearIndex, secondStart).some((s) => s.kind === 'audio')).toBe(false);
    expect(turn1Audio.length).toBeGreaterThan(0);
    expect(e.llm.calls[0]?.aborted).toBe(true);
    const [first, second] = h.events('turn_metrics');
    expect(first).toMatchObject({ outcome: 'interrupted', turn_id: 1 });
    expect(typeof first?.barge_in_ms).toBe('number');
    expect(second).toMatchObject({ outcome: 'completed', turn_id: 2 });
    const history = h.conversation.historyEntries();
    const heard = history[1]?.content ?? '';
    expect(history[1]?.role).toBe('assistant');
    expect(heard.length).toBeGreaterThan(0);
    expect(heard.length).toBeLessThan(REPLY.length);
    expect(REPLY.startsWith(heard)).toBe(true);
    expect(e.llm.calls[1]?.messages.at(-2)).toEqual({ role: 'assistant', content: heard });
    expect(h.states).toContain('interrupted');
    await h.conversation.close();
  });

  test('false interruption: a short blip clears, then the agent resumes and completes', async () => {
    const e = engines();
    const h = harness(e);
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    await h.sendAudio(320, true);
    await h.sendAudio(160, false);
    await h.waitFor(() => h.events('audio_start').length === 1, 'audio_start');
    await new Promise((r) => setTimeout(r, 300));
    await h.sendAudio(96, true);
    await h.sendAudio(200, false);
    await h.waitFor(() => h.events('turn_metrics').length === 1, 'turn end');
    expect(h.events('clear')).toHaveLength(1);
    expect(h.events('audio_start').map((a) => a.resumed)).toEqual([false, true]);
    expect(h.events('turn_metrics')[0]).toMatchObject({ outcome: 'completed' });
    expect(e.llm.calls).toHaveLength(1);
    expect(e.llm.calls[0]?.aborted).toBe(false);
    expect(h.conversation.historyEntries().at(-1)).toEqual({ role: 'assistant', content: REPLY });
    expect(h.states).toEqual(['listening', 'thinking', 'speaking', 'interrupted', 'speaking', 'listening']);
    // Resumed from what was not heard: total audio covers the reply at least once.
    const totalSamples = h.sent.reduce((n, s) => n + (s.kind === 'audio' ? s.samples : 0), 0);
    expect(totalSamples).toBeGreaterThanOrEqual(e.tts.texts.join('').length * 240);
    await h.conversation.close();
  });

  test('a failing engine fails the turn, not the session; the next turn works', async () => {
    const e = engines({
      reply: (call) =>
        call === 1 ? new EngineError('llm', 'upstream_error', 'HTTP 500 from upstream') : 'Fine now.',
    });
    const h = harness(e);
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    h.conversation.handleText(JSON.stringify({ type: 'text', text: 'first' }));
    await h.waitFor(() => h.events('turn_metrics').length === 1, 'failed turn');
    expect(h.events('error')[0]).toMatchObject({ code: 'llm.upstream_error', component: 'llm', turn_id: 1 });
    expect(h.events('turn_metrics')[0]).toMatchObject({ outcome: 'failed' });
    expect((await h.metrics.errorsTotal.get()).values).toContainEqual(
      expect.objectContaining({ labels: { component: 'llm', type: 'upstream_error' }, value: 1 }),
    );
    h.conversation.handleText(JSON.stringify({ type: 'text', text: 'second' }));
    await h.waitFor(() => h.events('turn_metrics').length === 2, 'second turn');
    expect(h.events('turn_metrics')[1]).toMatchObject({ outcome: 'completed' });
    expect(h.states.at(-1)).toBe('listening');
    await h.conversation.close();
  });

  test('TTS failure: error event tts.*, failed turn', async () => {
    const e = engines({ tts: () => new EngineError('tts', 'unavailable', 'connection refused') });
    const h = harness(e);
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    h.conversation.handleText(JSON.stringify({ type: 'text', text: 'hi' }));
    await h.waitFor(() => h.events('turn_metrics').length === 1, 'failed turn');
    expect(h.events('error')[0]).toMatchObject({ code: 'tts.unavailable', component: 'tts' });
    expect(h.events('turn_metrics')[0]).toMatchObject({ outcome: 'failed' });
    expect(e.llm.calls[0]?.aborted).toBe(true);
    await h.conversation.close();
  });

  test('speech without words is an empty turn', async () => {
    const e = engines({ asr: () => '' });
    const h = harness(e);
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    await h.sendAudio(320, true);
    await h.sendAudio(200, false);
    await h.waitFor(() => h.events('turn_metrics').length === 1, 'empty turn');
    expect(h.events('turn_metrics')[0]).toMatchObject({ outcome: 'empty' });
    expect(e.llm.calls).toHaveLength(0);
    expect(h.states.at(-1)).toBe('listening');
    await h.conversation.close();
  });

  test('with FALSE_INTERRUPTION_RESUME=false a blip over the agent ends its turn', async () => {
    const e = engines();
    const h = harness(e, { falseInterruptionResume: false });
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    await h.sendAudio(320, true);
    await h.sendAudio(160, false);
    await h.waitFor(() => h.events('audio_start').length === 1, 'audio_start');
    await new Promise((r) => setTimeout(r, 300));
    await h.sendAudio(96, true);
    await h.waitFor(() => h.events('turn_metrics').length === 1, 'turn end');
    expect(h.events('clear')).toHaveLength(1);
    expect(h.events('turn_metrics')[0]).toMatchObject({ outcome: 'interrupted' });
    expect(e.llm.calls[0]?.aborted).toBe(true);
    await h.sendAudio(200, false);
    expect(h.states.at(-1)).toBe('listening');
    await h.conversation.close();
  });

  test('an interrupt message stops the agent at once; end goes idle; a re-attach resumes the history', async () => {
    const e = engines();
    const h = harness(e);
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    h.conversation.handleText(JSON.stringify({ type: 'text', text: 'talk to me' }));
    await h.waitFor(() => h.events('audio_start').length === 1, 'audio_start');
    await new Promise((r) => setTimeout(r, 200));
    h.conversation.handleText(JSON.stringify({ type: 'interrupt' }));
    expect(h.events('clear')).toEqual([{ type: 'clear', turn_id: 1, reason: 'interrupt' }]);
    expect(h.events('turn_metrics')[0]).toMatchObject({ outcome: 'interrupted' });
    const audioAfterClear = h.sent.slice(
      h.sent.findIndex((x) => x.kind === 'event' && x.event.type === 'clear'),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(audioAfterClear.some((x) => x.kind === 'audio')).toBe(false);
    h.conversation.handleText(JSON.stringify({ type: 'end' }));
    expect(h.states.at(-1)).toBe('idle');
    h.conversation.handleBinary(Buffer.alloc(1024));
    expect(h.events('error').at(-1)).toMatchObject({ code: 'not_started' });
    h.conversation.detach();
    const again: string[] = [];
    h.conversation.attach({
      sendEvent: (ev) => again.push(JSON.stringify(ev)),
      sendAudio: () => {},
      bufferedBytes: () => 0,
    });
    expect(JSON.parse(again[0] as string)).toMatchObject({ type: 'session', resumed: true, state: 'idle' });
    expect(h.conversation.historyEntries().map((m) => m.role)).toEqual(['user', 'assistant']);
    await h.conversation.close();
  });

  test('protocol errors are answered with codes and the conversation goes on', async () => {
    const h = harness(engines());
    h.conversation.handleBinary(Buffer.alloc(640));
    h.conversation.handleText('{not json');
    h.conversation.handleText(JSON.stringify({ type: 'dance' }));
    h.conversation.handleText(JSON.stringify({ type: 'start', sample_rate: 1 }));
    h.conversation.handleText(JSON.stringify({ type: 'start' }));
    h.conversation.handleBinary(Buffer.alloc(641));
    h.conversation.handleBinary(Buffer.alloc(70_000));
    h.conversation.handleText(JSON.stringify({ type: 'ping', id: 7 }));
    expect(h.events('error').map((e) => e.code)).toEqual([
      'not_started',
      'bad_json',
      'bad_message',
      'bad_message',
      'bad_audio',
      'frame_too_large',
    ]);
    expect(h.events('pong')).toEqual([{ type: 'pong', id: 7 }]);
    expect(h.states).toEqual(['listening']);
    await h.conversation.close();
  });
});
