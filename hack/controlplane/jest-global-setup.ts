import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from './index.js';
import { goassistCacheDir } from './paths.js';

/** Where the shared control plane of a jest run is announced, so teardown (and people) can find it. */
export function jestStateFile(): string {
  return join(goassistCacheDir(), 'controlplane', `jest-${process.pid}.json`);
}

declare global {
  var __goassistControlPlane: ControlPlane | undefined;
}

/**
 * One control plane (with controller-manager and scheduler) for the whole `operator` jest project.
 * Workers start after global setup and inherit GOASSIST_TEST_KUBECONFIG from this process's env.
 */
export default async function globalSetup(): Promise<void> {
  const verbose = process.env.GOASSIST_CONTROLPLANE_LOG === '1';
  const cp = await startControlPlane({
    controllerManager: true,
    scheduler: true,
    log: verbose ? (line) => process.stderr.write(line + '\n') : undefined,
  });
  globalThis.__goassistControlPlane = cp;
  process.env.GOASSIST_TEST_KUBECONFIG = cp.kubeconfigPath;
  process.env.GOASSIST_TEST_CONTROLPLANE_BIN = cp.binDir;
  mkdirSync(join(goassistCacheDir(), 'controlplane'), { recursive: true });
  writeFileSync(jestStateFile(), JSON.stringify({ kubeconfigPath: cp.kubeconfigPath, server: cp.server }));
}
