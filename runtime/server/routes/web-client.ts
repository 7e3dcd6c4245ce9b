/**
 * Serves examples/web-client at `/`, same origin as the API and the WebSocket (so no CORS and the
 * Origin check passes). Paths are matched against a strict pattern before touching the disk: plain
 * names, no dot-files, no `..`, known extensions only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AppError, ERROR_CODES } from '../../errors.js';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  wasm: 'application/wasm',
  onnx: 'application/octet-stream',
};
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export function webClientPath(root: string, urlPath: string): { file: string; type: string } | undefined {
  const rel = urlPath === '' ? 'index.html' : urlPath;
  const segments = rel.split('/');
  if (segments.length > 4 || !segments.every((s) => SEGMENT.test(s) && !s.includes('..'))) return undefined;
  const ext = rel.slice(rel.lastIndexOf('.') + 1).toLowerCase();
  const type = TYPES[ext];
  return type === undefined ? undefined : { file: join(root, ...segments), type };
}

export async function webClientRoutes(app: FastifyInstance, opts: { root: string }): Promise<void> {
  app.get('/*', async (request, reply) => {
    const wanted = (request.params as { '*': string })['*'];
    const target = webClientPath(opts.root, wanted);
    const notFound = new AppError(404, ERROR_CODES.notFound, `no route GET /${wanted}`);
    if (target === undefined) throw notFound;
    let body: Buffer;
    try {
      body = await readFile(target.file);
    } catch {
      throw notFound;
    }
    return reply.type(target.type).header('cache-control', 'no-cache').send(body);
  });
}
