import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export type KubeconfigCredentials = { clientCert: string; clientKey: string } | { token: string };

/** Writes a single-context kubeconfig with certificate data inlined, so the file stands alone. */
export function writeKubeconfig(
  path: string,
  opts: { server: string; caCert: string; user: string; credentials: KubeconfigCredentials },
): string {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const user =
    'token' in opts.credentials
      ? { token: opts.credentials.token }
      : {
          'client-certificate-data': b64(opts.credentials.clientCert),
          'client-key-data': b64(opts.credentials.clientKey),
        };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'goassist-local',
        cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caCert) },
      },
    ],
    users: [{ name: opts.user, user }],
    contexts: [{ name: 'goassist-local', context: { cluster: 'goassist-local', user: opts.user } }],
    'current-context': 'goassist-local',
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  return path;
}
