import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');

/** Applies the generated CRD with the control plane's kubectl and waits until it is served. */
export async function installCrd(kubeconfig: string, binDir: string): Promise<void> {
  const kubectl = join(binDir, 'kubectl');
  await run(kubectl, [
    '--kubeconfig',
    kubeconfig,
    'apply',
    '--server-side',
    '-f',
    join(root, 'crds', 'goassist.io_goassistdeployments.yaml'),
  ]);
  await run(kubectl, [
    '--kubeconfig',
    kubeconfig,
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/goassistdeployments.goassist.io',
  ]);
}
