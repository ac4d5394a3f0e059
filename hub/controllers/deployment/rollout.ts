/**
 * The Deployment's rollout arithmetic, pure: which pods to create and which to delete to move
 * from what runs now towards `replicas` pods of the current template, never dropping below
 * `replicas - maxUnavailable` ready pods nor above `replicas + maxSurge` pods in all.
 */
import type { Pod } from '../../../shared/objects.js';

export interface RolloutInput {
  replicas: number;
  strategy: 'RollingUpdate' | 'Recreate';
  maxSurge: number;
  maxUnavailable: number;
  /** Pods of the current template. */
  current: readonly Pod[];
  /** Pods of earlier templates. */
  old: readonly Pod[];
}

export interface RolloutPlan {
  create: number;
  delete: Pod[];
}

export function isPodReady(pod: Pod): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return pod.status?.phase === 'Running' && ready?.status !== 'False' && statuses.length > 0 && statuses.every((s) => s.ready);
}

/** Least useful first: unscheduled, then not ready, then the newest. */
function leastUsefulFirst(pods: readonly Pod[]): Pod[] {
  const weighed = pods.map((pod) => ({ pod, weight: (pod.spec.nodeName ? 0 : 2) + (isPodReady(pod) ? 0 : 1) }));
  weighed.sort(
    (a, b) => b.weight - a.weight || (b.pod.metadata.creationTimestamp ?? '').localeCompare(a.pod.metadata.creationTimestamp ?? ''),
  );
  return weighed.map(({ pod }) => pod);
}

export function planRollout(input: RolloutInput): RolloutPlan {
  const { replicas, current, old } = input;
  if (input.strategy === 'Recreate') {
    if (old.length > 0) return { create: 0, delete: [...old] };
    return scale(replicas, current);
  }
  if (old.length === 0) return scale(replicas, current);

  // Surge and unavailability both 0 would deadlock; Kubernetes refuses it, we surge by one.
  const maxSurge = input.maxSurge === 0 && input.maxUnavailable === 0 ? 1 : input.maxSurge;
  const total = current.length + old.length;
  const create = Math.max(0, Math.min(replicas - current.length, replicas + maxSurge - total));

  const remove: Pod[] = [];
  // Old pods that are not ready serve nobody: removing them never lowers availability.
  const oldUnready = old.filter((p) => !isPodReady(p));
  remove.push(...oldUnready);
  const ready = [...current, ...old].filter(isPodReady).length;
  const minAvailable = Math.max(0, replicas - input.maxUnavailable);
  const removable = Math.max(0, ready - minAvailable);
  if (removable > 0) remove.push(...leastUsefulFirst(old.filter(isPodReady)).slice(0, removable));
  // Surplus pods of the current template (a scale-down during a rollout).
  if (current.length > replicas) remove.push(...leastUsefulFirst(current).slice(0, current.length - replicas));
  return { create, delete: remove };
}

function scale(replicas: number, current: readonly Pod[]): RolloutPlan {
  if (current.length < replicas) return { create: replicas - current.length, delete: [] };
  // The usual case, on every status change of every pod: nothing to choose, so no sort.
  if (current.length === replicas) return { create: 0, delete: [] };
  return { create: 0, delete: leastUsefulFirst(current).slice(0, current.length - replicas) };
}
