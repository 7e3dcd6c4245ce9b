import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './harness.js';

const run = promisify(execFile);
const script = readFileSync(join(repoRoot, 'config', 'argocd', 'health.lua'), 'utf8');

/** A Lua table literal for a JSON value (how Argo CD hands the object to the script). */
function lua(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(lua).join(', ')}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `[${JSON.stringify(k)}] = ${lua(x)}`)
    .join(', ')}}`;
}

/** Runs the health script in Debian's Lua 5.1 (Argo CD's interpreter version). */
async function health(obj: unknown): Promise<{ status: string; message: string }> {
  const program = `obj = ${lua(obj)}\nlocal hs = (function()\n${script}\nend)()\nio.write(hs.status .. "\\n" .. tostring(hs.message))`;
  const { stdout } = await run('lua5.1', ['-e', program]);
  const [status, ...message] = stdout.split('\n');
  return { status: status!, message: message.join('\n') };
}

const cond = (type: string, status: string, reason: string, message = `${type} ${reason}`) => ({
  type,
  status,
  reason,
  message,
});

describe('Argo CD health check (config/argocd/health.lua)', () => {
  it.each([
    ['no status yet', { metadata: { generation: 1 } }, 'Progressing'],
    [
      'stale generation',
      {
        metadata: { generation: 2 },
        status: { observedGeneration: 1, phase: 'Ready', conditions: [cond('Ready', 'True', 'Available')] },
      },
      'Progressing',
    ],
    [
      'ready',
      {
        metadata: { generation: 1 },
        status: {
          observedGeneration: 1,
          phase: 'Ready',
          conditions: [
            cond('Ready', 'True', 'Available', 'all good'),
            cond('Progressing', 'False', 'Stable'),
            cond('Degraded', 'False', 'Healthy'),
          ],
        },
      },
      'Healthy',
    ],
    [
      'rolling out',
      {
        metadata: { generation: 1 },
        status: {
          observedGeneration: 1,
          phase: 'Progressing',
          conditions: [
            cond('Ready', 'False', 'RevisionNotReady'),
            cond('Progressing', 'True', 'NewRevision'),
          ],
        },
      },
      'Progressing',
    ],
    [
      'invalid spec',
      {
        metadata: { generation: 1 },
        status: {
          observedGeneration: 1,
          phase: 'Invalid',
          conditions: [
            cond('Ready', 'False', 'InvalidSpec'),
            cond('Degraded', 'True', 'InvalidSpec', 'spec.x: bad'),
          ],
        },
      },
      'Degraded',
    ],
    [
      'pods failing',
      {
        metadata: { generation: 1 },
        status: {
          observedGeneration: 1,
          phase: 'Degraded',
          conditions: [cond('Ready', 'False', 'ReplicasNotReady'), cond('Degraded', 'True', 'PodsFailing')],
        },
      },
      'Degraded',
    ],
    [
      'paused',
      {
        metadata: { generation: 1 },
        status: {
          observedGeneration: 1,
          phase: 'Paused',
          conditions: [cond('Ready', 'True', 'Available'), cond('Progressing', 'False', 'Paused')],
        },
      },
      'Suspended',
    ],
  ])('%s -> %s', async (_what, obj, expected) => {
    expect((await health(obj)).status).toBe(expected);
  });

  it('passes the condition message on', async () => {
    const obj = {
      metadata: { generation: 1 },
      status: {
        observedGeneration: 1,
        phase: 'Invalid',
        conditions: [
          cond('Degraded', 'True', 'InvalidSpec', 'spec.resources.requests.cpu: request 2 exceeds limit 1'),
        ],
      },
    };
    expect((await health(obj)).message).toBe('spec.resources.requests.cpu: request 2 exceeds limit 1');
  });

  it('ships verbatim in config/argocd/argocd-cm-patch.yaml', () => {
    const patch = parse(readFileSync(join(repoRoot, 'config', 'argocd', 'argocd-cm-patch.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    expect(patch.data['resource.customizations.health.goassist.io_GoAssistDeployment']).toBe(script);
  });
});
