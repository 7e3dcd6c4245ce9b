import type { ControlPlaneCerts } from './certs.js';
import { HARNESS_NETWORK } from '../nodeagent/netrange.js';

/** Command lines of the control plane components; every listener is on 127.0.0.1. */

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function etcdArgs(o: { dataDir: string; clientPort: number; peerPort: number }): string[] {
  const client = `http://127.0.0.1:${o.clientPort}`;
  const peer = `http://127.0.0.1:${o.peerPort}`;
  return [
    '--name=goassist',
    `--data-dir=${o.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=goassist=${peer}`,
    '--initial-cluster-state=new',
    // Throwaway data: durability buys nothing and fsync dominates on a shared disk.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export function apiserverArgs(o: {
  certs: ControlPlaneCerts;
  certDir: string;
  etcdClientPort: number;
  securePort: number;
  serviceAccountAdmission: boolean;
}): string[] {
  const { certs } = o;
  return [
    `--etcd-servers=http://127.0.0.1:${o.etcdClientPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // Nothing may reach the apiserver through the `kubernetes` Service (127.0.0.1 is not a valid
    // endpoint address), so the apiserver does not maintain its endpoints at all.
    '--endpoint-reconciler-type=none',
    `--secure-port=${o.securePort}`,
    `--cert-dir=${o.certDir}`,
    `--tls-cert-file=${certs.apiserverServing.cert}`,
    `--tls-private-key-file=${certs.apiserverServing.key}`,
    `--client-ca-file=${certs.ca.cert}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${certs.serviceAccountPub}`,
    `--service-account-signing-key-file=${certs.serviceAccountKey}`,
    `--service-cluster-ip-range=${HARNESS_NETWORK.serviceCidr}`,
    '--allow-privileged=true',
    '--profiling=false',
    '--shutdown-watch-termination-grace-period=1s',
    // Without a controller-manager nobody creates the `default` ServiceAccount, and the ServiceAccount
    // admission plugin would then reject every pod.
    ...(o.serviceAccountAdmission ? [] : ['--disable-admission-plugins=ServiceAccount']),
  ];
}

export function controllerManagerArgs(o: {
  certs: ControlPlaneCerts;
  kubeconfig: string;
  securePort: number;
}): string[] {
  const { certs } = o;
  return [
    `--kubeconfig=${o.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${o.securePort}`,
    `--tls-cert-file=${certs.componentServing.cert}`,
    `--tls-private-key-file=${certs.componentServing.key}`,
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    '--leader-elect=false',
    // Every default controller: serviceaccount + token, garbage collector, endpointslice, deployment,
    // replicaset, HPA, disruption, namespace, node lifecycle, ...
    '--controllers=*',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${certs.serviceAccountKey}`,
    `--root-ca-file=${certs.ca.cert}`,
    `--cluster-signing-cert-file=${certs.ca.cert}`,
    `--cluster-signing-key-file=${certs.ca.key}`,
    `--service-cluster-ip-range=${HARNESS_NETWORK.serviceCidr}`,
    '--allocate-node-cidrs=false',
    '--profiling=false',
  ];
}

export function schedulerArgs(o: {
  certs: ControlPlaneCerts;
  kubeconfig: string;
  securePort: number;
}): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${o.securePort}`,
    `--tls-cert-file=${o.certs.componentServing.cert}`,
    `--tls-private-key-file=${o.certs.componentServing.key}`,
    '--leader-elect=false',
    '--profiling=false',
  ];
}
