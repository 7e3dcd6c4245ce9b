import { jest } from '@jest/globals';
import type { KubeClient } from '../kube/client.js';
import { closeTestNamespace, kubectl, openTestNamespace, sharedKubeconfig, uniqueName } from './harness.js';

jest.setTimeout(120_000);

const kubeconfig = sharedKubeconfig();
const ns = uniqueName('gad-manifests');
let client: KubeClient;

beforeAll(async () => {
  client = await openTestNamespace(kubeconfig, ns);
});

afterAll(async () => {
  await closeTestNamespace(client, ns);
});

describe('shipped manifests apply cleanly to a real API server', () => {
  it('crds/ applies with kubectl apply -f', async () => {
    const out = await kubectl(kubeconfig, ['apply', '-f', 'crds/']);
    expect(out).toContain('customresourcedefinition.apiextensions.k8s.io/goassistdeployments.goassist.io');
  });

  it('config/default (CRD, RBAC, operator Deployment) passes server-side validation', async () => {
    // Server-side dry run: every object is admitted and validated, nothing runs (the operator image
    // would otherwise be scheduled onto the test harness's nodes). A dry run creates no namespace, so
    // the namespace is applied for real first, or the namespaced objects would depend on test order.
    await kubectl(kubeconfig, ['apply', '-f', 'config/manager/namespace.yaml']);
    const out = await kubectl(kubeconfig, ['apply', '-k', 'config/default', '--dry-run=server']);
    for (const kind of [
      'namespace/goassist-system',
      'customresourcedefinition',
      'clusterrole.rbac.authorization.k8s.io/goassist-operator',
      'deployment.apps/goassist-operator',
    ]) {
      expect(out).toContain(kind);
    }
  });

  it('config/rbac and config/crd apply for real', async () => {
    await kubectl(kubeconfig, ['apply', '-f', 'config/manager/namespace.yaml']);
    expect(await kubectl(kubeconfig, ['apply', '-k', 'config/rbac'])).toContain(
      'clusterrolebinding.rbac.authorization.k8s.io/goassist-operator',
    );
    expect(
      await kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '-k', 'config/crd']),
    ).toContain('goassistdeployments.goassist.io');
  });

  it('every sample in config/samples is accepted', async () => {
    const out = await kubectl(kubeconfig, ['apply', '-n', ns, '-k', 'config/samples', '--dry-run=server']);
    for (const name of ['voice-minimal', 'voice-full', 'voice-avatar', 'voice-gateway'])
      expect(out).toContain(`goassistdeployment.goassist.io/${name}`);
  });
});
