/**
 * Building blocks of the environment schema. Each field reads one optional string and turns it into
 * a typed value; its error message says what is allowed, so the loader can print one line:
 * `VARIABLE must be <allowed> (got "value")`.
 */
import { z } from 'zod';

/** The sentence fragment after "<NAME> must be ..." */
function fail(ctx: z.RefinementCtx, allowed: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message: allowed });
  return z.NEVER;
}

const raw = z.string().optional();

/** An integer whose default is computed by its consumer (unset stays undefined). */
export function optionalIntField(min: number, max: number) {
  const allowed = `an integer from ${min} to ${max}`;
  return raw.transform((v, ctx): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) return fail(ctx, allowed);
    const n = Number(v);
    return n >= min && n <= max ? n : fail(ctx, allowed);
  });
}

export function intField(def: number, min: number, max: number) {
  return optionalIntField(min, max).transform((n): number => n ?? def);
}

export function floatField(def: number, min: number, max: number) {
  const allowed = `a number from ${min} to ${max}`;
  return raw.transform((v, ctx): number => {
    if (v === undefined) return def;
    const n = Number(v);
    return v.trim() !== '' && Number.isFinite(n) && n >= min && n <= max ? n : fail(ctx, allowed);
  });
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** `def` undefined keeps "unset" visible, for defaults that depend on another variable. */
export function boolField<D extends boolean | undefined>(def: D) {
  return raw.transform((v, ctx): boolean | D => {
    if (v === undefined) return def;
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
    return fail(ctx, 'true or false');
  });
}

export function enumField<const T extends readonly [string, ...string[]]>(values: T, def: T[number]) {
  const allowed = `one of ${values.join(', ')}`;
  return raw.transform((v, ctx): T[number] => {
    if (v === undefined) return def;
    const s = v.trim();
    return (values as readonly string[]).includes(s) ? (s as T[number]) : fail(ctx, allowed);
  });
}

export function stringField(def: string) {
  return raw.transform((v): string => v ?? def);
}

export function optionalString() {
  return raw;
}

/** A string with a minimum length, e.g. a secret. */
export function optionalSecret(minLength: number) {
  return raw.transform((v, ctx): string | undefined => {
    if (v === undefined) return undefined;
    return v.length >= minLength ? v : fail(ctx, `at least ${minLength} characters long`);
  });
}

export function optionalHttpUrl() {
  return raw.transform((v, ctx): string | undefined => {
    if (v === undefined) return undefined;
    try {
      const url = new URL(v.trim());
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString().replace(/\/$/, '');
    } catch {
      // reported below
    }
    return fail(ctx, 'an http:// or https:// URL');
  });
}

/** A comma-separated list; empty items are dropped. */
export function listField(itemCheck: (item: string) => boolean, allowed: string) {
  return raw.transform((v, ctx): string[] => {
    if (v === undefined) return [];
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return items.every(itemCheck) ? items : fail(ctx, allowed);
  });
}

/** Browser origins: scheme://host[:port], exactly as the Origin header spells them. */
export function isOrigin(s: string): boolean {
  try {
    return new URL(s).origin === s;
  } catch {
    return false;
  }
}

export type TrustProxy = boolean | number | string[];

/** fastify's trustProxy: true/false, a hop count, or addresses/CIDRs to trust. */
export function trustProxyField() {
  return raw.transform((v, ctx): TrustProxy => {
    if (v === undefined) return false;
    const s = v.trim().toLowerCase();
    if (TRUE.has(s) && s !== '1') return true;
    if (FALSE.has(s) && s !== '0') return false;
    if (/^\d+$/.test(s)) return Number(s);
    const items = s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    const ipOrCidr = /^[0-9a-f.:]+(\/\d{1,3})?$/;
    return items.length > 0 && items.every((x) => ipOrCidr.test(x))
      ? items
      : fail(ctx, 'true, false, a hop count, or a comma-separated list of IP addresses/CIDRs');
  });
}
