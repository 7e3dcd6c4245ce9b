/**
 * A small HTTP client over node:http for tests against the real listening server. (fastify's
 * inject() cannot run under jest on Node 20: light-my-request requires the ESM-only `cookie`.)
 */
import { request as httpRequest } from 'node:http';

export interface TestRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  payload?: object | string;
}

export interface TestResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function httpClient(baseUrl: string) {
  return (req: TestRequest | string): Promise<TestResponse> => {
    const r = typeof req === 'string' ? { url: req } : req;
    const headers: Record<string, string> = { ...r.headers };
    let body: string | undefined;
    if (typeof r.payload === 'string') body = r.payload;
    else if (r.payload !== undefined) {
      body = JSON.stringify(r.payload);
      headers['content-type'] ??= 'application/json';
    }
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        new URL(r.url, baseUrl),
        { method: r.method ?? 'GET', headers, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              statusCode: res.statusCode ?? 0,
              headers: res.headers,
              body: text,
              json: () => JSON.parse(text),
            });
          });
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      if (body !== undefined) out.end(body);
      else out.end();
    });
  };
}
