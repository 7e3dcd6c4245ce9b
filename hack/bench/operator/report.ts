export interface BenchResult {
  crs: number;
  nodes: number;
  childrenCreated: number;
  ready: number;
  appliedAllMs: number;
  totalMs: number;
  childrenP50?: number;
  childrenP95?: number;
  readyP50?: number;
  readyP95?: number;
  rssIdleMb: number;
  rssPeakMb: number;
  cpuSeconds: number;
  cpuIdlePercent: number;
  reconciles: number;
  requestsPerReconcile: number;
  writesPerReconcile: number;
  writesPerCr: number;
  idleWrites: number;
  /** 1-minute load average of the machine when the run started and when all were Ready. */
  loadAverage: [number, number];
}

const START = '<!-- operator-bench:start -->';
const END = '<!-- operator-bench:end -->';
const ms = (v?: number) => (v === undefined ? 'n/a' : `${v} ms`);

/** The "Operator" section of docs/performance.md, between markers so a rerun replaces only it. */
export function renderSection(r: BenchResult, at: Date): string {
  return [
    START,
    '## Operator',
    '',
    `\`npx tsx hack/bench/operator/main.ts --crs ${r.crs} --nodes ${r.nodes}\` on ${at.toISOString().slice(0, 10)}: ${r.crs} GoAssistDeployments (1 replica each) on ${r.nodes} KWOK nodes, against the local control plane (kube-apiserver, etcd, controller-manager and scheduler on the same 2-core machine as the operator, so these are upper bounds).`,
    '',
    '| measure | value |',
    '|---|---|',
    `| CRs with all children created / Ready=True | ${r.childrenCreated} / ${r.ready} of ${r.crs} |`,
    `| all ${r.crs} CRs created by the client | ${ms(r.appliedAllMs)} |`,
    `| apply -> children created (Deployment, 2 Services, PDB), p50 / p95 | ${ms(r.childrenP50)} / ${ms(r.childrenP95)} |`,
    `| apply -> Ready=True, p50 / p95 | ${ms(r.readyP50)} / ${ms(r.readyP95)} |`,
    `| operator RSS idle / peak | ${r.rssIdleMb.toFixed(0)} MiB / ${r.rssPeakMb.toFixed(0)} MiB |`,
    `| operator CPU for the whole run / when idle | ${r.cpuSeconds.toFixed(1)} s / ${r.cpuIdlePercent.toFixed(1)} % of a core |`,
    `| reconcile passes | ${r.reconciles} |`,
    `| API requests per reconcile (no list/watch) | ${r.requestsPerReconcile.toFixed(2)} |`,
    `| API writes per reconcile / per CR | ${r.writesPerReconcile.toFixed(2)} / ${r.writesPerCr.toFixed(2)} |`,
    `| API writes in 30 s idle (10 s after all Ready) | ${r.idleWrites} |`,
    `| machine load average (1 min) at start / at the end | ${r.loadAverage[0].toFixed(1)} / ${r.loadAverage[1].toFixed(1)} |`,
    '',
    `Time to Ready is mostly the control plane's: for every CR kube-controller-manager creates a ReplicaSet and a Pod, the scheduler binds it and KWOK marks it ready, all on the same 2 cores, while the operator used ${r.cpuSeconds.toFixed(1)} s of CPU for the whole run. Four workers each apply a pass's children concurrently; apply -> children is bound by the API server's throughput on the shared cores (it is creating 500 ReplicaSets and Pods for the same Deployments at the same time). Writes per CR are the 4 children plus 3 status updates as the revision becomes ready.`,
    '',
    'The operator runs under tsx (TypeScript loaded at start), which adds to its RSS compared with the built `dist/`.',
    END,
  ].join('\n');
}

export function replaceSection(doc: string, section: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a !== -1 && b > a) return doc.slice(0, a) + section + doc.slice(b + END.length);
  return `${doc.trimEnd()}\n\n${section}\n`;
}
