import { FIELD_MANAGER } from '../api/names.js';
import type { KubeObject } from '../resources/types.js';
import type { KubeClient } from './client.js';
import { isNotFound } from './errors.js';
import type { KindRef } from './kinds.js';
import { kindByName, resourcePath } from './kinds.js';

function refOf(obj: KubeObject): KindRef {
  const ref = kindByName(obj.kind);
  if (!ref) throw new Error(`unknown kind ${obj.kind}`);
  return ref;
}

/** Server-side apply with the operator's one field manager; force takes fields over from hand edits. */
export function applyObject<T extends KubeObject>(
  client: KubeClient,
  obj: KubeObject,
  signal?: AbortSignal,
): Promise<T> {
  const name = obj.metadata.name as string;
  return client.request<T>('PATCH', resourcePath(refOf(obj), obj.metadata.namespace, name), {
    query: { fieldManager: FIELD_MANAGER, force: true },
    body: obj,
    contentType: 'application/apply-patch+yaml',
    signal,
  });
}

/** Deletes an object (background propagation); an object already gone is success. */
export async function deleteObject(
  client: KubeClient,
  ref: KindRef,
  namespace: string,
  name: string,
  opts: { uid?: string; signal?: AbortSignal } = {},
): Promise<void> {
  try {
    await client.request('DELETE', resourcePath(ref, namespace, name), {
      body: {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background',
        ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}),
      },
      signal: opts.signal,
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Writes status through the status subresource as a JSON merge patch. Fields that the previous status
 * had and the new one lacks are sent as null so they are cleared.
 */
export function patchStatus<T>(
  client: KubeClient,
  ref: KindRef,
  namespace: string,
  name: string,
  previous: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<T> {
  const status: Record<string, unknown> = { ...next };
  for (const key of Object.keys(previous ?? {}))
    if (!(key in next) || next[key] === undefined) status[key] = null;
  return client.request<T>('PATCH', resourcePath(ref, namespace, name, 'status'), {
    body: { status },
    contentType: 'application/merge-patch+json',
    signal,
  });
}
