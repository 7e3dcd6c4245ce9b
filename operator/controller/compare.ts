import { createHash } from 'node:crypto';
import { parseQuantity } from '../api/quantity.js';
import { stableJson } from '../resources/stable-json.js';

/** Annotation on every child: hash of what the operator last wanted it to be. */
export const DESIRED_HASH_ANNOTATION = 'goassist.io/desired-hash';

const QUANTITY_KEYS = new Set(['requests', 'limits', 'sizeLimit', 'averageValue']);

function sameQuantity(a: unknown, b: unknown): boolean {
  try {
    return parseQuantity(a as string | number) === parseQuantity(b as string | number);
  } catch {
    return false;
  }
}

/**
 * True when every field of `desired` is present and equal in `actual`. Fields the API server adds
 * (defaults, status, metadata) are ignored; quantities compare by value (`1000m` equals `1`).
 */
export function isSubset(desired: unknown, actual: unknown, inQuantity = false): boolean {
  if (desired === actual) return true;
  if (inQuantity && (typeof desired === 'string' || typeof desired === 'number'))
    return sameQuantity(desired, actual);
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual) || actual.length !== desired.length) return false;
    return desired.every((d, i) => isSubset(d, actual[i], inQuantity));
  }
  if (desired && typeof desired === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const act = actual as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(
      ([k, v]) => v === undefined || isSubset(v, act[k], inQuantity || QUANTITY_KEYS.has(k)),
    );
  }
  return false;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 16);
}
