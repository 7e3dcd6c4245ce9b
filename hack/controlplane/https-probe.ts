import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { ManagedProcess } from './process.js';
import { ControlPlaneError } from './errors.js';

export interface TlsClient {
  ca: string;
  cert?: string;
  key?: string;
}

/** GET over HTTPS with the harness CA (and a client certificate when given); resolves status and body. */
export function httpsGet(
  url: string,
  tls: TlsClient,
  timeoutMs = 5_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: readFileSync(tls.ca),
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `url` until it answers 200, the process dies (typed error), or `timeoutMs` passes (typed error). */
export async function waitForHealthy(
  url: string,
  tls: TlsClient,
  proc: ManagedProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const exited = proc.exitError();
    if (exited) throw exited;
    try {
      const res = await httpsGet(url, tls, 2_000);
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${res.body.slice(0, 500)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new ControlPlaneError(
    'NOT_READY',
    `${proc.name} not healthy at ${url} after ${timeoutMs} ms (${last}); last output:\n${proc.recentOutput()}`,
  );
}
