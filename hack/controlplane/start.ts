// Starts the local control plane and keeps it up until Ctrl-C:
//   npx tsx hack/controlplane/start.ts [--no-controller-manager] [--no-scheduler] [--verbose]
import { startControlPlane } from './index.js';

const argv = new Set(process.argv.slice(2));
const cp = await startControlPlane({
  controllerManager: !argv.has('--no-controller-manager'),
  scheduler: !argv.has('--no-scheduler'),
  log: argv.has('--verbose') ? (line) => process.stderr.write(line + '\n') : undefined,
});
process.stdout.write(`control plane up at ${cp.server}\n`);
process.stdout.write(`binaries:   ${cp.binDir}\n`);
process.stdout.write(`kubeconfig: ${cp.kubeconfigPath}\n`);
process.stdout.write(
  `try:        ${cp.binDir}/kubectl --kubeconfig ${cp.kubeconfigPath} get --raw /readyz\n`,
);
process.stdout.write('Ctrl-C stops it.\n');

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('stopping...\n');
  cp.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
