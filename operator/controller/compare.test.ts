import { isSubset } from './compare.js';

describe('isSubset', () => {
  it('ignores fields the API server adds', () => {
    expect(
      isSubset(
        { spec: { a: 1, list: [{ name: 'x' }] } },
        { spec: { a: 1, b: 2, list: [{ name: 'x', extra: true }] }, status: {} },
      ),
    ).toBe(true);
  });
  it('sees a changed or missing field', () => {
    expect(isSubset({ spec: { a: 1 } }, { spec: { a: 2 } })).toBe(false);
    expect(isSubset({ spec: { a: 1 } }, { spec: {} })).toBe(false);
    expect(isSubset({ list: [1, 2] }, { list: [1] })).toBe(false);
  });
  it('compares quantities by value only inside resources', () => {
    expect(
      isSubset(
        { resources: { limits: { cpu: '1000m', memory: '1Gi' } } },
        { resources: { limits: { cpu: '1', memory: '1073741824' } } },
      ),
    ).toBe(true);
    expect(isSubset({ env: [{ value: '1000m' }] }, { env: [{ value: '1' }] })).toBe(false);
  });
});
