import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeConnectionError } from './errors.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
export const WRITE_VERBS: readonly Verb[] = ['create', 'update', 'patch', 'delete'];

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Called once per request sent (for the operator's request metrics and for tests that count writes). */
export type RequestListener = (info: { verb: Verb; method: string; path: string; status: number }) => void;

const DEFAULT_TIMEOUT_MS = 30_000;
/** How long authentication headers are reused before the kubeconfig (or token file) is read again. */
const AUTH_REFRESH_MS = 60_000;

function verbOf(method: string, path: string, query: RequestOptions['query']): Verb {
  if (method === 'GET') return query?.watch ? 'watch' : isCollection(path) ? 'list' : 'get';
  return (
    ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as const)[method as 'POST'] ?? 'get'
  );
}

/** A path is a collection when it ends with a resource plural (odd number of segments after the group/version). */
function isCollection(path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  return rest.length % 2 === 1;
}

/**
 * A small REST client over a client-node KubeConfig: client-node loads the configuration and credentials
 * (kubeconfig file, in-cluster service account, exec plugins); requests go through one keep-alive agent.
 */
export class KubeClient {
  readonly server: URL;
  private readonly listeners = new Set<RequestListener>();
  private auth: { agent: http.Agent; headers: Record<string, string>; at: number } | undefined;

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeConnectionError('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  static fromFile(path: string): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return new KubeClient(kc);
  }

  /** KUBECONFIG or ~/.kube/config, else the in-cluster service account. */
  static fromDefault(): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new KubeClient(kc);
  }

  onRequest(listener: RequestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async credentials(): Promise<{ agent: http.Agent; headers: Record<string, string> }> {
    if (this.auth && Date.now() - this.auth.at < AUTH_REFRESH_MS) return this.auth;
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const previous = this.auth?.agent;
    const agent =
      this.server.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            maxSockets: 32,
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            rejectUnauthorized: opts.rejectUnauthorized ?? !this.kc.getCurrentCluster()?.skipTLSVerify,
          })
        : new http.Agent({ keepAlive: true, maxSockets: 32 });
    this.auth = { agent, headers, at: Date.now() };
    // Sockets of the old agent finish their requests, then close.
    setTimeout(() => previous?.destroy(), 120_000).unref();
    return this.auth;
  }

  private url(path: string, query: RequestOptions['query']): URL {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const { agent, headers } = await this.credentials();
    const url = this.url(path, opts.query);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const reqHeaders: Record<string, string> = { ...headers, Accept: 'application/json' };
    if (body !== undefined) {
      reqHeaders['Content-Type'] = opts.contentType ?? 'application/json';
      reqHeaders['Content-Length'] = String(Buffer.byteLength(body));
    }
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, agent, headers: reqHeaders, signal: opts.signal }, (res) => {
        const verb = verbOf(method, url.pathname, opts.query);
        for (const l of this.listeners) l({ verb, method, path: url.pathname, status: res.statusCode ?? 0 });
        resolve(res);
      });
      if (opts.timeoutMs !== 0) {
        req.setTimeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, () =>
          req.destroy(new KubeConnectionError(`${method} ${url.pathname}: timed out`)),
        );
      }
      req.on('error', (err) =>
        reject(
          err instanceof KubeConnectionError || err.name === 'AbortError'
            ? err
            : new KubeConnectionError(`${method} ${url.pathname}: ${err.message}`, { cause: err }),
        ),
      );
      req.end(body);
    });
  }

  private static async readBody(res: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private static toError(status: number, text: string, what: string): KubeApiError {
    try {
      const s = JSON.parse(text) as { reason?: string; message?: string; details?: unknown };
      return new KubeApiError(
        status,
        s.reason ?? 'Unknown',
        s.message ?? `${what}: HTTP ${status}`,
        s.details,
      );
    } catch {
      return new KubeApiError(status, 'Unknown', `${what}: HTTP ${status}: ${text.slice(0, 200)}`);
    }
  }

  /** One request; resolves with the parsed JSON body, throws KubeApiError for a non-2xx answer. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    let text: string;
    try {
      text = await KubeClient.readBody(res);
    } catch (err) {
      throw new KubeConnectionError(`${method} ${path}: ${(err as Error).message}`, { cause: err });
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw KubeClient.toError(status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * A watch stream: calls onEvent for every line until the server ends the stream (resolves) or it
   * fails (rejects). The caller decides whether to resume from a resourceVersion or relist.
   */
  async watch(
    path: string,
    query: RequestOptions['query'],
    onEvent: (event: unknown) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await this.send('GET', path, { query: { ...query, watch: true }, signal, timeoutMs: 0 });
    const status = res.statusCode ?? 0;
    if (status !== 200) throw KubeClient.toError(status, await KubeClient.readBody(res), `watch ${path}`);
    let buffered = '';
    try {
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) !== -1) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) onEvent(JSON.parse(line));
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new KubeConnectionError(`watch ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.complete && !signal.aborted)
      throw new KubeConnectionError(`watch ${path}: connection closed mid-stream`);
  }

  close(): void {
    this.auth?.agent.destroy();
    this.auth = undefined;
  }
}
