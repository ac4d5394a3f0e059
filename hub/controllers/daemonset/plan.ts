/**
 * One pass of a DaemonSet, pure: from the devices and the pods of the DaemonSet on each, which
 * pods to create and which to delete, and the counts its status reports. The rules are
 * Kubernetes' (pkg/controller/daemon: manage, rollingUpdate, updateDaemonSetStatus):
 *
 * - a device that should run the pod and has none gets one; a device that must not run it
 *   loses every pod of the DaemonSet; a device with several keeps the oldest;
 * - RollingUpdate replaces pods of an older template device by device. Without surge, an old
 *   pod goes and the new one is created in its place, never leaving more than
 *   `maxUnavailable` devices without an available pod; with `maxSurge`, the new pod starts
 *   beside the old one, which goes once the new one is available. An old pod that is not
 *   available serves nobody and is replaced at once, outside the budget;
 * - OnDelete replaces nothing: a pod gets the new template when someone deletes it.
 *
 * Flotilla's edge cases: an Offline device's pods are pending. They are neither counted
 * unavailable nor replaced while it is away (its old pod keeps running there from the local
 * state), so one device that never returns cannot hold a rollout up; when it comes back, it
 * is updated as any other. And a staged rollout may cap how many pods of the current
 * template there may be (`updatedCap`): replacements stop there, and a device that joins
 * meanwhile gets the current template while the cap allows, the earlier one after that.
 */
import type { IntOrPercent, Pod } from '../../../shared/objects.js';
import { scaledValue } from '../rollout/int-or-percent.js';
import { readySince } from '../rollout/pod-health.js';
import { TEMPLATE_HASH_LABEL } from '../rollout/revisions.js';
import type { Placement } from './placement.js';

/** One device the DaemonSet has to think about: one it should run on, or one its pods are on. */
export interface DeviceSlot {
  device: string;
  placement: Placement;
  /** The device is Offline: its pods wait for it. */
  pending: boolean;
  /** The DaemonSet's unfinished pods on the device. */
  pods: readonly Pod[];
}

export interface PlanInput {
  slots: readonly DeviceSlot[];
  /** The template hash of the current template. */
  hash: string;
  strategy: 'RollingUpdate' | 'OnDelete';
  maxSurge: IntOrPercent;
  maxUnavailable: IntOrPercent;
  minReadySeconds: number;
  /** Epoch ms. */
  now: number;
  /** At most this many devices may run the current template after the pass (a staged rollout's wave); absent: no cap. */
  updatedCap?: number;
  /**
   * There is an earlier template to give a device that joins once the cap is reached, so a
   * wave's size holds for joining devices too; without one they get the current template.
   */
  canPlaceOld?: boolean;
  /**
   * When a pod became Ready (epoch ms; undefined when it is not Ready): pod-health's reading
   * by default, which a caller that passes over the same pods again and again may remember.
   */
  readySince?: (pod: Pod) => number | undefined;
  /** Undefined when a new pod fits on the device (beside what stays there, less `replaces`), else why not. */
  fits?: (device: string, replaces: Pod | undefined) => string | undefined;
}

export interface Creation {
  device: string;
  /** The old pod deleted in the same pass to make way for this one. */
  replaces?: Pod;
  /** Of the earlier template: the device joined while the rollout's cap was reached. */
  old?: true;
}

export type DeleteReason = 'misscheduled' | 'duplicate' | 'replaced' | 'superseded';

export interface DaemonCounts {
  desired: number;
  current: number;
  misscheduled: number;
  ready: number;
  updated: number;
  available: number;
  /** Devices that should run the pod, are Offline, and do not run the current template. */
  pending: number;
}

export interface DaemonPlan {
  create: Creation[];
  delete: { pod: Pod; reason: DeleteReason }[];
  /** Devices that should get a pod the scheduler's filters keep off, with why. */
  unplaced: { device: string; reason: string }[];
  /** The counts as they stand once the pass's writes land. */
  counts: DaemonCounts;
  /** The resolved budgets. */
  maxSurge: number;
  maxUnavailable: number;
  /** When a Ready pod next becomes available (epoch ms): the pass has to run again then. */
  nextCheckAt?: number;
}

export function isCurrent(pod: Pod, hash: string): boolean {
  return pod.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash;
}

function byAge(a: Pod, b: Pod): number {
  const at = a.metadata.creationTimestamp ?? '';
  const bt = b.metadata.creationTimestamp ?? '';
  if (at !== bt) return at < bt ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** A device that should run the pod, after duplicates are gone: at most one pod of each template. */
interface Kept {
  slot: DeviceSlot;
  newPod?: Pod;
  oldPod?: Pod;
  /** A pod of the current template is created on it in this pass. */
  creating?: boolean;
  /** The old pod goes in this pass. */
  oldGoes?: boolean;
}

export function planDaemonSet(input: PlanInput): DaemonPlan {
  const { slots, hash, now } = input;
  const desired = slots.reduce((n, slot) => n + (slot.placement.shouldRun ? 1 : 0), 0);
  const rolling = input.strategy === 'RollingUpdate';
  // Both round up for a DaemonSet, as in Kubernetes: 10% of 5 devices is one at a time, not none.
  const maxSurge = rolling ? scaledValue(input.maxSurge, desired, true) : 0;
  let maxUnavailable = rolling ? scaledValue(input.maxUnavailable, desired, true) : 0;
  // Both 0 would never replace a pod; validation refuses it, a hand-written object gets one.
  if (rolling && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;

  const counts: DaemonCounts = { desired, current: 0, misscheduled: 0, ready: 0, updated: 0, available: 0, pending: 0 };
  const plan: DaemonPlan = { create: [], delete: [], unplaced: [], counts, maxSurge, maxUnavailable };
  const minReadyMs = input.minReadySeconds * 1000;
  const sinceOf = input.readySince ?? readySince;
  const isReady = (pod: Pod): boolean => sinceOf(pod) !== undefined;
  const available = (pod: Pod): boolean => {
    const since = sinceOf(pod);
    if (since === undefined) return false;
    if (since + minReadyMs <= now) return true;
    plan.nextCheckAt = Math.min(plan.nextCheckAt ?? Infinity, since + minReadyMs);
    return false;
  };
  const place = (device: string, replaces?: Pod, old?: boolean): boolean => {
    const reason = input.fits?.(device, replaces);
    if (reason !== undefined) {
      plan.unplaced.push({ device, reason });
      return false;
    }
    const creation: Creation = { device };
    if (replaces !== undefined) {
      creation.replaces = replaces;
      plan.delete.push({ pod: replaces, reason: 'replaced' });
    }
    if (old === true) creation.old = true;
    plan.create.push(creation);
    return true;
  };

  const kept: Kept[] = [];
  /** Devices that should run the pod and have none. */
  const fresh: DeviceSlot[] = [];
  for (const slot of slots) {
    if (!slot.placement.shouldContinueRunning) {
      for (const pod of slot.pods) plan.delete.push({ pod, reason: 'misscheduled' });
      continue;
    }
    if (slot.pods.length === 0) {
      if (slot.placement.shouldRun) fresh.push(slot);
      continue;
    }
    const sorted = slot.pods.length === 1 ? slot.pods : [...slot.pods].sort(byAge);
    if (!slot.placement.shouldRun) {
      // May stay (a NoSchedule taint it does not tolerate came after it), but only one.
      for (const pod of sorted.slice(1)) plan.delete.push({ pod, reason: 'duplicate' });
      counts.misscheduled++;
      continue;
    }
    kept.push(dedupe(slot, sorted, hash, maxSurge > 0, plan, isReady));
  }

  // Pods of the current template there will be; a staged rollout caps the replacements by it.
  let updatedAfter = kept.reduce((n, k) => n + (k.newPod ? 1 : 0), 0);
  const capLeft = (): number => (input.updatedCap === undefined ? Infinity : input.updatedCap - updatedAfter);

  for (const slot of fresh) {
    const old = capLeft() <= 0 && input.canPlaceOld === true;
    if (!place(slot.device, undefined, old)) continue;
    counts.current++;
    if (slot.pending) counts.pending++;
    if (old) continue;
    counts.updated++;
    updatedAfter++;
  }

  if (rolling) {
    // Old pods that are not available serve nobody: replacing them is outside the budget.
    const immediate: Kept[] = [];
    const candidates: Kept[] = [];
    let budget: number;
    if (maxSurge === 0) {
      let unavailable = 0;
      for (const k of kept) {
        if (k.slot.pending) continue;
        if (k.newPod !== undefined) {
          if (!available(k.newPod)) unavailable++;
        } else if (k.oldPod !== undefined) {
          (available(k.oldPod) ? candidates : immediate).push(k);
        }
      }
      budget = Math.max(0, maxUnavailable - unavailable);
    } else {
      let surging = 0;
      for (const k of kept) {
        if (k.slot.pending || k.oldPod === undefined) continue;
        if (k.newPod === undefined) (available(k.oldPod) ? candidates : immediate).push(k);
        else if (!available(k.newPod)) surging++;
        else {
          plan.delete.push({ pod: k.oldPod, reason: 'superseded' });
          k.oldGoes = true;
        }
      }
      budget = Math.max(0, maxSurge - surging);
    }
    const replace = (k: Kept): boolean => {
      // Without surge the old pod goes to make room; with it, the old pod stays until the new one is available.
      if (!place(k.slot.device, maxSurge === 0 ? k.oldPod : undefined)) return false;
      k.creating = true;
      if (maxSurge === 0) k.oldGoes = true;
      updatedAfter++;
      return true;
    };
    for (const k of immediate) {
      if (capLeft() <= 0) break;
      replace(k);
    }
    for (const k of candidates) {
      if (budget <= 0 || capLeft() <= 0) break;
      if (replace(k)) budget--;
    }
  }

  for (const k of kept) {
    const remaining: Pod[] = [];
    if (k.newPod !== undefined) remaining.push(k.newPod);
    if (k.oldPod !== undefined && k.oldGoes !== true) remaining.push(k.oldPod);
    if (remaining.length === 0 && k.creating !== true) continue;
    counts.current++;
    if (remaining.some(isReady)) counts.ready++;
    if (remaining.some(available)) counts.available++;
    const updated = k.creating === true || k.newPod !== undefined;
    if (updated) counts.updated++;
    if (k.slot.pending && !(k.newPod !== undefined && isReady(k.newPod))) counts.pending++;
  }
  return plan;
}

/**
 * Deletes all but one pod per template, as Kubernetes' manage: without surge the oldest pod
 * stays; with surge the oldest of each template, and the old one only while it is Ready.
 */
function dedupe(slot: DeviceSlot, sorted: readonly Pod[], hash: string, surge: boolean, plan: DaemonPlan, isReady: (pod: Pod) => boolean): Kept {
  if (!surge) {
    const [oldest, ...rest] = sorted;
    for (const pod of rest) plan.delete.push({ pod, reason: 'duplicate' });
    if (oldest === undefined) return { slot };
    return isCurrent(oldest, hash) ? { slot, newPod: oldest } : { slot, oldPod: oldest };
  }
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of sorted) {
    if (isCurrent(pod, hash)) {
      if (newPod === undefined) newPod = pod;
      else plan.delete.push({ pod, reason: 'duplicate' });
    } else if (oldPod === undefined) oldPod = pod;
    else plan.delete.push({ pod, reason: 'duplicate' });
  }
  if (newPod !== undefined && oldPod !== undefined && !isReady(oldPod)) {
    plan.delete.push({ pod: oldPod, reason: 'superseded' });
    oldPod = undefined;
  }
  const kept: Kept = { slot };
  if (newPod !== undefined) kept.newPod = newPod;
  if (oldPod !== undefined) kept.oldPod = oldPod;
  return kept;
}
