import { readFileSync } from 'node:fs';
import { openApiDocument } from './openapi.js';
import { startTestRuntime } from './test/harness.js';

const REGENERATE = `node --import tsx -e "import('./runtime/server/openapi.ts').then(m => process.stdout.write(JSON.stringify(m.openApiDocument(), null, 2) + '\\\\n'))" > docs/openapi.json && npx prettier --write docs/openapi.json`;

describe('OpenAPI document', () => {
  it('docs/openapi.json is up to date', () => {
    const committed: unknown = JSON.parse(readFileSync('docs/openapi.json', 'utf8'));
    // Compared as data: prettier owns the file's layout.
    if (JSON.stringify(committed) !== JSON.stringify(openApiDocument()))
      throw new Error(`docs/openapi.json is stale; regenerate with:\n${REGENERATE}`);
  });

  it('is served at /openapi.json and describes every route the app has', async () => {
    const rt = await startTestRuntime();
    try {
      const served = (await rt.inject('/openapi.json')).json();
      expect(served).toEqual(openApiDocument());
      for (const path of [
        '/livez',
        '/readyz',
        '/health',
        '/metrics',
        '/csrf',
        '/sessions',
        '/sessions/{id}',
        '/sessions/{id}/stream',
      ])
        expect(Object.keys(served.paths)).toContain(path);
    } finally {
      await rt.close();
    }
  });
});
