/**
 * Operator benchmark: N GoAssistDeployments on KWOK nodes against a real local control plane.
 *   npx tsx hack/bench/operator/main.ts [--crs 500] [--nodes 20] [--no-write-docs]
 * Measures apply -> children created (p50/p95), apply -> Ready=True, operator RSS and CPU, and API
 * requests per reconcile; prints a table and writes it into docs/performance.md ("Operator" section).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../controlplane/index.js';
import { freeLoopbackPort } from '../../controlplane/ports.js';
import { startKwok } from '../../kwok/index.js';
import { API_VERSION, KIND, LABEL_DEPLOYMENT } from '../../../operator/api/names.js';
import { KubeClient } from '../../../operator/kube/client.js';
import { Informer } from '../../../operator/kube/informer.js';
import { KINDS, resourcePath } from '../../../operator/kube/kinds.js';
import type { KubeObject } from '../../../operator/resources/types.js';
import { installCrd } from './crd.js';
import { percentile, processSample, type ProcessSample } from './stats.js';
import { renderSection, replaceSection } from './report.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : Number(args[i + 1]);
};
const CRS = arg('crs', 500);
const NODES = arg('nodes', 20);
const CONCURRENCY = arg('concurrency', 16);
const TIMEOUT_MS = arg('timeout-s', 900) * 1000;
const root = join(import.meta.dirname, '..', '..', '..');
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

const ns = 'bench';
log(`starting control plane (controller-manager + scheduler)`);
const cp = await startControlPlane({ controllerManager: true, scheduler: true });
let operator: ReturnType<typeof spawn> | undefined;
let kwok: Awaited<ReturnType<typeof startKwok>> | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () => (cleaning ??= stopAll());
const stopAll = async () => {
  if (operator && operator.exitCode === null) {
    operator.kill('SIGTERM');
    await new Promise((r) => operator!.once('exit', r));
  }
  await kwok?.stop().catch(() => undefined);
  await cp.stop();
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  log(`starting KWOK with ${NODES} fake nodes`);
  kwok = await startKwok({
    kubeconfigPath: cp.kubeconfigPath,
    nodeCount: NODES,
    namePrefix: 'bench',
    taint: true,
  });
  await installCrd(cp.kubeconfigPath, cp.binDir);
  const client = KubeClient.fromFile(cp.kubeconfigPath);
  await client.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  });

  const port = await freeLoopbackPort();
  operator = spawn(process.execPath, ['--import', 'tsx', join(root, 'operator', 'main.ts')], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      KUBECONFIG: cp.kubeconfigPath,
      WATCH_NAMESPACE: ns,
      LEADER_ELECTION: 'false',
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      POD_NAME: 'bench-operator',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const opPid = operator.pid!;
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 300) throw new Error('operator did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const idleSample = processSample(opPid);

  // Observers: first time each CR's children all exist, first time it reports Ready=True.
  const applied = new Map<string, number>();
  const childrenAt = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const seen = new Map<string, Set<string>>();
  const childCount = 4; // revision Deployment, revision Service, stable Service, PDB
  const watch = (kind: keyof typeof KINDS) => {
    const inf = new Informer<KubeObject>(client, {
      kind: KINDS[kind],
      namespace: ns,
      labelSelector: kind === 'GoAssistDeployment' ? undefined : LABEL_DEPLOYMENT,
    });
    const onChild = (o: KubeObject) => {
      const owner = o.metadata.labels?.[LABEL_DEPLOYMENT];
      if (!owner) return;
      const s = seen.get(owner) ?? new Set<string>();
      s.add(`${kind}/${o.metadata.name}`);
      seen.set(owner, s);
      if (s.size >= childCount && !childrenAt.has(owner)) childrenAt.set(owner, Date.now());
    };
    const onCr = (o: KubeObject) => {
      const st = (o as { status?: { conditions?: Array<{ type: string; status: string }> } }).status;
      if (
        !readyAt.has(o.metadata.name!) &&
        st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
      )
        readyAt.set(o.metadata.name!, Date.now());
    };
    inf.addHandlers(
      kind === 'GoAssistDeployment' ? { onAdd: onCr, onUpdate: onCr } : { onAdd: onChild, onUpdate: onChild },
    );
    inf.start();
    return inf;
  };
  const informers = [
    watch('GoAssistDeployment'),
    watch('Deployment'),
    watch('Service'),
    watch('PodDisruptionBudget'),
  ];
  await Promise.all(informers.map((i) => i.waitForSync()));

  log(`applying ${CRS} GoAssistDeployments (concurrency ${CONCURRENCY})`);
  const start = Date.now();
  const loadAtStart = loadavg()[0]!;
  const startSample = processSample(opPid);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CRS) {
        const name = `voice-${String(next++).padStart(4, '0')}`;
        applied.set(name, Date.now());
        await client.request('POST', resourcePath(KINDS.GoAssistDeployment, ns), {
          body: {
            apiVersion: API_VERSION,
            kind: KIND,
            metadata: { name, namespace: ns },
            spec: {
              image: 'ghcr.io/goassist/goassist:0.1.0',
              replicas: 1,
              runtime: { environment: 'development' },
              nodeSelector: { type: 'kwok' },
              tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
            },
          },
        });
      }
    }),
  );
  const appliedAllMs = Date.now() - start;
  log(`applied all in ${appliedAllMs} ms; waiting for Ready`);
  let peak: ProcessSample = startSample;
  while (readyAt.size < CRS && Date.now() - start < TIMEOUT_MS) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = processSample(opPid);
    if (s.rssBytes > peak.rssBytes) peak = s;
    if ((Date.now() - start) % 10_000 < 1000)
      log(`children ${childrenAt.size}/${CRS}, ready ${readyAt.size}/${CRS}`);
  }
  const endSample = processSample(opPid);
  const totalMs = Date.now() - start;
  const loadAtEnd = loadavg()[0]!;
  // Idle: let the last status updates settle, then 30 s with nothing to do.
  await new Promise((r) => setTimeout(r, 10_000));
  const idleStart = processSample(opPid);
  const metricsBeforeIdle = await (await fetch(metricsUrl)).text();
  await new Promise((r) => setTimeout(r, 30_000));
  const idleEnd = processSample(opPid);
  const metricsText = await (await fetch(metricsUrl)).text();

  const sum = (text: string, re: RegExp) =>
    text
      .split('\n')
      .filter((l) => re.test(l))
      .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  const reconciles = sum(metricsText, /^goassist_operator_reconciles_total/);
  const requests = sum(metricsText, /^goassist_operator_api_requests_total\{/);
  const watches = sum(metricsText, /^goassist_operator_api_requests_total\{verb="(watch|list)"/);
  const writes = sum(
    metricsText,
    /^goassist_operator_api_requests_total\{verb="(create|update|patch|delete)"/,
  );
  const idleWrites =
    writes -
    sum(metricsBeforeIdle, /^goassist_operator_api_requests_total\{verb="(create|update|patch|delete)"/);

  const lat = (m: Map<string, number>) => [...m].map(([k, t]) => t - applied.get(k)!).sort((a, b) => a - b);
  const childLat = lat(childrenAt);
  const readyLat = lat(readyAt);
  const cpuSeconds = endSample.cpuSeconds - startSample.cpuSeconds;
  const result = {
    crs: CRS,
    nodes: NODES,
    childrenCreated: childrenAt.size,
    ready: readyAt.size,
    appliedAllMs,
    totalMs,
    childrenP50: percentile(childLat, 50),
    childrenP95: percentile(childLat, 95),
    readyP50: percentile(readyLat, 50),
    readyP95: percentile(readyLat, 95),
    rssIdleMb: idleSample.rssBytes / 2 ** 20,
    rssPeakMb: Math.max(peak.rssBytes, endSample.hwmBytes) / 2 ** 20,
    cpuSeconds,
    cpuIdlePercent: ((idleEnd.cpuSeconds - idleStart.cpuSeconds) / 30) * 100,
    reconciles,
    requestsPerReconcile: (requests - watches) / Math.max(1, reconciles),
    writesPerReconcile: writes / Math.max(1, reconciles),
    writesPerCr: writes / CRS,
    idleWrites,
    loadAverage: [loadAtStart, loadAtEnd] as [number, number],
  };
  const section = renderSection(result, new Date());
  process.stdout.write(`${section}\n`);
  if (!args.includes('--no-write-docs')) {
    const file = join(root, 'docs', 'performance.md');
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
    writeFileSync(file, replaceSection(before, section));
    log(`wrote the Operator section of docs/performance.md`);
  }
  for (const i of informers) await i.stop();
  client.close();
} finally {
  await cleanup();
}
