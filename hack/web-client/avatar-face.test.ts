/**
 * The web client's face (examples/web-client/avatar.js) in a real browser (Debian's chromium through
 * playwright-core): blendshapes drive the mouth and eyes at the audio's position, stale or other
 * segments' frames are ignored, and the face eases to neutral when frames stop.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';

const WEB_CLIENT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'web-client');
const PAGE = `<!doctype html><canvas id="face" width="200" height="200"></canvas>
<script type="module">
  import { AvatarFace } from '/avatar.js';
  window.playback = null;
  window.face = new AvatarFace(document.getElementById('face'), { getPlayback: () => window.playback });
  window.ready = true;
</script>`;

let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/avatar.js') {
      void readFile(join(WEB_CLIENT, 'avatar.js')).then((js) => {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(js);
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  browser = await launchChromium();
  page = await browser.newPage();
});

beforeEach(async () => {
  // A fresh page, so every test starts from a neutral face.
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

type FaceWindow = {
  face: {
    handleEvent(e: unknown): void;
    tick(now: number): void;
    w(name: string): number;
  };
  playback: { turnId: number; seconds: number } | null;
};

/** Runs `ticks` animation steps of 16 ms at playback positions from `from` on; returns JawOpen and mouth pixels. */
async function animate(
  from: number | null,
  ticks: number,
  turnId = 1,
): Promise<{ jaw: number; blink: number; mouth: number }> {
  return page.evaluate(
    ({ from, ticks, turnId }) => {
      const win = window as unknown as FaceWindow;
      const start = performance.now();
      for (let i = 0; i < ticks; i++) {
        win.playback = from === null ? null : { turnId, seconds: from + (i * 16) / 1000 };
        win.face.tick(start + i * 16);
      }
      const canvas = document.getElementById('face') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, 200, 200).data;
      let mouth = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (
          Math.abs(data[i]! - 0x7a) < 12 &&
          Math.abs(data[i + 1]! - 0x26) < 12 &&
          Math.abs(data[i + 2]! - 0x30) < 12
        )
          mouth++;
      }
      return { jaw: win.face.w('JawOpen'), blink: win.face.w('EyeBlinkLeft'), mouth };
    },
    { from, ticks, turnId },
  );
}

function send(event: unknown): Promise<void> {
  return page.evaluate((e) => (window as unknown as FaceWindow).face.handleEvent(e), event);
}

const NAMES = ['EyeBlinkLeft', 'EyeBlinkRight', 'JawOpen', 'MouthFunnel'];
/** 2 s of frames at 30 fps: jaw wide open, eyes closed. */
const OPEN = Array.from({ length: 60 }, (_, i) => ({ t: i / 30, w: [1, 1, 1, 0] }));

describe('web client face', () => {
  it('starts neutral, opens the jaw and closes the eyes with the frames at the audio position', async () => {
    const neutral = await animate(null, 5);
    expect(neutral.jaw).toBe(0);
    await send({ type: 'audio_start', turn_id: 1, sample_rate: 24000, resumed: false });
    await send({ type: 'blendshapes', turn_id: 1, segment: 0, names: NAMES, frames: OPEN });
    const talking = await animate(0.1, 20);
    expect(talking.jaw).toBeGreaterThan(0.9);
    expect(talking.blink).toBeGreaterThan(0.9);
    expect(talking.mouth).toBeGreaterThan(neutral.mouth * 1.5);
  });

  it('eases to neutral after a clear (barge-in)', async () => {
    await send({ type: 'audio_start', turn_id: 1, sample_rate: 24000, resumed: false });
    await send({ type: 'blendshapes', turn_id: 1, segment: 0, names: NAMES, frames: OPEN });
    expect((await animate(0.1, 20)).jaw).toBeGreaterThan(0.9);
    await send({ type: 'clear', turn_id: 1, reason: 'barge_in' });
    const after = await animate(0.5, 60);
    expect(after.jaw).toBeLessThan(0.05);
  });

  it('ignores frames of another segment and eases to neutral when frames are stale', async () => {
    await send({ type: 'audio_start', turn_id: 1, sample_rate: 24000, resumed: false }); // segment 0
    await send({ type: 'audio_start', turn_id: 1, sample_rate: 24000, resumed: true }); // segment 1
    await send({ type: 'blendshapes', turn_id: 1, segment: 0, names: NAMES, frames: OPEN });
    expect((await animate(0.2, 20)).jaw).toBeLessThan(0.05);
    await send({ type: 'blendshapes', turn_id: 1, segment: 1, names: NAMES, frames: OPEN.slice(0, 15) });
    expect((await animate(0.2, 10)).jaw).toBeGreaterThan(0.8);
    // The audio plays on past the last frame (0.47 s): the avatar lags, the face relaxes.
    expect((await animate(1.5, 60)).jaw).toBeLessThan(0.05);
  });

  it('shows the avatar as offline on avatar_status down and drops its frames', async () => {
    await send({ type: 'audio_start', turn_id: 2, sample_rate: 24000, resumed: false });
    await send({ type: 'blendshapes', turn_id: 2, segment: 0, names: NAMES, frames: OPEN });
    await send({ type: 'avatar_status', state: 'down', detail: 'Audio2Face unreachable' });
    expect((await animate(0.1, 30, 2)).jaw).toBeLessThan(0.05);
  });
});
