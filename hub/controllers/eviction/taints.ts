/**
 * Taints and tolerations, matched as Kubernetes matches them (ToleratesTaint and the taint
 * manager's minimum toleration time). Pure.
 *
 * The one taint the hub sets is `flotilla.io/unreachable:NoExecute`, on a device that has
 * gone Offline. Kubernetes' `node.kubernetes.io/unreachable` names the same taint in a
 * toleration, so a manifest copied from a cluster keeps meaning what it meant there.
 */
import {
  KUBERNETES_UNREACHABLE_TAINT_KEY,
  UNREACHABLE_TAINT_KEY,
  type TaintEffect,
  type Toleration,
} from '../../../shared/objects.js';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export const UNREACHABLE_TAINT: Taint = { key: UNREACHABLE_TAINT_KEY, effect: 'NoExecute' };

/** Keys that name the same taint, by the name the hub uses. */
const SYNONYMS: Readonly<Record<string, string>> = { [KUBERNETES_UNREACHABLE_TAINT_KEY]: UNREACHABLE_TAINT_KEY };

function canonicalKey(key: string): string {
  return SYNONYMS[key] ?? key;
}

/** `flotilla.io/unreachable:NoExecute`, as people write a taint. */
export function describeTaint(taint: Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}

/**
 * Whether the toleration matches the taint: same effect (or none given), same key (or none
 * with Exists), and with Equal (the default) the same value.
 */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  if (toleration.key === undefined || toleration.key === '') return operator === 'Exists';
  if (canonicalKey(toleration.key) !== canonicalKey(taint.key)) return false;
  return operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

/**
 * How many seconds a pod stays on a device that carries this NoExecute taint: Infinity when a
 * matching toleration has no `tolerationSeconds`, else the least of the matching ones. A pod
 * with no matching toleration gets `defaultSeconds`, as Kubernetes' DefaultTolerationSeconds
 * admission gives every pod for the unreachable taint.
 */
export function toleratedSeconds(tolerations: readonly Toleration[] | undefined, taint: Taint, defaultSeconds: number): number {
  let least = Infinity;
  let matched = false;
  for (const toleration of tolerations ?? []) {
    if (!tolerates(toleration, taint)) continue;
    matched = true;
    if (toleration.tolerationSeconds === undefined) return Infinity;
    least = Math.min(least, Math.max(0, toleration.tolerationSeconds));
  }
  return matched ? least : defaultSeconds;
}
