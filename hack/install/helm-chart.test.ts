/**
 * The Helm chart installs the operator as config/ does: same RBAC rules, same CRD, onto a real
 * kube-apiserver (the operator project's shared control plane).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parse } from 'yaml';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const chart = join(repo, 'charts', 'goassist-operator');
const kubeconfig = process.env.GOASSIST_TEST_KUBECONFIG ?? '';
const namespace = 'helm-install-test';
const release = 'helm-test-op';

type Doc = { kind: string; metadata: { name: string; namespace?: string }; rules?: unknown[] } & Record<
  string,
  unknown
>;

let helm = '';
let kubectl = '';

async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run(cmd, args, {
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  return stdout;
}

beforeAll(async () => {
  const built = await run('bash', [join(repo, 'hack', 'tools', 'build-helm.sh')], {
    maxBuffer: 8 * 1024 * 1024,
  });
  helm = built.stdout.trim().split('\n').pop() ?? '';
  kubectl = join(process.env.GOASSIST_TEST_CONTROLPLANE_BIN ?? '', 'kubectl');
}, 900_000);

describe('Helm chart charts/goassist-operator', () => {
  it('passes helm lint', async () => {
    const out = await sh(helm, ['lint', chart]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('ships the generated CRD unchanged', () => {
    const generated = readFileSync(join(repo, 'crds', 'goassist.io_goassistdeployments.yaml'), 'utf8');
    const shipped = readFileSync(join(chart, 'crds', 'goassist.io_goassistdeployments.yaml'), 'utf8');
    expect(shipped).toBe(generated);
  });

  it('renders the same least-privilege rules as config/rbac', async () => {
    const rendered = parseAllDocuments(
      await sh(helm, [
        'template',
        'goassist-operator',
        chart,
        '-n',
        'goassist-system',
        '--kube-version',
        '1.36.0',
      ]),
    )
      .map((d) => d.toJSON() as Doc)
      .filter(Boolean);
    const clusterRole = rendered.find(
      (d) => d.kind === 'ClusterRole' && d.metadata.name === 'goassist-operator',
    );
    const leaderRole = rendered.find((d) => d.kind === 'Role');
    const configRole = parse(readFileSync(join(repo, 'config', 'rbac', 'role.yaml'), 'utf8')) as Doc;
    const configLeader = parse(
      readFileSync(join(repo, 'config', 'rbac', 'leader_election_role.yaml'), 'utf8'),
    ) as Doc;
    expect(clusterRole?.rules).toEqual(configRole.rules);
    expect(leaderRole?.rules).toEqual(configLeader.rules);
    const deployment = rendered.find((d) => d.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { serviceAccountName: string; containers: { command: string[] }[] } } };
    };
    expect(deployment.spec.template.spec.serviceAccountName).toBe('goassist-operator');
    expect(deployment.spec.template.spec.containers[0]?.command).toEqual(['node', 'dist/operator/main.js']);
  });

  it('installs onto a real kube-apiserver and uninstalls cleanly', async () => {
    await sh(helm, [
      'install',
      release,
      chart,
      '-n',
      namespace,
      '--create-namespace',
      '--set',
      'watchNamespace=' + namespace,
    ]);
    const crd = JSON.parse(
      await sh(kubectl, ['get', 'crd', 'goassistdeployments.goassist.io', '-o', 'json']),
    ) as {
      status: { conditions: { type: string; status: string }[] };
    };
    expect(crd.status.conditions.find((c) => c.type === 'Established')?.status).toBe('True');
    const deploy = JSON.parse(
      await sh(kubectl, ['get', 'deployment', release, '-n', namespace, '-o', 'json']),
    ) as {
      spec: {
        replicas: number;
        template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
      };
    };
    expect(deploy.spec.replicas).toBe(2);
    expect(deploy.spec.template.spec.containers[0]?.env).toEqual(
      expect.arrayContaining([{ name: 'WATCH_NAMESPACE', value: namespace }]),
    );
    const can = await sh(kubectl, [
      'auth',
      'can-i',
      'patch',
      'goassistdeployments.goassist.io',
      '--subresource=status',
      `--as=system:serviceaccount:${namespace}:${release}`,
    ]);
    expect(can.trim()).toBe('yes');
    const cannot = await run(
      kubectl,
      ['auth', 'can-i', 'get', 'secrets', `--as=system:serviceaccount:${namespace}:${release}`],
      {
        env: { ...process.env, KUBECONFIG: kubeconfig },
      },
    ).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
    expect(cannot.stdout.trim()).toBe('no');
    await sh(helm, ['uninstall', release, '-n', namespace, '--wait']);
    const left = await sh(kubectl, ['get', 'clusterrole', release, '--ignore-not-found', '-o', 'name']);
    expect(left.trim()).toBe('');
  });
});
