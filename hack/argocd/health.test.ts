/**
 * The Argo CD health check (config/argocd/health.lua) run on the real Lua 5.1 interpreter, as Argo CD
 * runs it, over GoAssistDeployment objects in each state the operator writes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const repo = join(import.meta.dirname, '..', '..');
const script = readFileSync(join(repo, 'config', 'argocd', 'health.lua'), 'utf8');

function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`,
  );
  return `{${entries.join(', ')}}`;
}

function health(obj: unknown): { status: string; message: string } {
  const program = `obj = ${toLua(obj)}\nlocal hs = (function()\n${script}\nend)()\nio.write(hs.status, "\\n", hs.message)`;
  const out = execFileSync('lua5.1', ['-'], { input: program, encoding: 'utf8' });
  const [status = '', message = ''] = out.split('\n');
  return { status, message };
}

const cond = (type: string, status: string, message = `${type} ${status}`) => ({
  type,
  status,
  reason: 'R',
  message,
});

describe('Argo CD health check for GoAssistDeployment', () => {
  it('is Progressing until the operator observed the latest generation', () => {
    expect(health({ metadata: { generation: 2 }, spec: {}, status: { observedGeneration: 1 } }).status).toBe(
      'Progressing',
    );
    expect(health({ metadata: { generation: 1 }, spec: {} }).status).toBe('Progressing');
  });

  it('is Healthy when Ready=True and nothing is progressing', () => {
    const hs = health({
      metadata: { generation: 3 },
      spec: {},
      status: {
        observedGeneration: 3,
        phase: 'Ready',
        conditions: [
          cond('Ready', 'True', 'All 3 replicas ready'),
          cond('Progressing', 'False'),
          cond('Degraded', 'False'),
        ],
      },
    });
    expect(hs).toEqual({ status: 'Healthy', message: 'All 3 replicas ready' });
  });

  it('is Degraded with the operator message when Degraded=True or the spec is invalid', () => {
    const degraded = health({
      metadata: { generation: 1 },
      spec: {},
      status: {
        observedGeneration: 1,
        conditions: [cond('Ready', 'False'), cond('Degraded', 'True', 'pods crash looping')],
      },
    });
    expect(degraded).toEqual({ status: 'Degraded', message: 'pods crash looping' });
    const invalid = health({
      metadata: { generation: 1 },
      spec: {},
      status: { observedGeneration: 1, phase: 'Invalid', message: 'spec.rollout.steps must end at 100' },
    });
    expect(invalid).toEqual({ status: 'Degraded', message: 'spec.rollout.steps must end at 100' });
  });

  it('is Suspended when paused and Progressing while a new revision rolls out', () => {
    expect(
      health({
        metadata: { generation: 1 },
        spec: { paused: true },
        status: { observedGeneration: 1, conditions: [] },
      }).status,
    ).toBe('Suspended');
    const rolling = health({
      metadata: { generation: 4 },
      spec: {},
      status: {
        observedGeneration: 4,
        conditions: [cond('Ready', 'True'), cond('Progressing', 'True', 'revision abc123 at 25%')],
      },
    });
    expect(rolling).toEqual({ status: 'Progressing', message: 'revision abc123 at 25%' });
  });

  it('ships the same script in the argocd-cm patch', () => {
    const patch = parse(readFileSync(join(repo, 'config', 'argocd', 'argocd-cm-patch.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    expect(patch.data['resource.customizations.health.goassist.io_GoAssistDeployment']).toBe(script);
  });
});
