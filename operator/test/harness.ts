import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { API_VERSION, KIND } from '../api/names.js';
import type { GoAssistDeployment } from '../api/types.js';
import { parseOperatorConfig } from '../config.js';
import type { KubeClient } from '../kube/client.js';
import { KubeClient as Client, WRITE_VERBS } from '../kube/client.js';
import { isConflict } from '../kube/errors.js';
import { KINDS, resourcePath } from '../kube/kinds.js';
import type { RunningOperator } from '../operator.js';
import { startOperator } from '../operator.js';

const run = promisify(execFile);
export const repoRoot = join(import.meta.dirname, '..', '..');

/** Pods of tests that need none stay Pending: no node carries this label. */
export const NO_NODE = { 'goassist.io/test-node': 'none' };

/** The shared control plane of the jest `operator` project (hack/controlplane/jest-global-setup.ts). */
export function sharedKubeconfig(): string {
  const path = process.env.GOASSIST_TEST_KUBECONFIG;
  if (!path)
    throw new Error(
      'GOASSIST_TEST_KUBECONFIG is not set: run through jest (its global setup starts the control plane)',
    );
  return path;
}

export function kubectlPath(): string {
  const bin = process.env.GOASSIST_TEST_CONTROLPLANE_BIN;
  return bin ? join(bin, 'kubectl') : 'kubectl';
}

export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const child = run(kubectlPath(), ['--kubeconfig', kubeconfig, ...args], {
    cwd: repoRoot,
    maxBuffer: 16 << 20,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

/** Installs (or updates) the generated CRD and waits until it is served. */
export async function installCrd(kubeconfig: string): Promise<void> {
  await kubectl(kubeconfig, [
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    'crds/goassist.io_goassistdeployments.yaml',
  ]);
  await kubectl(kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/goassistdeployments.goassist.io',
  ]);
}

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

/** Installs the CRD and creates `namespace` on the API server behind `kubeconfig`; returns an admin client. */
export async function openTestNamespace(kubeconfig: string, namespace: string): Promise<KubeClient> {
  await installCrd(kubeconfig);
  const client = adminClient(kubeconfig);
  await createNamespace(client, namespace);
  return client;
}

/** Best effort: a failed clean-up must not hide the test's own result. */
export async function deleteNamespace(client: KubeClient | undefined, namespace: string): Promise<void> {
  await client?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => undefined);
}

/** Deletes the test namespace, then closes the client. */
export async function closeTestNamespace(client: KubeClient | undefined, namespace: string): Promise<void> {
  await deleteNamespace(client, namespace);
  client?.close();
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
  );
}

export function crPath(namespace: string, name?: string): string {
  return resourcePath(KINDS.GoAssistDeployment, namespace, name);
}

export async function createCr(
  client: KubeClient,
  namespace: string,
  name: string,
  spec: unknown,
): Promise<GoAssistDeployment> {
  return client.request('POST', crPath(namespace), {
    body: { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec },
  });
}

export async function patchSpec(
  client: KubeClient,
  namespace: string,
  name: string,
  spec: unknown,
): Promise<GoAssistDeployment> {
  return client.request('PATCH', crPath(namespace, name), {
    body: { spec },
    contentType: 'application/merge-patch+json',
  });
}

export async function getCr(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<GoAssistDeployment> {
  return client.request('GET', crPath(namespace, name));
}

export function condition(cr: GoAssistDeployment | undefined, type: string) {
  return cr?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the operator has seen the latest generation and the condition has the given status. */
export function waitForCondition(
  client: KubeClient,
  namespace: string,
  name: string,
  type: string,
  status: 'True' | 'False',
  timeoutMs = 60_000,
): Promise<GoAssistDeployment> {
  return waitFor(
    `${namespace}/${name} ${type}=${status}`,
    async () => {
      const cr = await getCr(client, namespace, name);
      const c = condition(cr, type);
      return cr.status?.observedGeneration === cr.metadata.generation && c?.status === status
        ? cr
        : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the operator has seen the latest generation, promoted a revision other than `from` and is Ready. */
export function waitForPromotion(
  client: KubeClient,
  namespace: string,
  name: string,
  from: string,
  what: string,
): Promise<GoAssistDeployment> {
  return waitFor(what, async () => {
    const cr = await getCr(client, namespace, name);
    return cr.status?.observedGeneration === cr.metadata.generation &&
      cr.status?.stableRevision !== from &&
      condition(cr, 'Ready')?.status === 'True'
      ? cr
      : undefined;
  });
}

export async function list<
  T = {
    metadata: {
      name: string;
      namespace: string;
      labels?: Record<string, string>;
      resourceVersion: string;
      uid: string;
    };
  },
>(client: KubeClient, kind: keyof typeof KINDS, namespace: string, labelSelector?: string): Promise<T[]> {
  const res = await client.request<{ items: T[] }>('GET', resourcePath(KINDS[kind], namespace), {
    query: { labelSelector },
  });
  return res.items;
}

/** Waits until `deployment` is the only Deployment left in `namespace` (old revisions removed). */
export function waitForOnlyDeployment(
  client: KubeClient,
  namespace: string,
  deployment: string,
  what: string,
): Promise<true> {
  return waitFor(what, async () =>
    (await list(client, 'Deployment', namespace)).map((d) => d.metadata.name).join() === deployment
      ? true
      : undefined,
  );
}

export interface TestOperator extends RunningOperator {
  client: KubeClient;
  /** Writes this operator sent, by verb and path (leases counted apart). */
  writes: Array<{ verb: string; path: string; status: number }>;
}

/** Runs the operator in this process against `kubeconfig`, as main.ts would with these settings. */
export async function startTestOperator(opts: {
  kubeconfig: string;
  /** Watch only this namespace; cluster-wide when undefined. */
  namespace: string | undefined;
  identity?: string;
  leaderElection?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
}): Promise<TestOperator> {
  const config = parseOperatorConfig({
    ...(opts.namespace ? { WATCH_NAMESPACE: opts.namespace } : {}),
    POD_NAME: opts.identity ?? 'test-operator',
    POD_NAMESPACE: opts.leaseNamespace ?? opts.namespace ?? 'default',
    LEADER_ELECTION: String(opts.leaderElection ?? false),
    LEADER_ELECTION_ID: opts.leaseName ?? 'goassist-operator',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    WORKERS: '2',
    LOG_LEVEL: process.env.GOASSIST_TEST_OPERATOR_LOG ? 'debug' : 'warn',
  });
  const client = Client.fromFile(opts.kubeconfig);
  const writes: TestOperator['writes'] = [];
  client.onRequest(({ verb, path, status }) => {
    if ((WRITE_VERBS as readonly string[]).includes(verb)) writes.push({ verb, path, status });
  });
  const logger = pino({ level: config.LOG_LEVEL }, pino.destination(2));
  const op = await startOperator(config, client, logger);
  return Object.assign(op, { client, writes });
}

export function adminClient(kubeconfig: string): KubeClient {
  return Client.fromFile(kubeconfig);
}

/**
 * A kubeconfig that authenticates as a ServiceAccount with a TokenRequest token, next to the admin one
 * (same server and CA). Tests run the operator with it to prove config/rbac is enough.
 */
export async function serviceAccountKubeconfig(
  adminKubeconfig: string,
  namespace: string,
  name: string,
): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const cluster = kc.getCurrentCluster()!;
  const admin = adminClient(adminKubeconfig);
  const tr = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  admin.close();
  const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
    users: [{ name: `${namespace}-${name}`, user: { token: tr.status.token } }],
    contexts: [{ name: 'sa', context: { cluster: 'test', user: `${namespace}-${name}`, namespace } }],
    'current-context': 'sa',
  };
  const dir = mkdtempSync(join(tmpdir(), 'goassist-sa-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** Runtime settings for test CRs: development needs no Secrets. */
export const DEV = { environment: 'development' } as const;
