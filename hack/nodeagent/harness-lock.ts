import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Shared by every node agent on the machine (also across jest workers and processes). */
export const HARNESS_STATE_DIR = '/run/goassist-harness';
const LOCK_FILE = join(HARNESS_STATE_DIR, 'network.lock');
const LOCK_WAIT_MS = 30_000;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding the harness network lock: an exclusively created file holding the holder's
 * pid. A lock whose holder died is taken over. Serialises bridge, slot and namespace changes between
 * agents, so one agent never deletes the bridge while another attaches to it.
 */
export async function withHarnessLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(HARNESS_STATE_DIR, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(readFileSync(LOCK_FILE, 'utf8'));
      } catch {
        continue; // released between our open and read
      }
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
        rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`node agent: harness lock ${LOCK_FILE} held by pid ${holder} for ${LOCK_WAIT_MS} ms`);
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_FILE, { force: true });
  }
}
