import { execFile } from 'node:child_process';
import { constants, open } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';

const run = promisify(execFile);
const openFd = promisify(open);

/** Creates a named pipe (once per pipe: pipes are reused, so this is not per utterance). */
export async function makeFifo(path: string): Promise<void> {
  await run('mkfifo', ['-m', '600', path]);
}

export class FifoTimeoutError extends Error {
  override readonly name = 'FifoTimeoutError';
}

/**
 * Opens the write end of a named pipe without blocking a thread: a non-blocking open fails with
 * ENXIO until the reader has opened its end, so it is retried until `timeoutMs`. The returned
 * socket writes through the event loop (libuv handles a full pipe).
 */
export async function openFifoWriter(
  path: string,
  timeoutMs: number,
  isCancelled: () => boolean,
): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(20, wait * 2)) {
    try {
      const fd = await openFd(path, constants.O_WRONLY | constants.O_NONBLOCK);
      return new net.Socket({ fd, readable: false, writable: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
    }
    if (isCancelled()) throw new FifoTimeoutError(`${path}: reader went away`);
    if (Date.now() > deadline) throw new FifoTimeoutError(`${path}: no reader within ${timeoutMs} ms`);
    await delay(wait);
  }
}

/**
 * Opens a named pipe for reading through the event loop. Read-write, so that the pipe always has
 * a writer (this end) and a writer that closes or restarts does not end the stream.
 */
export async function openFifoReader(path: string): Promise<net.Socket> {
  const fd = await openFd(path, constants.O_RDWR | constants.O_NONBLOCK);
  return new net.Socket({ fd, readable: true, writable: false });
}
