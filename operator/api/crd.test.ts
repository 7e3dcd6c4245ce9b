import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CRD_PATHS, renderCrdYaml } from './crd-yaml.js';

const root = join(import.meta.dirname, '..', '..');

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  'x-kubernetes-int-or-string'?: boolean;
};

/** Structural schema rules the API server enforces: every node typed, anyOf only for int-or-string. */
function structuralProblems(s: Schema, path: string): string[] {
  const out: string[] = [];
  if (!s.type && !s['x-kubernetes-int-or-string']) out.push(`${path}: no type`);
  if (s.anyOf && !s['x-kubernetes-int-or-string']) out.push(`${path}: anyOf without int-or-string`);
  if (s.additionalProperties === false) out.push(`${path}: additionalProperties false`);
  for (const [k, v] of Object.entries(s.properties ?? {})) out.push(...structuralProblems(v, `${path}.${k}`));
  if (s.items) out.push(...structuralProblems(s.items, `${path}[]`));
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    out.push(...structuralProblems(s.additionalProperties, `${path}{}`));
  return out;
}

describe('generated CRD', () => {
  it.each(CRD_PATHS)('%s is up to date with operator/api/schema.ts (run `make crds`)', (rel) => {
    expect(readFileSync(join(root, rel), 'utf8')).toBe(renderCrdYaml());
  });

  it('is a structural schema with the contract names, subresources and printer columns', () => {
    const crd = parse(renderCrdYaml());
    expect(crd.metadata.name).toBe('goassistdeployments.goassist.io');
    expect(crd.spec.names.shortNames).toEqual(['gad']);
    const v = crd.spec.versions[0];
    expect(v.name).toBe('v1alpha1');
    expect(v.subresources.status).toEqual({});
    expect(v.subresources.scale.specReplicasPath).toBe('.spec.replicas');
    expect(v.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['Phase', 'Canary Weight', 'TTFA p95 (ms)', 'Age']),
    );
    expect(structuralProblems(v.schema.openAPIV3Schema, 'root')).toEqual([]);
  });

  it('carries the defaults and CEL rules of the rollout', () => {
    const crd = parse(renderCrdYaml());
    const rollout = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.rollout;
    expect(rollout.properties.steps.default).toEqual([5, 25, 50, 100]);
    expect(rollout.properties.analysis.properties.ttfaP95Ms.default).toBe(2000);
    expect(rollout.properties.analysis.properties.errorRatePercent.default).toBe(1);
    expect(rollout.properties.analysis.properties.bargeInP95Ms.default).toBe(150);
    expect(rollout.properties.trafficRouter.enum).toEqual(['nginx', 'gatewayAPI']);
    expect(
      rollout.properties.steps['x-kubernetes-validations'].map((r: { rule: string }) => r.rule).join(' '),
    ).toContain('isSorted');
  });
});
