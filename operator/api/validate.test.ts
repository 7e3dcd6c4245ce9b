import { parseQuantity, QuantityError } from './quantity.js';
import { validateSpec } from './validate.js';

const base = { image: 'ghcr.io/goassist/runtime:1.0.0', runtime: { environment: 'development' } };

describe('validateSpec', () => {
  it('fills every default of a minimal spec', () => {
    const r = validateSpec(base);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec.rollout).toEqual({
      steps: [5, 25, 50, 100],
      stepInterval: '30s',
      analysis: {
        ttfaP95Ms: 2000,
        errorRatePercent: 1,
        bargeInP95Ms: 150,
        minSamples: 20,
        failureThreshold: 2,
      },
      trafficRouter: 'nginx',
    });
    expect(r.spec.runtime.maxSessions).toBe(50);
    expect(r.spec.runtime.drainTimeoutSeconds).toBe(120);
    expect(r.spec.paused).toBe(false);
  });

  it.each([
    [{ ...base, replicas: 2, autoscaling: { maxReplicas: 3 } }, 'spec.replicas', 'not both'],
    [
      { ...base, autoscaling: { minReplicas: 5, maxReplicas: 3 } },
      'spec.autoscaling.minReplicas',
      'must not exceed',
    ],
    [{ ...base, rollout: { steps: [5, 50, 25, 100] } }, 'spec.rollout.steps', 'strictly increasing'],
    [{ ...base, rollout: { steps: [5, 5, 100] } }, 'spec.rollout.steps', 'strictly increasing'],
    [{ ...base, rollout: { steps: [5, 25, 50] } }, 'spec.rollout.steps', 'must be 100'],
    [{ ...base, rollout: { trafficRouter: 'gatewayAPI' } }, 'spec.rollout.gateway', 'parentRefs'],
    [
      { ...base, runtime: { environment: 'development', avatar: { enabled: true } } },
      'spec.runtime.avatar.audio2faceUrl',
      'required',
    ],
    [
      { ...base, runtime: { environment: 'development', env: [{ name: 'PORT', value: '1' }] } },
      'spec.runtime.env',
      'PORT',
    ],
    [{ ...base, ingress: { host: 'a.example.com', tls: {} } }, 'spec.ingress.tls', 'secretName'],
    [
      { ...base, resources: { requests: { cpu: '2' }, limits: { cpu: '1500m' } } },
      'spec.resources.requests.cpu',
      'exceeds limit',
    ],
    [{ ...base, rollout: { trafficRouter: 'istio' } }, 'spec.rollout.trafficRouter', ''],
    [{ image: '' }, 'spec.image', ''],
    [{ image: 'x' }, 'spec.runtime.sessionSecretRef', 'production needs'],
    [
      { ...base, runtime: { environment: 'development', tts: { engine: 'coqui' } } },
      'spec.runtime.tts.baseUrl',
      'required',
    ],
  ])('rejects %j naming %s', (spec, field, text) => {
    const r = validateSpec(spec);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const p = r.problems.find((x) => x.field === field);
    expect(p).toBeDefined();
    expect(p!.message).toContain(text);
  });
});

describe('parseQuantity', () => {
  it.each([
    ['500m', 0.5],
    ['1', 1],
    [2, 2],
    ['2Gi', 2 * 2 ** 30],
    ['1.5k', 1500],
    ['1e3', 1000],
  ])('%s is %d', (q, v) => expect(parseQuantity(q)).toBeCloseTo(v));
  it('rejects garbage with a typed error', () => expect(() => parseQuantity('lots')).toThrow(QuantityError));
});
