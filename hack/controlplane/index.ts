import { createWriteStream, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ensureControlPlaneBinaries } from './binaries.js';
import { generateControlPlaneCerts, type ControlPlaneCerts } from './certs.js';
import { ControlPlaneError } from './errors.js';
import { apiserverArgs, controllerManagerArgs, etcdArgs, schedulerArgs } from './flags.js';
import { waitForHealthy } from './https-probe.js';
import { writeKubeconfig } from './kubeconfig.js';
import { freeLoopbackPort } from './ports.js';
import { ManagedProcess } from './process.js';
import { RunRegistry } from './run-registry.js';
import { HARNESS_NETWORK } from '../nodeagent/netrange.js';
import { ensureHarnessGuardRoute } from '../nodeagent/network.js';

export { ensureControlPlaneBinaries } from './binaries.js';
export { ControlPlaneError, type ControlPlaneErrorCode } from './errors.js';

export interface ControlPlane {
  kubeconfigPath: string; // admin kubeconfig (client cert, system:masters)
  server: string; // https://127.0.0.1:<port>
  binDir: string;
  /** Writes a kubeconfig that authenticates as the given ServiceAccount (token from TokenRequest) */
  kubeconfigForServiceAccount(namespace: string, name: string): Promise<string>;
  restartApiserver(): Promise<void>; // stop and start kube-apiserver on the same port, same etcd
  stop(): Promise<void>; // kills only its own processes, removes its temp dir
}

export interface StartControlPlaneOptions {
  controllerManager?: boolean;
  scheduler?: boolean;
  log?: (line: string) => void;
}

const APISERVER_READY_TIMEOUT_MS = 120_000;
const COMPONENT_READY_TIMEOUT_MS = 60_000;
const SERVICE_ACCOUNT_TOKEN_SECONDS = 24 * 3600;

async function waitForEtcd(proc: ManagedProcess, port: number): Promise<void> {
  const deadline = Date.now() + COMPONENT_READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const exited = proc.exitError();
    if (exited) throw exited;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.ok && body.includes('"health":"true"')) return;
      last = `HTTP ${res.status}: ${body}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new ControlPlaneError(
    'NOT_READY',
    `etcd not healthy after ${COMPONENT_READY_TIMEOUT_MS} ms (${last})`,
  );
}

async function waitForDefaultServiceAccount(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + COMPONENT_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new ControlPlaneError(
    'NOT_READY',
    'kube-controller-manager did not create ServiceAccount default/default within ' +
      `${COMPONENT_READY_TIMEOUT_MS} ms`,
  );
}

/**
 * Starts etcd and kube-apiserver (and, unless turned off, kube-controller-manager and kube-scheduler) on
 * free loopback ports with throwaway certificates, and resolves once everything answers healthy.
 */
export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const withControllerManager = opts.controllerManager ?? true;
  const withScheduler = opts.scheduler ?? true;
  const tempDir = mkdtempSync(join(tmpdir(), 'goassist-cp-'));
  const logFile = createWriteStream(join(tempDir, 'controlplane.log'));
  const log = (line: string): void => {
    logFile.write(line + '\n');
    opts.log?.(line);
  };
  RunRegistry.reapStale(log);
  // ClusterIPs (10.213.255.0/24) route nowhere; make sure a stray connection fails on this machine.
  await ensureHarnessGuardRoute().catch((err: unknown) =>
    log(`warning: could not install the harness guard route: ${(err as Error).message}`),
  );
  const registry = new RunRegistry(tempDir);
  const procs: ManagedProcess[] = [];
  let stopped = false;

  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Reverse start order: clients first, etcd last.
    for (const p of [...procs].reverse()) {
      await p.stop();
      registry.remove(p.pid);
    }
    registry.close();
    await new Promise<void>((r) => logFile.end(r));
    rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    // A cold build takes minutes: show its progress even when the caller gave no log.
    const binDir = await ensureControlPlaneBinaries((line) => {
      log(line);
      if (!opts.log && !line.includes('] cached: ')) process.stderr.write(line + '\n');
    });
    const bin = (name: string): string => realpathSync(join(binDir, name));
    const launch = (name: string, args: string[]): ManagedProcess => {
      const p = new ManagedProcess(name, bin(name), args, log, { cwd: tempDir });
      registry.add(p.pid, bin(name));
      procs.push(p);
      return p;
    };

    const certs: ControlPlaneCerts = await generateControlPlaneCerts(tempDir, HARNESS_NETWORK.firstServiceIp);
    const [etcdClientPort, etcdPeerPort, apiPort, cmPort, schedPort] = await Promise.all(
      Array.from({ length: 5 }, () => freeLoopbackPort()),
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const adminTls = { ca: certs.ca.cert, cert: certs.admin.cert, key: certs.admin.key };

    const etcd = launch(
      'etcd',
      etcdArgs({ dataDir: join(tempDir, 'etcd'), clientPort: etcdClientPort!, peerPort: etcdPeerPort! }),
    );
    await waitForEtcd(etcd, etcdClientPort!);

    const apiArgs = apiserverArgs({
      certs,
      certDir: join(tempDir, 'apiserver-certs'),
      etcdClientPort: etcdClientPort!,
      securePort: apiPort!,
      serviceAccountAdmission: withControllerManager,
    });
    let apiserver = launch('kube-apiserver', apiArgs);
    await waitForHealthy(`${server}/readyz`, adminTls, apiserver, APISERVER_READY_TIMEOUT_MS);

    const kubeconfigPath = writeKubeconfig(join(tempDir, 'admin.kubeconfig'), {
      server,
      caCert: certs.ca.cert,
      user: 'goassist-admin',
      credentials: { clientCert: certs.admin.cert, clientKey: certs.admin.key },
    });

    const componentTls = { ca: certs.ca.cert };
    if (withControllerManager) {
      const kubeconfig = writeKubeconfig(join(tempDir, 'controller-manager.kubeconfig'), {
        server,
        caCert: certs.ca.cert,
        user: 'system:kube-controller-manager',
        credentials: { clientCert: certs.controllerManager.cert, clientKey: certs.controllerManager.key },
      });
      const cm = launch(
        'kube-controller-manager',
        controllerManagerArgs({ certs, kubeconfig, securePort: cmPort! }),
      );
      await waitForHealthy(
        `https://127.0.0.1:${cmPort}/healthz`,
        componentTls,
        cm,
        COMPONENT_READY_TIMEOUT_MS,
      );
    }
    if (withScheduler) {
      const kubeconfig = writeKubeconfig(join(tempDir, 'scheduler.kubeconfig'), {
        server,
        caCert: certs.ca.cert,
        user: 'system:kube-scheduler',
        credentials: { clientCert: certs.scheduler.cert, clientKey: certs.scheduler.key },
      });
      const sched = launch('kube-scheduler', schedulerArgs({ certs, kubeconfig, securePort: schedPort! }));
      await waitForHealthy(
        `https://127.0.0.1:${schedPort}/healthz`,
        componentTls,
        sched,
        COMPONENT_READY_TIMEOUT_MS,
      );
    }
    if (withControllerManager) await waitForDefaultServiceAccount(kubeconfigPath);

    let saCounter = 0;
    return {
      kubeconfigPath,
      server,
      binDir,
      async kubeconfigForServiceAccount(namespace: string, name: string): Promise<string> {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfigPath);
        let token: string | undefined;
        try {
          const res = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
            name,
            namespace,
            body: { spec: { audiences: [], expirationSeconds: SERVICE_ACCOUNT_TOKEN_SECONDS } },
          });
          token = res.status?.token;
        } catch (err) {
          throw new ControlPlaneError(
            'TOKEN_REQUEST_FAILED',
            `TokenRequest for ServiceAccount ${namespace}/${name} failed: ${(err as Error).message}`,
            { cause: err },
          );
        }
        if (!token) {
          throw new ControlPlaneError(
            'TOKEN_REQUEST_FAILED',
            `TokenRequest for ${namespace}/${name} returned no token`,
          );
        }
        return writeKubeconfig(join(tempDir, `sa-${namespace}-${name}-${++saCounter}.kubeconfig`), {
          server,
          caCert: certs.ca.cert,
          user: `system:serviceaccount:${namespace}:${name}`,
          credentials: { token },
        });
      },
      async restartApiserver(): Promise<void> {
        await apiserver.stop();
        registry.remove(apiserver.pid);
        procs.splice(procs.indexOf(apiserver), 1);
        apiserver = launch('kube-apiserver', apiArgs);
        // Keep the apiserver before its clients in stop order.
        procs.splice(procs.indexOf(apiserver), 1);
        procs.splice(1, 0, apiserver);
        await waitForHealthy(`${server}/readyz`, adminTls, apiserver, APISERVER_READY_TIMEOUT_MS);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
