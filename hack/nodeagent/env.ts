import type { CoreV1Api, V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';

/** What kubelet reports as CreateContainerConfigError: the container cannot be configured (yet). */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export interface EnvContext {
  pod: V1Pod;
  podIp: string;
  hostIp: string;
  core: CoreV1Api;
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['([^']+)'\]$/;

function fieldRef(path: string, ctx: EnvContext): string {
  const { pod } = ctx;
  const sub = SUBSCRIPT.exec(path);
  if (sub) {
    const map = sub[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[sub[2]!] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIp;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIp;
    default:
      throw new ContainerConfigError(`unsupported fieldRef.fieldPath "${path}"`);
  }
}

async function readSecret(ctx: EnvContext, name: string): Promise<V1Secret | undefined> {
  try {
    return await ctx.core.readNamespacedSecret({ name, namespace: ctx.pod.metadata!.namespace! });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

async function readConfigMap(ctx: EnvContext, name: string): Promise<V1ConfigMap | undefined> {
  try {
    return await ctx.core.readNamespacedConfigMap({ name, namespace: ctx.pod.metadata!.namespace! });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

function secretValue(secret: V1Secret, key: string): string | undefined {
  const b64 = secret.data?.[key];
  if (b64 !== undefined) return Buffer.from(b64, 'base64').toString('utf8');
  return secret.stringData?.[key];
}

/**
 * The container's environment as kubelet builds it: `envFrom` first, then `env` in order, with
 * `$(VAR)` references to earlier variables expanded. Missing non-optional sources throw
 * ContainerConfigError, which the agent reports on the container and retries.
 */
export async function resolveContainerEnv(
  container: V1Container,
  ctx: EnvContext,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await readConfigMap(ctx, from.configMapRef.name!);
      if (!cm && !from.configMapRef.optional) {
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm?.data ?? {})) env[prefix + k] = v;
    }
    if (from.secretRef) {
      const s = await readSecret(ctx, from.secretRef.name!);
      if (!s && !from.secretRef.optional)
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      for (const k of Object.keys(s?.data ?? {})) env[prefix + k] = secretValue(s!, k) ?? '';
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = (e.value ?? '').replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (all, name: string) => env[name] ?? all,
      );
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) {
      env[e.name] = fieldRef(vf.fieldRef.fieldPath, ctx);
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = await readSecret(ctx, ref.name!);
      const v = s ? secretValue(s, ref.key) : undefined;
      if (v !== undefined) env[e.name] = v;
      else if (!ref.optional) {
        throw new ContainerConfigError(
          s ? `couldn't find key ${ref.key} in Secret ${ref.name}` : `secret "${ref.name}" not found`,
        );
      }
    } else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = await readConfigMap(ctx, ref.name!);
      const v = cm?.data?.[ref.key];
      if (v !== undefined) env[e.name] = v;
      else if (!ref.optional) {
        throw new ContainerConfigError(
          cm ? `couldn't find key ${ref.key} in ConfigMap ${ref.name}` : `configmap "${ref.name}" not found`,
        );
      }
    } else {
      throw new ContainerConfigError(
        `env ${e.name}: unsupported valueFrom (only fieldRef, secretKeyRef, configMapKeyRef)`,
      );
    }
  }
  return env;
}
