/**
 * Which devices run a DaemonSet's pod, as Kubernetes' nodeShouldRunDaemonPod: the device is
 * one the template asks for (its labels match `nodeSelector` and `deviceSelector`, its
 * reported architecture and OS match any asked for: the scheduler's filters judge it, see
 * fit.ts), and the pod tolerates the device's taints: a NoSchedule taint keeps a new pod off
 * but lets one already there stay; a NoExecute taint does neither, as Kubernetes deletes
 * daemon pods from such nodes. Pure.
 *
 * What does not keep a daemon pod off a device, as in Kubernetes:
 * - being Offline or NotReady: every daemon pod tolerates `flotilla.io/unreachable:NoExecute`
 *   without limit; the pod waits in the device's desired state and runs when it returns, and
 *   one already there is never evicted;
 * - being cordoned: a cordon (`flotilla cordon`, `drain`) moves the workloads that can go
 *   elsewhere, and a daemon pod belongs to its device, so it gets and keeps one.
 */
import { UNREACHABLE_TAINT_KEY, type Device, type Toleration } from '../../../shared/objects.js';
import { describeTaint, toleratedSeconds, tolerates, UNREACHABLE_TAINT, type Taint } from '../eviction/taints.js';

/** What every daemon pod tolerates besides what its template says, as Kubernetes adds to daemon pods. */
export const DAEMON_TOLERATIONS: readonly Toleration[] = Object.freeze([
  Object.freeze({ key: UNREACHABLE_TAINT_KEY, operator: 'Exists', effect: 'NoExecute' } as const),
]);

/** The template's tolerations with the daemon ones added, unless it already tolerates their taints for ever. */
export function daemonTolerations(tolerations: readonly Toleration[] | undefined): Toleration[] {
  const all = [...(tolerations ?? [])];
  for (const added of DAEMON_TOLERATIONS) {
    const taint: Taint = { key: added.key ?? '', effect: added.effect ?? 'NoExecute' };
    if (toleratedSeconds(all, taint, 0) !== Infinity) all.push({ ...added });
  }
  return all;
}

export interface Placement {
  /** The device should run a pod of the DaemonSet: it counts in desiredNumberScheduled. */
  shouldRun: boolean;
  /** A pod already on the device may stay; false: it must go. */
  shouldContinueRunning: boolean;
  /** Why the device should not run it, for people. */
  reason?: string;
}

/** What the DaemonSet's template asks of a device, worked out once per template. */
export interface DaemonSelection {
  /** Why the device is not one the template asks for (its labels, its platform), or undefined when it is. */
  mismatch: (device: Device) => string | undefined;
  /** The pod's tolerations, the daemon ones included. */
  tolerations: readonly Toleration[];
}

/**
 * The taints a device carries: those people set in `spec.taints`, and while it is Offline the
 * hub's `flotilla.io/unreachable:NoExecute`, as the scheduler's taint-toleration filter reads them.
 */
export function deviceTaints(device: Device): readonly Taint[] {
  const set = device.spec?.taints ?? [];
  return isPendingDevice(device) ? [...set, UNREACHABLE_TAINT] : set;
}

const EVERYWHERE: Placement = Object.freeze({ shouldRun: true, shouldContinueRunning: true });

export function placementOn(device: Device, selection: DaemonSelection): Placement {
  const mismatch = selection.mismatch(device);
  if (mismatch !== undefined) return { shouldRun: false, shouldContinueRunning: false, reason: mismatch };
  let placement = EVERYWHERE;
  for (const taint of deviceTaints(device)) {
    if (selection.tolerations.some((toleration) => tolerates(toleration, taint))) continue;
    const reason = `device has the taint ${describeTaint(taint)}, which the pod does not tolerate`;
    if (taint.effect === 'NoExecute') return { shouldRun: false, shouldContinueRunning: false, reason };
    placement = { shouldRun: false, shouldContinueRunning: true, reason };
  }
  return placement;
}

/** The device is Offline: its pods wait for it and do not hold up a rollout. */
export function isPendingDevice(device: Device): boolean {
  return device.status?.state === 'Offline';
}
