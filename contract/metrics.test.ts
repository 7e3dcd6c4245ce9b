import { METRIC, TTFA_BUCKETS } from './metrics.js';

describe('metric contract', () => {
  it('names every metric with the goassist_ prefix', () => {
    for (const name of Object.values(METRIC)) expect(name).toMatch(/^goassist_[a-z_]+$/);
  });
  it('has TTFA buckets reaching at least 10 s', () => {
    expect(Math.max(...TTFA_BUCKETS)).toBeGreaterThanOrEqual(10);
  });
});
