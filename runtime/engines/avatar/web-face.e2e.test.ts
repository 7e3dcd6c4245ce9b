/**
 * What the demo shows: the web client in Debian's headless Chromium, talking to a real runtime with
 * the avatar on against the Audio2Face stand-in. The face opens its jaw while the agent speaks (frames
 * computed from the agent's audio, shown at the audio's playback position) and eases back to neutral
 * once the voice stops.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../../hack/web-client/browser.js';
import { concatPcm } from '../../../hack/bench/voice/voice-client.js';
import { silence, speechPcm } from '../../../hack/fixtures/speech.js';
import { startAudio2FaceStandIn, type Audio2FaceStandIn } from '../../../hack/servers/audio2face.js';
import { startOpenAiCompatible, type OpenAiServer } from '../../../hack/servers/openai-compatible.js';
import { writeWav } from '../../audio/wav.js';
import { startVoiceRuntime, type RunningVoiceRuntime } from '../../test/e2e/voice-runtime.js';

jest.setTimeout(120_000);

const REPLY = 'Hello there. Here is a longer answer, so that the face has time to talk along with it.';

let llm: OpenAiServer;
let a2f: Audio2FaceStandIn;
let rt: RunningVoiceRuntime;
let browser: Browser;
let dir: string;

type FaceWindow = {
  goassist: { faceWeight(name: string): number; turns: { outcome?: string }[]; played(): number };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'goassist-face-'));
  const wav = join(dir, 'question.wav');
  // Chromium's fake microphone loops the file: a question, then a long pause for the reply.
  await writeFile(
    wav,
    writeWav(concatPcm(silence(0.5), await speechPcm('hello how are you'), silence(12)), 16000),
  );
  llm = await startOpenAiCompatible({
    chat: { reply: REPLY, interTokenDelayMs: 5 },
    transcription: { text: 'hello how are you' },
    speech: { audio: 'espeak' },
  });
  a2f = await startAudio2FaceStandIn();
  rt = await startVoiceRuntime({
    LLM_BASE_URL: `${llm.url}/v1`,
    ASR_ENGINE: 'openai',
    TTS_ENGINE: 'openai',
    ENABLE_AVATAR: 'true',
    AUDIO2FACE_GRPC_URL: a2f.address,
  });
  browser = await launchChromium({ fakeMicWav: wav });
});

afterAll(async () => {
  await browser?.close();
  await rt?.close();
  await a2f?.close();
  await llm?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the face talks with the agent voice and rests when it stops', async () => {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${rt.baseUrl}/`);
  await page.click('#connect');
  // While the agent speaks, the jaw opens (the frames follow the audio being played).
  await page.waitForFunction(
    () => (window as unknown as FaceWindow).goassist.faceWeight('JawOpen') > 0.2,
    null,
    {
      timeout: 60_000,
    },
  );
  expect(a2f.calls.length).toBeGreaterThan(0);
  await page.waitForFunction(
    () => (window as unknown as FaceWindow).goassist.turns.some((t) => t.outcome === 'completed'),
    null,
    { timeout: 60_000 },
  );
  // After the reply has played, the face rests again.
  await page.waitForFunction(
    () => (window as unknown as FaceWindow).goassist.faceWeight('JawOpen') < 0.02,
    null,
    {
      timeout: 20_000,
    },
  );
  expect(pageErrors).toEqual([]);
  await page.close();
});
