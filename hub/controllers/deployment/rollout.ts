/**
 * The Deployment's rollout arithmetic, pure: which pods to create and which to delete to move
 * from what runs now towards `replicas` pods of the current template, never dropping below
 * `replicas - maxUnavailable` ready pods nor above `replicas + maxSurge` pods in all.
 *
 * A staged rollout caps the pods of the current template (`updatedCap`, from the engine in
 * ../rollout/progress.ts): the rest of `replicas` stay on older templates. An old pod that
 * goes missing below that (evicted, finished) is made again from the stable template, as
 * Kubernetes' old ReplicaSet would, so a paused or stopped rollout still keeps `replicas`.
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
  /** Pods of the current template allowed now; absent: `replicas`. Existing ones are never deleted for it. */
  updatedCap?: number;
  /** Whether missing old pods can be made again (a stable template is known); if not, current ones fill in. */
  canReplaceOld?: boolean;
  /**
   * Whether a pod counts as available, which is what maxUnavailable protects: by default
   * Ready; the controller adds `minReadySeconds`, as Kubernetes does, so an old pod goes
   * only once its replacement has stayed up that long.
   */
  isAvailable?: (pod: Pod) => boolean;
}

export interface RolloutPlan {
  /** Pods of the current template to create. */
  create: number;
  /** Pods of the stable (previous) template to create, in place of old ones that went missing. */
  createOld: number;
  delete: Pod[];
}

export function isPodReady(pod: Pod): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return pod.status?.phase === 'Running' && ready?.status !== 'False' && statuses.length > 0 && statuses.every((s) => s.ready);
}

/**
 * Not Ready only because its device stopped answering (the device lifecycle marks such pods):
 * most likely still running. Removing it would restart a healthy pod on a device that blinked.
 */
export function isOnLostDevice(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False' && c.reason === 'DeviceNotReady') === true;
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
  const cap = Math.min(replicas, input.updatedCap ?? replicas);
  // Pods of each template wanted after this rollout step.
  let wantCurrent = Math.min(replicas, Math.max(cap, current.length));
  let wantOld = replicas - wantCurrent;
  if (old.length < wantOld && input.canReplaceOld !== true) {
    wantOld = old.length;
    wantCurrent = replicas - wantOld;
  }

  if (input.strategy === 'Recreate') {
    // A frozen rollout (paused, stopped) keeps the old pods rather than leave nothing running.
    if (old.length > 0) return cap < replicas ? { create: 0, createOld: 0, delete: [] } : { create: 0, createOld: 0, delete: [...old] };
    return scale(wantCurrent, current);
  }
  if (old.length === 0 && wantOld === 0) return scale(wantCurrent, current);

  // Surge and unavailability both 0 would deadlock; Kubernetes refuses it, we surge by one.
  const maxSurge = input.maxSurge === 0 && input.maxUnavailable === 0 ? 1 : input.maxSurge;
  const room = Math.max(0, replicas + maxSurge - current.length - old.length);
  const create = Math.max(0, Math.min(wantCurrent - current.length, room));
  const createOld = Math.max(0, Math.min(wantOld - old.length, room - create));

  const remove: Pod[] = [];
  // Old pods beyond those the cap keeps may go: unready ones at once (they serve nobody, so
  // removing them never lowers availability), ready ones as availability allows, and those
  // of a device out of touch last, as if they were ready: they most likely still are.
  let budget = Math.max(0, old.length - wantOld);
  const isAvailable = input.isAvailable ?? isPodReady;
  const oldReady: Pod[] = [];
  const oldOutOfTouch: Pod[] = [];
  let available = 0;
  for (const pod of old) {
    if (isPodReady(pod)) {
      oldReady.push(pod);
      if (isAvailable(pod)) available++;
    } else if (isOnLostDevice(pod)) oldOutOfTouch.push(pod);
    else if (budget > 0) {
      remove.push(pod);
      budget--;
    }
  }
  for (const pod of current) if (isAvailable(pod)) available++;
  const minAvailable = Math.max(0, replicas - input.maxUnavailable);
  const removable = Math.min(budget, Math.max(0, available - minAvailable));
  if (removable > 0) remove.push(...[...leastUsefulFirst(oldReady), ...oldOutOfTouch].slice(0, removable));
  // Surplus pods of the current template (a scale-down during a rollout).
  if (current.length > replicas) remove.push(...leastUsefulFirst(current).slice(0, current.length - replicas));
  return { create, createOld, delete: remove };
}

function scale(replicas: number, current: readonly Pod[]): RolloutPlan {
  if (current.length < replicas) return { create: replicas - current.length, createOld: 0, delete: [] };
  // The usual case, on every status change of every pod: nothing to choose, so no sort.
  if (current.length === replicas) return { create: 0, createOld: 0, delete: [] };
  return { create: 0, createOld: 0, delete: leastUsefulFirst(current).slice(0, current.length - replicas) };
}
