import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { httpRequest, type HttpResponse } from './http-client.js';
import { EngineError, type ComponentName, type ComponentStatus } from './types.js';

/** Why an HTTP exchange failed, kept as the `cause` of its EngineError (status and the server's wait hint). */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Maps an HTTP status to an engine error: 408/429/5xx are worth another try, other 4xx are not. */
export function errorFromStatus(
  component: ComponentName,
  status: number,
  detail: string,
  retryAfterMs?: number,
): EngineError {
  const cause = new HttpStatusError(status, detail, retryAfterMs);
  const message = `upstream answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 408) return new EngineError(component, 'timeout', message, true, { cause });
  if (status === 429 || status === 502 || status === 503 || status === 504)
    return new EngineError(component, 'unavailable', message, true, { cause });
  if (status >= 500) return new EngineError(component, 'upstream_error', message, true, { cause });
  if (status === 401 || status === 403 || status === 404)
    return new EngineError(component, 'config', `${message} (check URL, model and API key)`, false, {
      cause,
    });
  return new EngineError(component, 'upstream_error', message, false, { cause });
}

/** Maps a failure of `fetch` or of reading its body (not an abort) to an engine error. */
export function errorFromFetch(component: ComponentName, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  // Errors of fetch and Response.json may come from another realm (e.g. under a test VM): match by name.
  if (nameOf(err) === 'SyntaxError')
    return new EngineError(component, 'bad_response', `malformed response: ${describe(err)}`, false, {
      cause: err,
    });
  if (isNetworkError(err))
    return new EngineError(component, 'unavailable', `cannot reach upstream: ${describe(err)}`, true, {
      cause: err,
    });
  return new EngineError(component, 'internal', describe(err), false, { cause: err });
}

/** Maps an error of the `openai` SDK to an engine error. */
export function errorFromOpenAi(component: ComponentName, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  if (err instanceof APIConnectionTimeoutError)
    return new EngineError(component, 'timeout', 'upstream request timed out', true, { cause: err });
  if (err instanceof APIConnectionError)
    return new EngineError(
      component,
      'unavailable',
      `cannot reach upstream: ${describe(err.cause ?? err)}`,
      true,
      {
        cause: err,
      },
    );
  if (err instanceof APIError) {
    if (err.status !== undefined) {
      return errorFromStatus(
        component,
        err.status,
        errorDetail(err.error),
        retryAfterMs(err.headers?.get('retry-after')),
      );
    }
    // An error event inside a stream that had started: the server gave up on this request.
    return new EngineError(component, 'upstream_error', `upstream reported an error: ${err.message}`, false, {
      cause: err,
    });
  }
  return errorFromFetch(component, err);
}

/** The server's `Retry-After` (seconds or HTTP date) in ms, if it sent one. */
export function retryAfterMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The wait hint carried by an engine error built by this module. */
export function retryAfterOf(err: unknown): number | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof HttpStatusError ? cause.retryAfterMs : undefined;
}

const ERROR_BODY_MAX_BYTES = 8 * 1024;

/** Throws the mapped engine error unless `res` is 2xx; reads at most a short snippet of an error body. */
export async function ensureOk(component: ComponentName, res: HttpResponse): Promise<HttpResponse> {
  if (res.ok) return res;
  const location = res.header('location');
  if (res.status >= 300 && res.status < 400 && location) {
    res.cancel();
    // Engine endpoints are configured, not discovered: a redirect means the base URL is not the API's.
    throw new EngineError(
      component,
      'config',
      `upstream answered HTTP ${res.status}, a redirect to ${redactUrl(location)}: set the base URL to where it points`,
    );
  }
  const text = await res.text(ERROR_BODY_MAX_BYTES).catch(() => '');
  throw errorFromStatus(
    component,
    res.status,
    errorDetail(safeJson(text) ?? text),
    retryAfterMs(res.header('retry-after')),
  );
}

/** One short GET with its own timeout: is the endpoint there? Never throws. */
export async function probe(
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<string | undefined> {
  try {
    const res = await httpRequest(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    res.cancel();
    if (res.status >= 500) return `HTTP ${res.status} from ${redactUrl(url)}`;
    return undefined;
  } catch (err) {
    return `cannot reach ${redactUrl(url)}: ${describe(err)}`;
  }
}

/** `Authorization: Bearer` for an endpoint's key, or nothing when it needs none. */
export function bearer(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** A config error unless `baseUrl` parses as a URL. */
export function checkBaseUrl(component: ComponentName, baseUrl: string): void {
  try {
    new URL(baseUrl);
  } catch {
    throw new EngineError(
      component,
      'config',
      `${component.toUpperCase()} base URL is not a URL: ${baseUrl}`,
    );
  }
}

/**
 * An OpenAI SDK client for an OpenAI-compatible server, once its base URL checks out. It never
 * retries by itself: the engines retry, and time out each try; `timeoutMs` is the SDK's own deadline.
 */
export function openAiClient(
  component: ComponentName,
  opts: { baseUrl: string; apiKey?: string; timeoutMs: number },
): OpenAI {
  checkBaseUrl(component, opts.baseUrl);
  return new OpenAI({
    baseURL: opts.baseUrl,
    // Servers like vLLM and Ollama need no key, but the SDK insists on one.
    apiKey: opts.apiKey || 'unused',
    maxRetries: 0,
    timeout: opts.timeoutMs,
    logLevel: 'off',
  });
}

/** Probes an endpoint at init: `down` with the problem, or `up` with `upDetail` (for /health). */
export async function probeStatus(
  engine: string,
  probeUrl: string,
  timeoutMs: number,
  headers: Record<string, string>,
  upDetail: string,
): Promise<ComponentStatus> {
  const problem = await probe(probeUrl, timeoutMs, headers);
  return problem ? { state: 'down', engine, detail: problem } : { state: 'up', engine, detail: upDetail };
}

/** Probes an OpenAI-compatible API at `<baseUrl>/models`; `up` shows `<what> at <baseUrl>` (no secrets). */
export function probeOpenAiStatus(
  baseUrl: string,
  apiKey: string | undefined,
  timeoutMs: number,
  what: string,
): Promise<ComponentStatus> {
  return probeStatus(
    'openai',
    joinUrl(baseUrl, 'models'),
    timeoutMs,
    bearer(apiKey),
    `${what} at ${redactUrl(baseUrl)}`,
  );
}

/** Joins a base URL and a path without doubling or losing slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** A URL without credentials or query, safe for logs and /health. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

export function describe(err: unknown): string {
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as Error;
    const code = (e as { code?: unknown }).code;
    const inner = e.cause && typeof e.cause === 'object' ? ` (${describe(e.cause)})` : '';
    return `${typeof code === 'string' ? `${code}: ` : ''}${e.message}${inner}`;
  }
  return String(err);
}

function nameOf(err: unknown): string | undefined {
  const name = (err as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** undici reports network failures as TypeError `fetch failed` / `terminated` with the socket error as cause. */
function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (
    typeof code === 'string' &&
    /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR)/.test(code)
  )
    return true;
  if (nameOf(err) !== 'TypeError') return false;
  const message = (err as { message?: unknown }).message;
  return (
    message === 'fetch failed' ||
    message === 'terminated' ||
    isNetworkError((err as { cause?: unknown }).cause)
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A short message from an error body in the shapes servers use (`{error:{message}}`, `{detail}`, text). */
function errorDetail(body: unknown): string {
  const raw = extractMessage(body);
  return raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
}

function extractMessage(body: unknown): string {
  if (typeof body === 'string') return body.trim();
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (o.error !== undefined) return extractMessage(o.error);
    if (typeof o.message === 'string') return o.message;
    if (o.detail !== undefined) return typeof o.detail === 'string' ? o.detail : JSON.stringify(o.detail);
  }
  return '';
}
