import { rmSync } from 'node:fs';
import { jestStateFile } from './jest-global-setup.js';

export default async function globalTeardown(): Promise<void> {
  const cp = globalThis.__goassistControlPlane;
  globalThis.__goassistControlPlane = undefined;
  try {
    if (cp) await cp.stop();
  } finally {
    rmSync(jestStateFile(), { force: true });
  }
}
