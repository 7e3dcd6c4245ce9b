import type { Condition } from '../api/schema.js';

/** Condition types, most important first (the order conditions are kept in). */
export const CONDITION_TYPES = ['Ready', 'Progressing', 'Degraded'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Every reason the operator writes; a person reading `kubectl describe` should understand each. */
export const REASONS = [
  'Available',
  'RevisionNotReady',
  'ReplicasNotReady',
  'InvalidSpec',
  'ApplyFailed',
  'Paused',
  'NewRevision',
  'RevisionPromoted',
  'Stable',
  'PodsFailing',
  'Healthy',
  'ScaledToZero',
] as const;
export type Reason = (typeof REASONS)[number];

export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  type: ConditionType;
  status: ConditionStatus;
  reason: Reason;
  message: string;
}

/** Kubernetes caps condition messages at 32768 bytes; ours stay short so `kubectl get` stays readable. */
export const MAX_MESSAGE_LENGTH = 1024;

function trim(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}\u2026`;
}

function rank(type: string): number {
  const i = (CONDITION_TYPES as readonly string[]).indexOf(type);
  return i === -1 ? CONDITION_TYPES.length : i;
}

/**
 * Returns a new condition list with `input` set. lastTransitionTime changes only when status, reason or
 * message change (fluxcd style), so rewriting the same state is a no-op and status writes stay idle.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  generation: number,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const message = trim(input.message);
  const i = list.findIndex((c) => c.type === input.type);
  const prev = i === -1 ? undefined : list[i];
  const changed =
    !prev || prev.status !== input.status || prev.reason !== input.reason || prev.message !== message;
  const next: Condition = {
    type: input.type,
    status: input.status,
    observedGeneration: generation,
    lastTransitionTime:
      changed || !prev ? now.toISOString().replace(/\.\d{3}Z$/, 'Z') : prev.lastTransitionTime,
    reason: input.reason,
    message,
  };
  if (i === -1) list.push(next);
  else list[i] = next;
  return list.sort((a, b) => rank(a.type) - rank(b.type));
}

/** Sets several conditions at once (same rules as setCondition). */
export function setConditions(
  conditions: readonly Condition[] | undefined,
  inputs: readonly ConditionInput[],
  generation: number,
  now: Date,
): Condition[] {
  return inputs.reduce<Condition[]>(
    (list, c) => setCondition(list, c, generation, now),
    [...(conditions ?? [])],
  );
}

/** The condition of a type, or undefined; never throws on a missing list. */
export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: ConditionType): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** True when some condition's status, reason or message differs (i.e. a transition a person should hear of). */
export function transitioned(
  before: readonly Condition[] | undefined,
  after: readonly Condition[],
  type: ConditionType,
): boolean {
  const a = getCondition(before, type);
  const b = getCondition(after, type);
  return !a || !b || a.status !== b.status || a.reason !== b.reason || a.message !== b.message;
}
