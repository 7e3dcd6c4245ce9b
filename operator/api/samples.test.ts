import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateSpec } from './validate.js';

const dir = join(import.meta.dirname, '..', '..', 'config', 'samples');
const samples = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');

describe('config/samples', () => {
  it('has the four samples the issue asks for', () => {
    expect(samples.sort()).toEqual(['avatar.yaml', 'full.yaml', 'gateway-api.yaml', 'minimal.yaml']);
  });
  it.each(samples)('%s is a valid GoAssistDeployment', (file) => {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const obj = doc.toJS();
      expect(obj.apiVersion).toBe('goassist.io/v1alpha1');
      expect(obj.kind).toBe('GoAssistDeployment');
      const r = validateSpec(obj.spec);
      expect(r.ok ? [] : r.problems).toEqual([]);
    }
  });
});
