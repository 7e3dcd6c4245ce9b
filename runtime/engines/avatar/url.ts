import { EngineError } from '../types.js';

export interface GrpcTarget {
  /** `host:port` as grpc-js dials it. */
  address: string;
  tls: boolean;
}

const SCHEMES: Record<string, boolean> = { 'grpc:': false, 'grpcs:': true };

/**
 * Parses AUDIO2FACE_GRPC_URL: `host:port`, `grpc://host:port` (plaintext) or `grpcs://host:port` (TLS).
 * `tls` (AUDIO2FACE_TLS) turns TLS on for the scheme-less and `grpc://` forms; `grpcs://` is always TLS.
 */
export function parseGrpcTarget(raw: string, tls = false): GrpcTarget {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `grpc://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new EngineError('avatar', 'config', `AUDIO2FACE_GRPC_URL ${JSON.stringify(raw)} is not host:port`);
  }
  const schemeTls = SCHEMES[url.protocol];
  if (schemeTls === undefined) {
    throw new EngineError(
      'avatar',
      'config',
      `AUDIO2FACE_GRPC_URL scheme ${url.protocol} is not grpc:// or grpcs://`,
    );
  }
  if (!url.hostname || !url.port) {
    throw new EngineError(
      'avatar',
      'config',
      `AUDIO2FACE_GRPC_URL ${JSON.stringify(raw)} needs a host and a port`,
    );
  }
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash || url.username || url.password) {
    throw new EngineError(
      'avatar',
      'config',
      `AUDIO2FACE_GRPC_URL ${JSON.stringify(raw)} must be only scheme://host:port`,
    );
  }
  return { address: `${url.hostname}:${url.port}`, tls: schemeTls || tls };
}
