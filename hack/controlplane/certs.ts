import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ControlPlaneError } from './errors.js';

const run = promisify(execFile);
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const VALID_DAYS = '7';

export interface CertPair {
  cert: string;
  key: string;
}

export interface ControlPlaneCerts {
  ca: CertPair;
  apiserverServing: CertPair;
  admin: CertPair;
  controllerManager: CertPair;
  scheduler: CertPair;
  /** Serving certificate of kube-controller-manager and kube-scheduler on 127.0.0.1. */
  componentServing: CertPair;
  /** ES256 key the apiserver signs ServiceAccount tokens with, and its public half. */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new ControlPlaneError('CERT_GENERATION_FAILED', `openssl ${args[0]} failed: ${stderr.trim()}`, {
      cause: err,
    });
  }
}

async function issue(
  dir: string,
  name: string,
  ca: CertPair,
  subject: string,
  usage: 'client' | 'server',
  altNames: string[] = [],
): Promise<CertPair> {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage === 'client' ? 'clientAuth' : 'serverAuth'}`,
  ];
  if (altNames.length) ext.push(`subjectAltName=${altNames.join(',')}`);
  await openssl([
    'req', '-x509', '-new', ...EC_KEY, '-keyout', pair.key, '-out', pair.cert, '-days', VALID_DAYS,
    '-subj', subject, '-CA', ca.cert, '-CAkey', ca.key, ...ext.flatMap((e) => ['-addext', e]),
  ]); // prettier-ignore
  return pair;
}

/** A throwaway CA and every certificate the local control plane needs, written into `dir`. */
export async function generateControlPlaneCerts(dir: string, serviceIp: string): Promise<ControlPlaneCerts> {
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  await openssl([
    'req', '-x509', '-new', ...EC_KEY, '-keyout', ca.key, '-out', ca.cert, '-days', VALID_DAYS,
    '-subj', '/CN=goassist-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]); // prettier-ignore
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  await openssl([
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    serviceAccountKey,
  ]);
  await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);
  const [apiserverServing, admin, controllerManager, scheduler, componentServing] = await Promise.all([
    issue(dir, 'apiserver', ca, '/CN=kube-apiserver', 'server', [
      'IP:127.0.0.1',
      `IP:${serviceIp}`,
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
    ]),
    issue(dir, 'admin', ca, '/O=system:masters/CN=goassist-admin', 'client'),
    issue(dir, 'controller-manager', ca, '/CN=system:kube-controller-manager', 'client'),
    issue(dir, 'scheduler', ca, '/CN=system:kube-scheduler', 'client'),
    issue(dir, 'component-serving', ca, '/CN=goassist-control-plane-component', 'server', [
      'IP:127.0.0.1',
      'DNS:localhost',
    ]),
  ]);
  return {
    ca,
    apiserverServing,
    admin,
    controllerManager,
    scheduler,
    componentServing,
    serviceAccountKey,
    serviceAccountPub,
  };
}
