import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { installErrorHandlers } from '../error-handler.js';
import { httpClient } from '../test/http-client.js';
import { webClientPath, webClientRoutes } from './web-client.js';

describe('web client files', () => {
  it('maps only plain names with known extensions inside the root', () => {
    expect(webClientPath('/r', '')).toEqual({ file: '/r/index.html', type: 'text/html; charset=utf-8' });
    expect(webClientPath('/r', 'app.js')?.file).toBe('/r/app.js');
    expect(webClientPath('/r', 'vendor/x.mjs')?.file).toBe('/r/vendor/x.mjs');
    for (const bad of [
      '../package.json',
      '..',
      'a/../../b.js',
      '.env',
      'vendor/.hidden.js',
      'x.ts',
      'a//b.js',
      '%2e%2e/x.js',
    ])
      expect(webClientPath('/r', bad)).toBeUndefined();
  });

  it('serves files and answers 404 in the error shape otherwise', async () => {
    const root = mkdtempSync(join(tmpdir(), 'webclient-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    mkdirSync(join(root, 'vendor'));
    writeFileSync(join(root, 'vendor', 'lib.js'), 'export {};');
    const app = Fastify();
    installErrorHandlers(app);
    await app.register(webClientRoutes, { root });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const addr = app.server.address();
      const http = httpClient(
        `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`,
      );
      const index = await http('/');
      expect(index.statusCode).toBe(200);
      expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(index.body).toContain('<title>t</title>');
      expect((await http('/vendor/lib.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
      for (const path of ['/missing.js', '/..%2f..%2fetc%2fpasswd', '/../../etc/passwd', '/.env']) {
        const res = await http(path);
        expect(res.statusCode).toBe(404);
        expect(res.json().error.code).toBe('not_found');
      }
    } finally {
      await app.close();
    }
  });
});
