import { readFileSync } from 'node:fs';

/** Nearest-rank percentile of an ascending list (undefined when empty). */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface ProcessSample {
  cpuSeconds: number;
  rssBytes: number;
  hwmBytes: number;
}

const CLOCK_TICKS = 100;

/** CPU time (user + system) and memory of a process, from /proc. */
export function processSample(pid: number): ProcessSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds: (utime + stime) / CLOCK_TICKS, rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}
