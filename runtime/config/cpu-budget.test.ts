import os from 'node:os';
import { cgroupCpuLimit, cpuBudget } from './cpu-budget.js';

function files(entries: Record<string, string>): (path: string) => string {
  return (path) => {
    const body = entries[path];
    if (body === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return body;
  };
}

describe('cgroupCpuLimit', () => {
  it('reads a cgroup v2 quota', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }))).toBe(1.5);
  });

  it('treats cgroup v2 "max" as no limit', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }))).toBeUndefined();
  });

  it('reads a cgroup v1 quota, and -1 as no limit', () => {
    const v1 = (quota: string) =>
      files({
        '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': `${quota}\n`,
        '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
      });
    expect(cgroupCpuLimit(v1('200000'))).toBe(2);
    expect(cgroupCpuLimit(v1('-1'))).toBeUndefined();
  });

  it('is undefined without a cgroup filesystem', () => {
    expect(cgroupCpuLimit(files({}))).toBeUndefined();
  });
});

describe('cpuBudget', () => {
  it('rounds a fractional limit up and never exceeds the schedulable CPUs', () => {
    expect(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }))).toBe(1);
    expect(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': '10000000 100000' }))).toBe(os.availableParallelism());
  });

  it('is the schedulable CPUs when unlimited', () => {
    expect(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }))).toBe(os.availableParallelism());
  });
});
