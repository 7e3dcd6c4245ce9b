/**
 * The web client in Debian's headless Chromium against a real runtime: the fake microphone plays a
 * recorded flite question (Chromium loops the WAV), the page shows its transcript, receives the
 * agent's audio and plays it.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../../hack/web-client/browser.js';
import { silence, speechPcm } from '../../../hack/fixtures/speech.js';
import { concatPcm } from '../../../hack/bench/voice/voice-client.js';
import { startOpenAiCompatible, type OpenAiServer } from '../../../hack/servers/openai-compatible.js';
import { writeWav } from '../../audio/wav.js';
import { startVoiceRuntime, type RunningVoiceRuntime } from './voice-runtime.js';

jest.setTimeout(120_000);

const REPLY = 'It is twelve o clock. Time for lunch, I would say.';

let llm: OpenAiServer;
let rt: RunningVoiceRuntime;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'goassist-web-'));
  const wav = join(dir, 'question.wav');
  // Chromium's fake capture loops the file: the question, then a pause long enough for the reply.
  await writeFile(
    wav,
    writeWav(concatPcm(silence(0.5), await speechPcm('what time is it'), silence(6)), 16000),
  );
  llm = await startOpenAiCompatible({
    host: '127.0.0.1',
    port: 0,
    chat: { reply: REPLY, firstTokenDelayMs: 30, interTokenDelayMs: 10 },
    speech: { latencyMs: 20, chunkMs: 100, interChunkDelayMs: 5, audio: 'tone' },
  });
  rt = await startVoiceRuntime({
    LLM_BASE_URL: `${llm.url}/v1`,
    LLM_MODEL_NAME: 'local-model',
    ASR_ENGINE: 'pocketsphinx',
    TTS_ENGINE: 'openai',
    TTS_BASE_URL: `${llm.url}/v1`,
    CSRF_ENABLED: 'true',
  });
  browser = await launchChromium({ fakeMicWav: wav });
});

afterAll(async () => {
  await browser?.close();
  await rt?.close();
  await llm?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the page speaks a recorded question, shows its transcript, receives and plays agent audio', async () => {
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(`${rt.baseUrl}/`);
  await page.click('#connect');
  await page.waitForFunction(
    () => (window as unknown as { goassist: { transcripts: string[] } }).goassist.transcripts.length > 0,
    null,
    {
      timeout: 30_000,
    },
  );
  await page.waitForFunction(
    () =>
      (window as unknown as { goassist: { turns: { outcome?: string }[] } }).goassist.turns.some(
        (t) => t.outcome === 'completed',
      ),
    null,
    { timeout: 30_000 },
  );
  const state = await page.evaluate(() => {
    const g = (window as unknown as { goassist: Record<string, unknown> }).goassist;
    return {
      transcripts: g.transcripts,
      partials: g.partials,
      agentTexts: g.agentTexts,
      audioBytes: g.audioBytes,
      turns: g.turns,
      errors: g.errors,
    };
  });
  expect(String((state.transcripts as string[])[0])).toContain('time');
  // The recogniser streams: the page showed hypotheses while the question was being spoken.
  expect((state.partials as string[]).length).toBeGreaterThan(0);
  expect(state.agentTexts).toContain(REPLY);
  expect(state.audioBytes as number).toBeGreaterThan(24000);
  const turn = (state.turns as Record<string, number | string>[]).find(
    (t) => t.outcome === 'completed',
  ) as Record<string, number>;
  expect(turn.ttfa_ms).toBeGreaterThan(0);
  expect(turn.clientTtfa).toBeGreaterThan(0);
  // Played, not just received: the player scheduled and finished buffers.
  await page.waitForFunction(
    () => (window as unknown as { goassist: { played: () => number } }).goassist.played() > 0,
    null,
    { timeout: 10_000 },
  );
  await expect(page.locator('#transcript li.user').first()).toBeTruthy();
  expect(await page.locator('#transcript li.user').first().textContent()).toContain('time');
  expect(await page.locator('#turns tbody tr').count()).toBeGreaterThan(0);
  expect(state.errors).toEqual([]);
  expect(consoleErrors).toEqual([]);
  process.stdout.write(`web client turn: ${JSON.stringify(turn)}\n`);
  await page.close();
});
