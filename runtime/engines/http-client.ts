/**
 * The HTTP client of the engines that speak plain HTTP (ASR and TTS servers): node:http(s) over one
 * keep-alive agent per protocol. An exchange costs about a third of the CPU that `fetch` spends on it
 * (no WHATWG streams, Request or Response objects), which counts when dozens of turns start in the same
 * second (docs/performance.md). The agent reuses the most recently freed connection first and drops an
 * idle one before the server's `Keep-Alive: timeout` hint runs out. The LLM stays on the openai SDK.
 */
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import https from 'node:https';

/**
 * Diagnostics channels of every exchange, with the messages undici publishes on its `undici:request:*`
 * channels (same shapes), so telemetry traces both clients alike and can add headers (trace context)
 * before the request is sent: `create` {request}, `headers` {request, response: {statusCode}},
 * `done` {request} once the body was read or dropped, `error` {request, error}.
 */
export const HTTP_CLIENT_CHANNELS = {
  create: 'goassist:http:request:create',
  headers: 'goassist:http:request:headers',
  done: 'goassist:http:request:done',
  error: 'goassist:http:request:error',
} as const;

const channels = {
  create: diagnostics.channel(HTTP_CLIENT_CHANNELS.create),
  headers: diagnostics.channel(HTTP_CLIENT_CHANNELS.headers),
  done: diagnostics.channel(HTTP_CLIENT_CHANNELS.done),
  error: diagnostics.channel(HTTP_CLIENT_CHANNELS.error),
};

/** What the channels carry as `request`. */
export interface TracedRequest {
  method: string;
  origin: string;
  path: string;
  addHeader(name: string, value: string): void;
}

export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  /** A response header (case-insensitive name); repeated headers are joined with `, `. */
  header(name: string): string | undefined;
  /** The body, chunk by chunk as it arrives; read it once. */
  readonly body: AsyncIterable<Uint8Array>;
  /** The body as UTF-8; past `maxBytes` the rest is dropped and the connection closed. */
  text(maxBytes?: number): Promise<string>;
  /** The body parsed as JSON (a SyntaxError when it is not). */
  json(): Promise<unknown>;
  /** Stops reading: the connection is closed, not reused, unless the body had been read to its end. */
  cancel(): void;
}

export interface HttpRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent with its Content-Length. */
  body?: string | Uint8Array | readonly Uint8Array[];
  /** Aborts the exchange, also while the body is being read. */
  signal?: AbortSignal;
}

const USER_AGENT = 'goassist-runtime';

const agents = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo' }),
} as const;

/** Sends one request; resolves once the response headers are in, whatever the status. */
export function httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new TypeError(`not a URL: ${url}`));
  }
  const protocol = target.protocol;
  if (protocol !== 'http:' && protocol !== 'https:')
    return Promise.reject(new TypeError(`unsupported protocol ${protocol} in ${target.origin}`));
  const parts = bodyParts(opts.body);
  const length = parts.reduce((n, p) => n + p.byteLength, 0);
  // Some gateways refuse requests without a User-Agent; a caller's own one wins.
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] = String(length);
  const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST');
  const traced: TracedRequest = {
    method,
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
    addHeader: (name, value) => void (headers[name.toLowerCase()] = value),
  };
  if (channels.create.hasSubscribers) channels.create.publish({ request: traced });
  const client = protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      { method, headers, agent: agents[protocol], ...(opts.signal ? { signal: opts.signal } : {}) },
      (res) => {
        if (channels.headers.hasSubscribers)
          channels.headers.publish({ request: traced, response: { statusCode: res.statusCode ?? 0 } });
        res.once('end', () => channels.done.hasSubscribers && channels.done.publish({ request: traced }));
        res.once('close', () => {
          if (!res.complete && channels.done.hasSubscribers) channels.done.publish({ request: traced });
        });
        resolve(new NodeHttpResponse(res, opts.signal));
      },
    );
    req.once('error', (error) => {
      if (channels.error.hasSubscribers) channels.error.publish({ request: traced, error });
      reject(error);
    });
    for (const part of parts) req.write(part);
    req.end();
  });
}

function bodyParts(body: HttpRequestOptions['body']): Uint8Array[] {
  if (body === undefined) return [];
  if (typeof body === 'string') return [Buffer.from(body, 'utf8')];
  if (body instanceof Uint8Array) return [body];
  return [...body];
}

class NodeHttpResponse implements HttpResponse {
  readonly status: number;
  readonly ok: boolean;

  constructor(
    private readonly res: http.IncomingMessage,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
  }

  header(name: string): string | undefined {
    const value = this.res.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  get body(): AsyncIterable<Uint8Array> {
    return this.chunks();
  }

  /** As fetch does, a read cut short by the signal fails with the signal's reason (an AbortError). */
  private async *chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of this.res) yield chunk as Buffer;
    } catch (err) {
      if (this.signal?.aborted) throw this.signal.reason;
      throw err;
    }
  }

  async text(maxBytes = Infinity): Promise<string> {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of this.chunks()) {
      chunks.push(chunk);
      bytes += chunk.byteLength;
      if (bytes >= maxBytes) break;
    }
    this.cancel();
    return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  cancel(): void {
    if (!this.res.complete) this.res.destroy();
  }
}
