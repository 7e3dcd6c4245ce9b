import { jest } from '@jest/globals';
import { validateSpec } from '../api/validate.js';
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import {
  closeTestNamespace,
  condition,
  createCr,
  DEV,
  list,
  NO_NODE,
  openTestNamespace,
  sharedKubeconfig,
  startTestOperator,
  uniqueName,
  waitForCondition,
  type TestOperator,
} from './harness.js';

jest.setTimeout(120_000);

const kubeconfig = sharedKubeconfig();
const ns = uniqueName('gad-invalid');
let client: KubeClient;
let op: TestOperator;

beforeAll(async () => {
  client = await openTestNamespace(kubeconfig, ns);
  op = await startTestOperator({ kubeconfig, namespace: ns });
});

afterAll(async () => {
  await op?.stop();
  await closeTestNamespace(client, ns);
});

const image = 'ghcr.io/goassist/goassist:0.1.0';
const runtime = DEV;

/** Specs the API server must refuse, the field its message must name, and what the operator's own check names. */
const rejected: Array<[string, unknown, string]> = [
  ['missing image', { replicas: 1, runtime }, 'spec.image'],
  ['production without secrets', { image: 'x' }, 'spec.runtime.sessionSecretRef'],
  [
    'whisper without a model',
    { image, runtime: { ...DEV, asr: { engine: 'whisper' } } },
    'spec.runtime.asr.modelPath',
  ],
  [
    'replicas and autoscaling',
    { image, runtime, replicas: 2, autoscaling: { maxReplicas: 3 } },
    'spec.replicas',
  ],
  [
    'min above max',
    { image, runtime, autoscaling: { minReplicas: 4, maxReplicas: 2 } },
    'spec.autoscaling.minReplicas',
  ],
  ['steps not increasing', { image, runtime, rollout: { steps: [5, 50, 25, 100] } }, 'spec.rollout.steps'],
  ['steps not ending at 100', { image, runtime, rollout: { steps: [10, 50] } }, 'spec.rollout.steps'],
  [
    'unknown traffic router',
    { image, runtime, rollout: { trafficRouter: 'istio' } },
    'spec.rollout.trafficRouter',
  ],
  [
    'gateway API without parents',
    { image, runtime, ingress: { host: 'a.test' }, rollout: { trafficRouter: 'gatewayAPI' } },
    'spec.rollout.gateway',
  ],
  [
    'avatar without url',
    { image, runtime: { ...DEV, avatar: { enabled: true } } },
    'spec.runtime.avatar.audio2faceUrl',
  ],
  [
    'managed env var',
    { image, runtime: { ...DEV, env: [{ name: 'LLM_API_KEY', value: 'x' }] } },
    'spec.runtime.env',
  ],
  ['zero sessions', { image, runtime: { ...DEV, maxSessions: 0 } }, 'spec.runtime.maxSessions'],
  [
    'TLS with two issuers',
    { image, runtime, ingress: { host: 'a.test', tls: { issuer: 'a', clusterIssuer: 'b' } } },
    'spec.ingress.tls',
  ],
  ['bad duration', { image, runtime, rollout: { stepInterval: 'soon' } }, 'spec.rollout.stepInterval'],
  [
    'error rate above 100',
    { image, runtime, rollout: { analysis: { errorRatePercent: 150 } } },
    'spec.rollout.analysis.errorRatePercent',
  ],
];

describe('invalid GoAssistDeployments', () => {
  it.each(rejected)(
    'the API server rejects %s naming %s, and so does the operator',
    async (_what, spec, field) => {
      const err = await createCr(client, ns, uniqueName('bad'), spec).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(422);
      expect((err as KubeApiError).message).toContain(field);
      const own = validateSpec(spec);
      expect(own.ok).toBe(false);
      if (!own.ok) expect(own.problems.map((p) => p.field)).toContain(field);
    },
  );

  it('rejects names too long for the revision children', async () => {
    const err = await createCr(client, ns, 'a'.repeat(60), { image, runtime }).catch((e: unknown) => e);
    expect((err as KubeApiError).status).toBe(422);
    expect((err as KubeApiError).message).toContain('at most 52 characters');
  });

  it('marks what only the operator can check Ready=False with a Warning Event, and creates nothing', async () => {
    await createCr(client, ns, 'greedy', {
      image,
      nodeSelector: NO_NODE,
      runtime: DEV,
      resources: { requests: { cpu: '2' }, limits: { cpu: '1' } },
    });
    const cr = await waitForCondition(client, ns, 'greedy', 'Ready', 'False');
    expect(condition(cr, 'Ready')).toMatchObject({ reason: 'InvalidSpec' });
    expect(condition(cr, 'Ready')!.message).toContain('spec.resources.requests.cpu');
    expect(cr.status!.phase).toBe('Invalid');
    const events = await list<{ reason: string; type: string; regarding: { name: string } }>(
      client,
      'Event',
      ns,
    );
    expect(events.find((e) => e.regarding.name === 'greedy' && e.reason === 'InvalidSpec')?.type).toBe(
      'Warning',
    );
    expect(await list(client, 'Deployment', ns)).toEqual([]);
  });
});
