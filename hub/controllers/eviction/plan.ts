/**
 * Which pods leave a device that has been Offline, and when: pure, so every rule is
 * unit-tested without a store or a clock.
 *
 * An Offline device carries the `flotilla.io/unreachable:NoExecute` taint from the moment it
 * went Offline. A pod stays for as long as it tolerates that taint (300 s when it says
 * nothing, for ever when it tolerates it without a limit), then it is evicted: deleted, so
 * its Deployment makes a replacement, which the scheduler puts on a Ready device.
 *
 * Only pods a Deployment controls are evicted:
 * - a DaemonSet's pod belongs to its device and nowhere else: moving it is meaningless, and
 *   the device runs it on from its local state while it is cut off;
 * - a bare pod (or one whose owner this hub does not manage) has nothing that would make a
 *   replacement: deleting it would only lose it, while the device, which may well still run
 *   it without a link, keeps it.
 */
import { DEFAULT_UNREACHABLE_TOLERATION_SECONDS, type Device, type Pod } from '../../../shared/objects.js';
import { isFinished } from '../pods.js';
import { describeTaint, toleratedSeconds, UNREACHABLE_TAINT } from './taints.js';

export interface EvictionInput {
  device: Device;
  /** The pods bound to the device. */
  pods: readonly Pod[];
  /** Epoch ms. */
  now: number;
  /**
   * No pod is evicted before this time (epoch ms), whatever its toleration: a hub that has just
   * started gives devices time to reach it before it holds their silence against them.
   */
  notBefore?: number;
}

export type KeepReason = 'daemon-set' | 'no-controller' | 'finished' | 'tolerated';

export interface Eviction {
  pod: Pod;
  /** How long the device has been Offline, in ms. */
  offlineForMs: number;
  /** How long the pod tolerated it, in seconds. */
  toleratedSeconds: number;
}

export interface EvictionPlan {
  evict: Eviction[];
  /** Pods that stay, and why. */
  keep: { pod: Pod; reason: KeepReason }[];
  /** When the next pod that stays for now must go (epoch ms); absent when none will. */
  nextAt?: number;
}

/** The controller kind of the pod's owner, if it has one. */
export function controllerKind(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((owner) => owner.controller)?.kind;
}

/** When the device went Offline (epoch ms), or undefined when it is not Offline. */
export function offlineSince(device: Device): number | undefined {
  if (device.status?.state !== 'Offline' || device.status.offlineSince === undefined) return undefined;
  const since = Date.parse(device.status.offlineSince);
  return Number.isNaN(since) ? undefined : since;
}

export function planEvictions(input: EvictionInput): EvictionPlan {
  const plan: EvictionPlan = { evict: [], keep: [] };
  const since = offlineSince(input.device);
  if (since === undefined) return plan;
  const offlineForMs = Math.max(0, input.now - since);
  for (const pod of input.pods) {
    const reason = keepReason(pod);
    if (reason !== undefined) {
      plan.keep.push({ pod, reason });
      continue;
    }
    const seconds = toleratedSeconds(pod.spec.tolerations, UNREACHABLE_TAINT, DEFAULT_UNREACHABLE_TOLERATION_SECONDS);
    if (seconds === Infinity) {
      plan.keep.push({ pod, reason: 'tolerated' });
      continue;
    }
    const dueAt = Math.max(since + seconds * 1000, input.notBefore ?? -Infinity);
    if (input.now >= dueAt) {
      plan.evict.push({ pod, offlineForMs, toleratedSeconds: seconds });
    } else {
      plan.keep.push({ pod, reason: 'tolerated' });
      plan.nextAt = Math.min(plan.nextAt ?? Infinity, dueAt);
    }
  }
  return plan;
}

function keepReason(pod: Pod): KeepReason | undefined {
  if (isFinished(pod)) return 'finished';
  const kind = controllerKind(pod);
  if (kind === 'DaemonSet') return 'daemon-set';
  if (kind !== 'Deployment') return 'no-controller';
  return undefined;
}

/** The Evicted event's message: the device, how long it was offline, and the toleration that ran out. */
export function evictionMessage(device: string, eviction: Eviction): string {
  return (
    `evicted from device ${device}, Offline for ${formatDuration(eviction.offlineForMs)}: ` +
    `longer than the pod tolerates ${describeTaint(UNREACHABLE_TAINT)} (${eviction.toleratedSeconds}s)`
  );
}

/** `45s`, `5m12s`, `2h3m`: as kubectl shows ages. */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
}
