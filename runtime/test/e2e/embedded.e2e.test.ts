/**
 * The embedded defaults `make demo` uses, with no server anywhere: Silero VAD, pocketsphinx, the
 * offline responder (labelled offline in /health) and espeak-ng. A spoken question gets a transcript,
 * an answer and real synthesized speech.
 */
import { jest } from '@jest/globals';
import { silence, speechPcm } from '../../../hack/fixtures/speech.js';
import { VoiceClient, concatPcm, createSession } from '../../../hack/bench/voice/voice-client.js';
import { startVoiceRuntime, type RunningVoiceRuntime } from './voice-runtime.js';

jest.setTimeout(120_000);

let rt: RunningVoiceRuntime;

beforeAll(async () => {
  rt = await startVoiceRuntime({});
});

afterAll(async () => {
  await rt?.close();
});

test('spoken question with embedded engines: transcript, offline answer, espeak audio', async () => {
  const health = (await (await fetch(`${rt.baseUrl}/health`)).json()) as {
    components: Record<string, { engine: string; offline?: boolean; state: string }>;
  };
  expect(health.components.llm).toMatchObject({ engine: 'offline', offline: true, state: 'up' });
  expect(health.components.tts?.engine).toBe('espeak');
  expect(health.components.asr?.engine).toBe('pocketsphinx');

  const client = await VoiceClient.connect(await createSession(rt.baseUrl));
  const speaking = client.stream(concatPcm(await speechPcm('what time is it'), silence(4)));
  await client.waitFor(() => client.find('turn_metrics') !== undefined, 'turn metrics', 40_000);
  await speaking;
  expect(String(client.find('transcript', (e) => e.final === true)?.text)).toContain('time');
  const answer = client.find('agent_text', (e) => e.final === true);
  expect(String(answer?.text).length).toBeGreaterThan(0);
  expect(client.find('turn_metrics')).toMatchObject({ outcome: 'completed' });
  const bytes = client.audio.reduce((n, a) => n + a.bytes, 0);
  expect(bytes).toBeGreaterThan(24000); // over half a second of 24 kHz PCM16 speech
  process.stdout.write(
    `embedded turn: ${JSON.stringify(client.find('turn_metrics'))} "${String(answer?.text)}"\n`,
  );
  await client.close();
});

test('partial transcripts arrive while the user is still speaking, then the final one', async () => {
  const client = await VoiceClient.connect(await createSession(rt.baseUrl));
  const question = await speechPcm('what is the weather like today');
  const speaking = client.stream(concatPcm(question, silence(4)));
  await client.waitFor(() => client.find('turn_metrics') !== undefined, 'turn metrics', 40_000);
  await speaking;
  const final = client.find('transcript', (e) => e.final === true);
  expect(String(final?.text).split(/\s+/)).toContain('weather');
  const partials = client.all('transcript').filter((e) => e.final === false);
  expect(partials.length).toBeGreaterThanOrEqual(2);
  for (const p of partials) {
    expect(p.turn_id).toBe(final?.turn_id);
    expect(p.at).toBeLessThan(final!.at);
  }
  // The first hypothesis comes while the question is being spoken, not after it.
  const speechEnd = client.find('vad', (e) => e.event === 'speech_end');
  expect(partials[0]!.at).toBeLessThan(speechEnd!.at);
  await client.close();
});
