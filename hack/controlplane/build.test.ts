import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROL_PLANE_BINARIES, ensureControlPlaneBinaries } from './binaries.js';
import { freeLoopbackPort } from './ports.js';
import { goassistCacheDir, repoRoot } from './paths.js';
import { RunRegistry } from './run-registry.js';
import { waitFor } from './wait.js';

let binDir: string;
const scratch: string[] = [];
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  binDir = await ensureControlPlaneBinaries();
}, 3_600_000);

afterAll(() => {
  for (const c of cleanups) c();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
}

test('the cache holds every binary, keyed by version, outside the repo', () => {
  expect(binDir.startsWith(join(goassistCacheDir(), 'controlplane'))).toBe(true);
  expect(binDir.startsWith(repoRoot())).toBe(false);
  expect(binDir).toMatch(/k8s-v1\.\d+\.\d+_etcd-v3\.\d+\.\d+_kwok-v\d+\.\d+\.\d+\/bin$/);
  for (const b of CONTROL_PLANE_BINARIES) expect(existsSync(join(binDir, b))).toBe(true);
  expect(execFileSync(join(binDir, 'kube-apiserver'), ['--version']).toString()).toMatch(
    /^Kubernetes v1\.\d+\.\d+/,
  );
});

test('binaries in KUBEBUILDER_ASSETS are used instead of being built', () => {
  const assets = tempDir('goassist-assets-');
  for (const b of CONTROL_PLANE_BINARIES) symlinkSync(join(binDir, b), join(assets, b));
  const cache = tempDir('goassist-cache-');
  const out = execFileSync('bash', [join(repoRoot(), 'hack', 'controlplane', 'build.sh')], {
    env: { ...process.env, GOASSIST_CACHE: cache, KUBEBUILDER_ASSETS: assets, PATH: '/usr/bin:/bin' }, // no go on PATH
  })
    .toString()
    .trim();
  expect(out.startsWith(cache)).toBe(true);
  for (const b of CONTROL_PLANE_BINARIES) expect(readlinkSync(join(out, b))).toBe(join(assets, b));
});

test('a later start kills the processes and removes the temp dir of a control plane whose owner died', async () => {
  // An owner that recorded an etcd and then died without tearing it down.
  const orphanDir = tempDir('goassist-cp-orphan-');
  const [client, peer] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const etcdBin = join(binDir, 'etcd');
  const etcd = spawn(
    etcdBin,
    [
      `--data-dir=${join(orphanDir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
    ],
    { stdio: 'ignore', detached: true },
  );
  const exited = new Promise((r) => etcd.on('exit', r));
  cleanups.push(() => {
    if (etcd.exitCode === null && etcd.signalCode === null) etcd.kill('SIGKILL');
  });
  const deadOwner = spawn('true').pid!;
  mkdirSync(join(goassistCacheDir(), 'controlplane', 'runs'), { recursive: true });
  writeFileSync(
    join(goassistCacheDir(), 'controlplane', 'runs', `${deadOwner}-test.json`),
    JSON.stringify({
      ownerPid: deadOwner,
      tempDir: orphanDir,
      children: [{ pid: etcd.pid, binary: readlinkSync(`/proc/${etcd.pid}/exe`) }],
    }),
  );
  await waitFor('dead owner gone', () => {
    try {
      process.kill(deadOwner, 0);
      return false;
    } catch {
      return true;
    }
  });
  expect(RunRegistry.reapStale(() => {})).toBeGreaterThanOrEqual(1);
  await exited;
  expect(existsSync(orphanDir)).toBe(false);
});
