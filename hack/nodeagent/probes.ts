import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { isInHarnessNetwork } from './netrange.js';

export interface ProbeTarget {
  podIp: string;
  netns: string;
  container: V1Container;
}

function resolvePort(port: number | string | undefined, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (port !== undefined && /^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`probe port "${port}" is not a container port`);
  return named.containerPort;
}

function probeHttp(probe: V1Probe, t: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const get = probe.httpGet!;
  const host = get.host || t.podIp;
  // Probes only ever go to pod addresses on the harness bridge.
  if (!isInHarnessNetwork(host)) return Promise.resolve(false);
  const port = resolvePort(get.port as number | string, t.container);
  const path = get.path?.startsWith('/') ? get.path : `/${get.path ?? ''}`;
  const headers: Record<string, string> = {};
  for (const h of get.httpHeaders ?? []) headers[h.name] = h.value;
  return fetch(`http://${host}:${port}${path}`, {
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  }).then(
    async (res) => {
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 400;
    },
    () => false,
  );
}

function probeTcp(probe: V1Probe, t: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const port = resolvePort(probe.tcpSocket!.port as number | string, t.container);
  return new Promise((resolve) => {
    const sock = connect({ host: t.podIp, port, timeout: timeoutMs });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
}

function probeExec(probe: V1Probe, t: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const [cmd, ...args] = probe.exec?.command ?? [];
  if (!cmd) return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', t.netns, cmd, ...args], { timeout: timeoutMs }, (err) => resolve(!err));
  });
}

/** One attempt of a probe as kubelet runs it: HTTP 200-399, a TCP connect, or an exit code of 0. */
export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) return await probeHttp(probe, target, timeoutMs);
    if (probe.tcpSocket) return await probeTcp(probe, target, timeoutMs);
    if (probe.exec) return await probeExec(probe, target, timeoutMs);
  } catch {
    return false;
  }
  return false;
}

/**
 * Runs a probe on its period and reports the result after `successThreshold` passes or
 * `failureThreshold` failures in a row, like kubelet's prober worker.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private result: boolean | undefined;

  constructor(
    private readonly probe: V1Probe,
    private readonly target: ProbeTarget,
    private readonly onResult: (ok: boolean) => void,
  ) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const ok = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (this.result !== true && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.result = true;
        this.onResult(true);
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.result !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.result = false;
        this.onResult(false);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
