import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What every local protocol server shares: a real HTTP listener on loopback, a record of each
 * request (including whether the client hung up before the response ended) and a clean close.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, form fields (multipart) or raw text. */
  body: unknown;
  receivedAt: number;
  /** The response was fully written. */
  finished: boolean;
  /** The client closed the connection before the response was finished (e.g. an aborted stream). */
  aborted: boolean;
}

export interface ServerHandle {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Resolves when `predicate` holds (checked every 5 ms); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ListenOptions {
  port?: number;
  host?: string;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  record: RecordedRequest,
  raw: Buffer,
) => Promise<void>;

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startHttpServer(handler: Handler, opts: ListenOptions): Promise<ServerHandle> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: undefined,
      receivedAt: Date.now(),
      finished: false,
      aborted: false,
    };
    requests.push(record);
    res.on('finish', () => (record.finished = true));
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    readBody(req)
      .then((raw) => handler(req, res, record, raw))
      .catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: 'server_error' } });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    requests,
    waitFor: (predicate, timeoutMs = 5_000) => waitFor(predicate, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Resolves after `ms`, or early (false) when the client has gone. */
export function delay(ms: number, res: ServerResponse): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

/** Writes and waits for the socket to drain, so slow clients apply backpressure. */
export async function write(res: ServerResponse, chunk: string | Uint8Array): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** Parses JSON; `undefined` when the body is not JSON. */
export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Takes the next scripted step, or the default when the script is used up. */
export function nextStep<T extends object>(queue: Partial<T>[], defaults: T): T {
  return { ...defaults, ...(queue.shift() ?? {}) };
}

/** Runs `start` when the module is the process's entry point, stops it on SIGINT/SIGTERM. */
export function runAsCli(metaUrl: string, start: () => Promise<ServerHandle>): void {
  const entry = process.argv[1];
  if (!entry || fileURLToPath(metaUrl) !== resolve(entry)) return;
  start()
    .then((handle) => {
      console.log(`listening on ${handle.url}`);
      const stop = (): void => void handle.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
