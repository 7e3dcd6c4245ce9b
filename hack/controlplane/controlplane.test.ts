import { AppsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from './index.js';
import { waitFor } from './wait.js';

const NS = 'cp-test';
let cp: ControlPlane;
let core: CoreV1Api;

function clients(kubeconfigPath: string): { core: CoreV1Api; apps: AppsV1Api; rbac: RbacAuthorizationV1Api } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
  };
}

beforeAll(async () => {
  cp = await startControlPlane();
  core = clients(cp.kubeconfigPath).core;
  await core.createNamespace({ body: { metadata: { name: NS } } });
}, 300_000);

afterAll(async () => {
  await cp?.stop();
});

test('serves /readyz on a loopback port, reporting the version it was built with', () => {
  expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const kubectl = join(cp.binDir, 'kubectl');
  const readyz = execFileSync(kubectl, [
    '--kubeconfig',
    cp.kubeconfigPath,
    'get',
    '--raw',
    '/readyz',
  ]).toString();
  expect(readyz).toBe('ok');
  const version = JSON.parse(
    execFileSync(kubectl, ['--kubeconfig', cp.kubeconfigPath, 'version', '-o', 'json']).toString(),
  ) as { serverVersion: { gitVersion: string; major: string } };
  expect(version.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
  expect(version.serverVersion.major).toBe('1');
});

test('RBAC is enforced: a ServiceAccount without rights is forbidden until a RoleBinding grants them', async () => {
  await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'nobody' } } });
  const saKubeconfig = await cp.kubeconfigForServiceAccount(NS, 'nobody');
  const asSa = clients(saKubeconfig).core;
  await expect(asSa.listNamespacedPod({ namespace: NS })).rejects.toMatchObject({ code: 403 });

  const { rbac } = clients(cp.kubeconfigPath);
  await rbac.createNamespacedRole({
    namespace: NS,
    body: {
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: NS,
    body: {
      metadata: { name: 'nobody-reads-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: NS }],
    },
  });
  const list = await waitFor(
    'RBAC to allow listing pods',
    () => asSa.listNamespacedPod({ namespace: NS }),
    30_000,
  );
  expect(list.items).toEqual([]);
  // Still forbidden outside what the Role grants.
  await expect(asSa.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ code: 403 });
});

test('controller-manager runs: a Deployment gets a ReplicaSet and pods', async () => {
  const { apps } = clients(cp.kubeconfigPath);
  await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'example.invalid/web:1' }] },
        },
      },
    },
  });
  const pods = await waitFor('2 pods of the Deployment', async () => {
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
    return list.items.length === 2 ? list.items : undefined;
  });
  expect(pods.every((p) => p.metadata?.ownerReferences?.[0]?.kind === 'ReplicaSet')).toBe(true);
  // The serviceaccount admission and token controllers are at work: pods got the projected token volume.
  expect(pods[0]!.spec?.volumes?.some((v) => v.projected !== undefined)).toBe(true);
});

test('restartApiserver keeps the port and the data in etcd', async () => {
  await core.createNamespacedConfigMap({
    namespace: NS,
    body: { metadata: { name: 'kept' }, data: { k: 'v' } },
  });
  const before = cp.server;
  await cp.restartApiserver();
  expect(cp.server).toBe(before);
  const cm = await core.readNamespacedConfigMap({ namespace: NS, name: 'kept' });
  expect(cm.data).toEqual({ k: 'v' });
});

test('stop kills its processes and removes its temp dir', async () => {
  const other = await startControlPlane({ controllerManager: false, scheduler: false });
  const dir = other.kubeconfigPath.replace(/\/admin\.kubeconfig$/, '');
  // etcd and kube-apiserver both name the temp dir on their command lines.
  const running = (): string[] => {
    try {
      return execFileSync('pgrep', ['-f', dir]).toString().trim().split('\n');
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  };
  expect(running()).toHaveLength(2);
  await other.stop();
  expect(running()).toEqual([]);
  expect(existsSync(dir)).toBe(false);
}, 180_000);
