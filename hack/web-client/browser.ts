/**
 * Debian's chromium, headless through playwright-core, as every browser test starts it: no sandbox
 * (root), no background networking (this machine's network is closed), and optionally a WAV file
 * played as the microphone.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchChromium(opts: { fakeMicWav?: string } = {}): Promise<Browser> {
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update'];
  if (opts.fakeMicWav) {
    args.push(
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${opts.fakeMicWav}`,
      '--autoplay-policy=no-user-gesture-required',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args });
}
