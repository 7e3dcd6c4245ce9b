import { jest } from '@jest/globals';
import { API_VERSION, KIND } from '../api/names.js';
import { applyObject, patchStatus } from '../kube/apply.js';
import type { KubeClient } from '../kube/client.js';
import { EventRecorder } from '../kube/events.js';
import { KINDS, resourcePath } from '../kube/kinds.js';
import type { KubeObject } from '../resources/types.js';
import {
  closeTestNamespace,
  createCr,
  DEV,
  getCr,
  list,
  openTestNamespace,
  sharedKubeconfig,
  uniqueName,
} from './harness.js';

jest.setTimeout(60_000);

const kubeconfig = sharedKubeconfig();
const ns = uniqueName('gad-kube');
let client: KubeClient;

beforeAll(async () => {
  client = await openTestNamespace(kubeconfig, ns);
});

afterAll(async () => {
  await closeTestNamespace(client, ns);
});

describe('kube wrappers against a real API server', () => {
  it('server-side apply is idempotent: the same object twice leaves the resourceVersion alone', async () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ssa', namespace: ns, labels: { a: 'b' } },
      spec: { selector: { a: 'b' }, ports: [{ name: 'http', port: 8000, targetPort: 'http' }] },
    };
    const first = await applyObject<KubeObject>(client, svc);
    const second = await applyObject<KubeObject>(client, svc);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(first.metadata.managedFields?.map((m) => m.manager)).toContain('goassist-operator');
  });

  it('status merge patches clear fields the new status lacks', async () => {
    const cr = await createCr(client, ns, 'status', { image: 'x:1', runtime: DEV });
    const ref = KINDS.GoAssistDeployment;
    await patchStatus(client, ref, ns, 'status', undefined, {
      phase: 'Progressing',
      canaryRevision: 'abc',
      message: 'm1',
    });
    const mid = await getCr(client, ns, 'status');
    expect(mid.status).toMatchObject({ phase: 'Progressing', canaryRevision: 'abc' });
    await patchStatus(client, ref, ns, 'status', mid.status as Record<string, unknown>, {
      phase: 'Ready',
      message: 'm2',
    });
    const after = await getCr(client, ns, 'status');
    expect(after.status).toEqual({ phase: 'Ready', message: 'm2' });
    expect(after.metadata.generation).toBe(cr.metadata.generation);
  });

  it('records events.k8s.io Events and folds repeats into one series', async () => {
    const cr = await createCr(client, ns, 'events', { image: 'x:1', runtime: DEV });
    const rec = new EventRecorder(client, 'goassist.io/operator', 'test');
    const target = { apiVersion: API_VERSION, kind: KIND, metadata: cr.metadata };
    for (let i = 0; i < 3; i++)
      await rec.record(target, {
        type: 'Warning',
        reason: 'InvalidSpec',
        action: 'Validate',
        note: 'spec.x: bad',
      });
    await rec.record(target, { type: 'Normal', reason: 'Ready', action: 'Reconcile', note: 'fine' });
    const events = (
      await list<{ reason: string; series?: { count: number }; regarding: { name: string } }>(
        client,
        'Event',
        ns,
      )
    ).filter((e) => e.regarding.name === 'events');
    expect(events.map((e) => e.reason).sort()).toEqual(['InvalidSpec', 'Ready']);
    expect(events.find((e) => e.reason === 'InvalidSpec')!.series?.count).toBe(3);
    // Visible through the core API as kubectl describe shows it.
    const core = await client.request<{ items: Array<{ reason: string; count?: number }> }>(
      'GET',
      resourcePath({ group: '', version: 'v1', plural: 'events', kind: 'Event' }, ns),
    );
    expect(core.items.some((e) => e.reason === 'InvalidSpec')).toBe(true);
  });
});
