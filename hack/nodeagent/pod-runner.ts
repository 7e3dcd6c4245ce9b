import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type V1Container,
  type V1ContainerState,
  type V1LifecycleHandler,
  type V1Pod,
  type V1PodCondition,
} from '@kubernetes/client-node';
import { ContainerConfigError, resolveContainerEnv } from './env.js';
import type { AgentNetwork, PodNetwork } from './network.js';
import { ProbeLoop, runProbe } from './probes.js';

export interface PodCommand {
  cmd: string;
  args: string[];
}

export interface PodRunnerDeps {
  core: CoreV1Api;
  network: AgentNetwork;
  hostIp: string;
  cwd: string;
  command: (pod: V1Pod) => PodCommand;
  log: (line: string) => void;
}

const MAX_BACKOFF_MS = 30_000;
const CONFIG_RETRY_MS = 2_000;
/** Kubelet grants at least this much after preStop before SIGKILL. */
const MIN_KILL_GRACE_MS = 2_000;
/** Environment a container image would bring along; nothing else of the agent's env leaks in. */
const BASE_ENV_KEYS = ['PATH', 'HOME', 'LANG', 'TZ'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): string => new Date().toISOString();
const podKey = (pod: V1Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/**
 * Runs one pod bound to the agent's node: its first container as a real process inside its own network
 * namespace, restarted per restartPolicy, probed like kubelet does, and reported in the pod's status.
 */
export class PodRunner {
  private pod: V1Pod;
  private net: PodNetwork | undefined;
  private proc: ChildProcess | undefined;
  private procExit: Promise<number | null> | undefined;
  private probes: ProbeLoop[] = [];
  private ready = false;
  private started = false;
  private restartCount = 0;
  private state: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
  private lastState: V1ContainerState | undefined;
  private phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
  private startTime = now();
  private readonly transitions = new Map<string, { status: string; time: string }>();
  private terminating: Promise<void> | undefined;
  private killed = false;
  private lastSent = '';
  private statusChain: Promise<void> = Promise.resolve();
  private readonly container: V1Container;

  constructor(
    pod: V1Pod,
    private readonly deps: PodRunnerDeps,
  ) {
    this.pod = pod;
    this.container = pod.spec!.containers[0]!;
  }

  get podIp(): string | undefined {
    return this.net?.ip;
  }

  /** True once termination (deletion, or the agent stopping) has begun. */
  get terminated(): boolean {
    return this.terminating !== undefined;
  }

  get uid(): string | undefined {
    return this.pod.metadata?.uid;
  }

  /** Latest object from the informer; a deletion timestamp starts graceful termination. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      this.terminating = this.terminate(grace * 1000, true);
    }
  }

  /** Starts the pod; resolves when the pod has finished or was terminated. */
  async run(): Promise<void> {
    try {
      this.net = await this.deps.network.addPod();
    } catch (err) {
      this.state = { waiting: { reason: 'CreatePodSandboxError', message: (err as Error).message } };
      this.deps.log(`[${podKey(this.pod)}] sandbox failed: ${(err as Error).message}`);
      await this.reportStatus();
      return;
    }
    if (this.terminating || this.killed) {
      await this.deps.network.removePod(this.net);
      return this.terminating;
    }
    await this.reportStatus();
    let backoff = 1_000;
    while (!this.terminating && !this.killed) {
      let env: Record<string, string>;
      try {
        env = await resolveContainerEnv(this.container, {
          pod: this.pod,
          podIp: this.net.ip,
          hostIp: this.deps.hostIp,
          core: this.deps.core,
        });
      } catch (err) {
        const reason =
          err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        this.state = { waiting: { reason, message: (err as Error).message } };
        await this.reportStatus();
        await sleep(CONFIG_RETRY_MS);
        continue;
      }
      if (this.terminating || this.killed) break;
      const code = await this.runOnce(env);
      if (this.terminating || this.killed) break;
      const policy = this.pod.spec?.restartPolicy ?? 'Always';
      if (policy === 'Never' || (policy === 'OnFailure' && code === 0)) {
        this.phase = code === 0 ? 'Succeeded' : 'Failed';
        await this.reportStatus();
        return;
      }
      this.lastState = this.state;
      this.state = {
        waiting: { reason: 'CrashLoopBackOff', message: `back-off ${backoff / 1000}s restarting` },
      };
      await this.reportStatus();
      await sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      this.restartCount++;
    }
    await this.terminating;
  }

  private runOnce(env: Record<string, string>): Promise<number | null> {
    const { cmd, args } = this.deps.command(this.pod);
    const base: Record<string, string> = {};
    for (const k of BASE_ENV_KEYS) if (process.env[k] !== undefined) base[k] = process.env[k]!;
    const child = spawn('ip', ['netns', 'exec', this.net!.netns, cmd, ...args], {
      cwd: this.deps.cwd,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = child;
    const key = podKey(this.pod);
    const startedAt = now();
    const onLine = (line: string): void => this.deps.log(`[${key}] ${line}`);
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    this.procExit = new Promise((resolve) => {
      child.on('error', (err) => {
        onLine(`spawn failed: ${err.message}`);
        resolve(128);
      });
      child.on('exit', (code, signal) =>
        resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null)),
      );
    });
    this.deps.log(
      `[${key}] started pid ${child.pid} in ${this.net!.netns} (${this.net!.ip}): ${cmd} ${args.join(' ')}`,
    );
    this.state = { running: { startedAt: new Date(startedAt) } };
    this.phase = 'Running';
    this.ready = false;
    this.started = !this.container.startupProbe;
    this.startProbes();
    void this.reportStatus();
    return this.procExit.then(async (code) => {
      this.stopProbes();
      this.ready = false;
      this.started = false;
      this.proc = undefined;
      this.deps.log(`[${key}] pid ${child.pid} exited with ${code}`);
      this.state = {
        terminated: {
          exitCode: code ?? 137,
          reason: code === 0 ? 'Completed' : 'Error',
          startedAt: new Date(startedAt),
          finishedAt: new Date(),
          containerID: `goassist://${child.pid}`,
        },
      };
      if (!this.killed) await this.reportStatus();
      return code;
    });
  }

  private startProbes(): void {
    const target = { podIp: this.net!.ip, netns: this.net!.netns, container: this.container };
    const { readinessProbe, livenessProbe, startupProbe } = this.container;
    const afterStartup = (): void => {
      if (readinessProbe) {
        this.probes.push(
          new ProbeLoop(readinessProbe, target, (ok) => {
            this.deps.log(`[${podKey(this.pod)}] readiness probe: ${ok ? 'ready' : 'not ready'}`);
            this.ready = ok;
            void this.reportStatus();
          }),
        );
        this.probes.at(-1)!.start();
      } else {
        this.ready = true;
        void this.reportStatus();
      }
      if (livenessProbe) {
        this.probes.push(
          new ProbeLoop(livenessProbe, target, (ok) => {
            if (!ok && this.proc && !this.terminating) {
              this.deps.log(`[${podKey(this.pod)}] liveness probe failed; restarting`);
              void this.stopProcess((this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
            }
          }),
        );
        this.probes.at(-1)!.start();
      }
    };
    if (startupProbe) {
      const loop = new ProbeLoop(startupProbe, target, (ok) => {
        loop.stop();
        if (ok) {
          this.started = true;
          afterStartup();
        } else if (this.proc) void this.stopProcess(0);
      });
      this.probes.push(loop);
      loop.start();
    } else afterStartup();
  }

  private stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  private async runPreStop(handler: V1LifecycleHandler, deadlineMs: number): Promise<void> {
    const budget = Math.max(0, deadlineMs - Date.now());
    const target = { podIp: this.net!.ip, netns: this.net!.netns, container: this.container };
    const work: Promise<unknown> = handler.sleep
      ? sleep(handler.sleep.seconds * 1000)
      : handler.httpGet
        ? runProbe({ httpGet: handler.httpGet, timeoutSeconds: Math.ceil(budget / 1000) }, target)
        : handler.exec
          ? runProbe({ exec: handler.exec, timeoutSeconds: Math.ceil(budget / 1000) }, target)
          : Promise.resolve();
    await Promise.race([work, sleep(budget)]);
  }

  /** SIGTERM, then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
  private async stopProcess(graceMs: number): Promise<void> {
    const proc = this.proc;
    const exit = this.procExit;
    if (!proc || !exit) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exit;
    clearTimeout(killer);
  }

  /**
   * Graceful termination as kubelet does it on pod deletion: preStop hook, SIGTERM, SIGKILL after the
   * grace period; then the sandbox goes and (when the API object is still there) the pod is finalised.
   */
  async terminate(graceMs: number, finalizeApiObject: boolean): Promise<void> {
    const deadline = Date.now() + graceMs;
    const key = podKey(this.pod);
    this.deps.log(`[${key}] terminating with grace ${graceMs} ms`);
    const preStop = this.container.lifecycle?.preStop;
    if (preStop && this.proc) await this.runPreStop(preStop, deadline);
    if (this.proc) {
      const left = Math.max(deadline - Date.now(), preStop ? MIN_KILL_GRACE_MS : 0);
      await this.stopProcess(left);
    }
    if (this.net) await this.deps.network.removePod(this.net);
    await this.statusChain;
    if (!finalizeApiObject) return;
    try {
      await this.deps.core.deleteNamespacedPod({
        name: this.pod.metadata!.name!,
        namespace: this.pod.metadata!.namespace!,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.pod.metadata!.uid! } },
      });
      this.deps.log(`[${key}] deleted`);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 404 && code !== 409)
        this.deps.log(`[${key}] final delete failed: ${(err as Error).message}`);
    }
  }

  /** The pod object is gone (or the agent stops): end the process and the sandbox without API writes. */
  async kill(graceMs: number): Promise<void> {
    this.killed = true;
    if (this.terminating) return this.terminating;
    this.terminating = this.terminate(graceMs, false);
    return this.terminating;
  }

  private condition(type: string, status: boolean): V1PodCondition {
    const s = status ? 'True' : 'False';
    const prev = this.transitions.get(type);
    if (!prev || prev.status !== s) this.transitions.set(type, { status: s, time: now() });
    return { type, status: s, lastTransitionTime: new Date(this.transitions.get(type)!.time) };
  }

  private buildStatus(): Record<string, unknown> {
    const hostIp = this.deps.hostIp;
    const spec = this.pod.spec!;
    const running = 'running' in this.state && this.state.running !== undefined;
    const containerStatuses = spec.containers.map((c, i) =>
      i === 0
        ? {
            name: c.name,
            image: c.image ?? '',
            imageID: '',
            containerID: this.proc?.pid ? `goassist://${this.proc.pid}` : undefined,
            ready: this.ready,
            started: running && this.started,
            restartCount: this.restartCount,
            state: this.state,
            lastState: this.lastState ?? {},
          }
        : {
            name: c.name,
            image: c.image ?? '',
            imageID: '',
            ready: false,
            started: false,
            restartCount: 0,
            state: {
              waiting: { reason: 'Unsupported', message: 'the node agent runs only the first container' },
            },
          },
    );
    const allReady = this.ready && spec.containers.length === 1;
    return {
      phase: this.phase,
      hostIP: hostIp,
      hostIPs: [{ ip: hostIp }],
      ...(this.net ? { podIP: this.net.ip, podIPs: [{ ip: this.net.ip }] } : {}),
      startTime: this.startTime,
      conditions: [
        this.condition('PodReadyToStartContainers', this.net !== undefined),
        this.condition('Initialized', true),
        this.condition('ContainersReady', allReady),
        this.condition('Ready', allReady),
      ],
      containerStatuses,
    };
  }

  /** Strategic-merge patch of the status subresource, skipped when nothing changed; serialised per pod. */
  private reportStatus(): Promise<void> {
    const status = this.buildStatus();
    const body = JSON.stringify(status);
    if (body === this.lastSent) return this.statusChain;
    this.lastSent = body;
    this.statusChain = this.statusChain.then(async () => {
      if (this.killed) return;
      try {
        await this.deps.core.patchNamespacedPodStatus(
          { name: this.pod.metadata!.name!, namespace: this.pod.metadata!.namespace!, body: { status } },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        );
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== 404)
          this.deps.log(`[${podKey(this.pod)}] status patch failed: ${(err as Error).message}`);
      }
    });
    return this.statusChain;
  }
}
