/**
 * Which browser origins may open a session's WebSocket (cross-site WebSocket hijacking defence).
 * Browsers always send Origin on a WebSocket handshake; non-browser clients may omit it and are
 * held to the session token alone.
 */
const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface OriginPolicyOptions {
  allowedOrigins: readonly string[];
  /** Development: any http(s) origin on localhost/127.0.0.1/[::1], whatever the port. */
  allowLocalhost: boolean;
}

export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  opts: OriginPolicyOptions,
): boolean {
  if (origin === undefined) return true;
  if (opts.allowedOrigins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (host !== undefined && url.host === host.toLowerCase()) return true; // same origin as the page's server
  return opts.allowLocalhost && LOCAL_HOSTNAMES.has(url.hostname);
}
