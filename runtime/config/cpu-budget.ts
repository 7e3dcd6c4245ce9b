import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * CPUs this process may use: the cgroup CPU limit when there is one (a pod's `resources.limits.cpu`),
 * else the CPUs it may be scheduled on. A pod on a 64-core node with a 2-CPU limit gets 2, not 64.
 */
export function cpuBudget(readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): number {
  const cores = os.availableParallelism();
  const limit = cgroupCpuLimit(readFile);
  return limit === undefined ? cores : Math.max(1, Math.min(cores, Math.ceil(limit)));
}

/** CPUs allowed by cgroup v2 `cpu.max` or cgroup v1 `cfs_quota_us`/`cfs_period_us`; undefined: unlimited. */
export function cgroupCpuLimit(readFile: (path: string) => string): number | undefined {
  const v2 = attempt(() => readFile('/sys/fs/cgroup/cpu.max').trim().split(/\s+/));
  if (v2) {
    const [quota, period] = v2;
    return quota === 'max' ? undefined : ratio(Number(quota), Number(period));
  }
  const quota = attempt(() => Number(readFile('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')));
  const period = attempt(() => Number(readFile('/sys/fs/cgroup/cpu/cpu.cfs_period_us')));
  return quota === undefined || period === undefined || quota < 0 ? undefined : ratio(quota, period);
}

function ratio(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0
    ? quota / period
    : undefined;
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined; // not this cgroup version, or no cgroup filesystem
  }
}
