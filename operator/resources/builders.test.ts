import type { V1Deployment } from '@kubernetes/client-node';
import type { ValidGoAssistDeployment } from '../api/types.js';
import { validateSpec } from '../api/validate.js';
import { buildDeployment, terminationGraceSeconds } from './deployment.js';
import { frontObjects, revisionObjects } from './desired.js';
import { buildHpa } from './hpa.js';
import { buildIngress } from './ingress.js';
import { buildHttpRoute } from './httproute.js';
import { revisionHash } from './revision.js';

function cr(spec: unknown, name = 'voice'): ValidGoAssistDeployment {
  const v = validateSpec(spec);
  if (!v.ok) throw new Error(JSON.stringify(v.problems));
  return {
    apiVersion: 'goassist.io/v1alpha1',
    kind: 'GoAssistDeployment',
    metadata: { name, namespace: 'ns', uid: 'uid-1', generation: 1 },
    spec: v.spec,
  };
}

const full = {
  image: 'ghcr.io/goassist/runtime:1.2.3',
  replicas: 3,
  runtime: {
    maxSessions: 80,
    drainTimeoutSeconds: 300,
    llm: {
      baseUrl: 'https://llm.example.com/v1',
      model: 'gpt-4o-mini',
      apiKeySecretRef: { name: 'llm', key: 'api-key' },
    },
    asr: { engine: 'whisper', modelPath: '/models/ggml-base.en.bin' },
    tts: { engine: 'coqui', baseUrl: 'http://coqui.voice:5002' },
    avatar: { enabled: true, audio2faceUrl: 'a2f:50051' },
    sessionSecretRef: { name: 'sess', key: 'secret' },
    apiKeysSecretRef: { name: 'keys', key: 'keys' },
    env: [{ name: 'LOG_LEVEL', value: 'debug' }],
  },
  resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: 2, memory: '2Gi' } },
  ingress: { host: 'voice.example.com', className: 'nginx', tls: { clusterIssuer: 'letsencrypt' } },
};

describe('Deployment builder', () => {
  const d = buildDeployment(cr(full), 'abc123') as V1Deployment;
  const pod = d.spec!.template.spec!;
  const c = pod.containers[0]!;
  const env = Object.fromEntries(c.env!.map((e) => [e.name, e]));

  it('names and labels the revision', () => {
    expect(d.metadata!.name).toBe('voice-abc123');
    expect(d.spec!.selector.matchLabels).toEqual({
      'goassist.io/deployment': 'voice',
      'goassist.io/revision': 'abc123',
    });
    expect(d.spec!.template.metadata!.labels!['goassist.io/revision']).toBe('abc123');
    expect(d.metadata!.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'GoAssistDeployment', uid: 'uid-1', controller: true }),
    ]);
  });

  it('passes the runtime its settings under the contract names, secrets by reference', () => {
    expect(env.MAX_CONCURRENT_SESSIONS!.value).toBe('80');
    expect(env.LLM_BASE_URL!.value).toBe('https://llm.example.com/v1');
    expect(env.LLM_MODEL_NAME!.value).toBe('gpt-4o-mini');
    expect(env.LLM_API_KEY!.valueFrom!.secretKeyRef).toEqual({ name: 'llm', key: 'api-key' });
    expect(env.SESSION_SECRET!.valueFrom!.secretKeyRef).toEqual({ name: 'sess', key: 'secret' });
    expect(env.ASR_ENGINE!.value).toBe('whisper');
    expect(env.TTS_ENGINE!.value).toBe('coqui');
    expect(env.TTS_BASE_URL!.value).toBe('http://coqui.voice:5002');
    expect(env.API_KEYS!.valueFrom!.secretKeyRef).toEqual({ name: 'keys', key: 'keys' });
    expect(env.ENABLE_AVATAR!.value).toBe('true');
    expect(env.AUDIO2FACE_GRPC_URL!.value).toBe('a2f:50051');
    expect(env.DRAIN_TIMEOUT_SECONDS!.value).toBe('300');
    expect(env.GOASSIST_REVISION!.valueFrom!.fieldRef!.fieldPath).toBe(
      "metadata.labels['goassist.io/revision']",
    );
    expect(env.POD_NAME!.valueFrom!.fieldRef!.fieldPath).toBe('metadata.name');
    expect(env.LOG_LEVEL!.value).toBe('debug');
  });

  it('probes, drains and locks the container down', () => {
    expect(c.livenessProbe!.httpGet!.path).toBe('/livez');
    expect(c.readinessProbe!.httpGet!.path).toBe('/readyz');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(300);
    expect(terminationGraceSeconds(cr(full).spec)).toBe(pod.terminationGracePeriodSeconds);
    expect(c.lifecycle!.preStop).toBeDefined();
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext!.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(c.resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '2', memory: '2Gi' },
    });
    expect(d.spec!.template.metadata!.annotations!['prometheus.io/scrape']).toBe('true');
    expect(d.spec!.replicas).toBe(3);
  });

  it('leaves replicas to the HPA when autoscaling', () => {
    const auto = cr({
      image: 'x:1',
      runtime: { environment: 'development' },
      autoscaling: { minReplicas: 2, maxReplicas: 5, targetActiveSessionsPerPod: 40 },
    });
    expect(buildDeployment(auto, 'r').spec!.replicas).toBeUndefined();
    const hpa = buildHpa(auto, 'r')!;
    expect(hpa.spec!.scaleTargetRef.name).toBe('voice-r');
    expect(hpa.spec!.metrics!.map((m) => m.type)).toEqual(['Resource', 'Pods']);
    expect(hpa.spec!.metrics![1]!.pods!.metric.name).toBe('goassist_active_sessions');
    expect(buildHpa(cr({ image: 'x:1', runtime: { environment: 'development' } }), 'r')).toBeUndefined();
  });
});

describe('revision hash', () => {
  it('changes with pod-affecting fields only', () => {
    const a = cr(full).spec;
    expect(revisionHash(a)).toMatch(/^[0-9a-f]{10}$/);
    expect(revisionHash(cr({ ...full, replicas: 7 }).spec)).toBe(revisionHash(a));
    expect(revisionHash(cr({ ...full, rollout: { stepInterval: '1m' } }).spec)).toBe(revisionHash(a));
    expect(revisionHash(cr({ ...full, image: 'ghcr.io/goassist/runtime:1.2.4' }).spec)).not.toBe(
      revisionHash(a),
    );
    expect(revisionHash(cr({ ...full, runtime: { ...full.runtime, maxSessions: 81 } }).spec)).not.toBe(
      revisionHash(a),
    );
  });
});

describe('front objects', () => {
  it('builds an Ingress with TLS from cert-manager and cookie affinity to the stable Service', () => {
    const ing = buildIngress(cr(full))!;
    expect(ing.metadata!.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'cert-manager.io/cluster-issuer': 'letsencrypt',
    });
    expect(ing.spec!.tls).toEqual([{ hosts: ['voice.example.com'], secretName: 'voice-tls' }]);
    expect(ing.spec!.ingressClassName).toBe('nginx');
    expect(ing.spec!.rules![0]!.http!.paths[0]!.backend.service!.name).toBe('voice');
  });

  it('routes through an HTTPRoute instead with Gateway API', () => {
    const g = cr({
      ...full,
      rollout: {
        trafficRouter: 'gatewayAPI',
        gateway: { parentRefs: [{ name: 'public', namespace: 'gw' }] },
      },
    });
    expect(buildIngress(g)).toBeUndefined();
    const route = buildHttpRoute(g)!;
    expect(route.spec).toMatchObject({
      hostnames: ['voice.example.com'],
      parentRefs: [{ name: 'public', namespace: 'gw' }],
    });
  });

  it('has a stable Service selecting the stable revision and per-revision objects', () => {
    const c = cr(full);
    const front = frontObjects(c, 'r1');
    expect(front.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/voice', 'Ingress/voice']);
    expect((front[0]!.spec as { selector: unknown }).selector).toEqual({
      'goassist.io/deployment': 'voice',
      'goassist.io/revision': 'r1',
    });
    expect(revisionObjects(c, 'r1').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/voice-r1',
      'Service/voice-r1',
      'PodDisruptionBudget/voice-r1',
    ]);
  });
});
