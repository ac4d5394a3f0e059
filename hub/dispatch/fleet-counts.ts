/**
 * The fleet in counts, kept up to date one change at a time: devices by state and by group,
 * pods by phase (for the fleet and per device), workloads by rollout phase. Each change costs
 * what it touches, so a summary of 10,000 devices is never a list of 10,000 devices; building
 * one costs the number of groups and of rollouts in progress.
 *
 * Every method that takes a change returns whether the counts moved, so callers republish
 * only what did.
 */
import {
  DEVICE_STATES,
  FLEET_SUMMARY_SCHEMA,
  ROLLOUT_PHASES,
  ROLLOUTS_LISTED,
  zeroPhaseCounts,
  zeroStateCounts,
  type DeviceStateCounts,
  type FleetRollout,
  type FleetSummary,
  type PodPhaseCounts,
} from '../../shared/fleet.js';
import type { DaemonSet, Deployment, Device, DeviceState, Pod, PodPhase, RolloutPhase } from '../../shared/objects.js';

/** What a device adds to the counts. */
interface DeviceEntry {
  state: DeviceState;
  cordoned: boolean;
  /** Label key → value, for the grouping labels the device has. */
  groups: [string, string][];
}

/** What a pod adds to the counts. */
interface PodEntry {
  phase: PodPhase;
  device: string | undefined;
}

export interface DevicePods {
  total: number;
  byPhase: PodPhaseCounts;
}

export type Workload = Deployment | DaemonSet;

/** The grouping label of a summary when the hub's settings name none. */
export const DEFAULT_GROUP_LABELS: readonly string[] = ['site'];

export function deviceStateOf(device: Device): DeviceState {
  return device.status?.state ?? 'NotReady';
}

export function podPhaseOf(pod: Pod): PodPhase {
  return pod.status?.phase ?? 'Pending';
}

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

function workloadKey(workload: Workload): string {
  return `${workload.kind}/${workload.metadata.namespace ?? 'default'}/${workload.metadata.name}`;
}

/** A rollout that is not over: it still moves, waits, or stopped on failures. */
export function isActiveRollout(phase: RolloutPhase): boolean {
  return phase === 'Progressing' || phase === 'Paused' || phase === 'Failed';
}

export function fleetRolloutOf(workload: Workload): FleetRollout | undefined {
  const rollout = workload.status?.rollout;
  if (rollout === undefined) return undefined;
  const entry: FleetRollout = {
    kind: workload.kind,
    namespace: workload.metadata.namespace ?? 'default',
    name: workload.metadata.name,
    revision: rollout.revision,
    phase: rollout.phase,
    wave: rollout.wave,
    waves: rollout.waves,
    target: rollout.target,
    updated: rollout.updated,
    ready: rollout.ready,
    failed: rollout.failed,
    pending: rollout.pending,
  };
  if (rollout.message !== undefined) entry.message = rollout.message;
  return entry;
}

export class FleetCounts {
  readonly #groupLabels: readonly string[];
  readonly #devices = new Map<string, DeviceEntry>();
  readonly #byState = zeroStateCounts();
  #cordoned = 0;
  /** Label key → value → devices by state. */
  readonly #groups = new Map<string, Map<string, DeviceStateCounts>>();
  readonly #pods = new Map<string, PodEntry>();
  readonly #byPhase = zeroPhaseCounts();
  readonly #podsByDevice = new Map<string, DevicePods>();
  /** Workload key → its rollout, for every workload that has a rollout status. */
  readonly #rollouts = new Map<string, FleetRollout>();

  constructor(groupLabels: readonly string[] = DEFAULT_GROUP_LABELS) {
    this.#groupLabels = [...new Set(groupLabels)];
    for (const label of this.#groupLabels) this.#groups.set(label, new Map());
  }

  /** A device came, changed or went (`next` undefined). */
  deviceChanged(name: string, next: Device | undefined): boolean {
    const before = this.#devices.get(name);
    const after = next === undefined ? undefined : this.#deviceEntry(next);
    if (sameDeviceEntry(before, after)) return false;
    if (before !== undefined) this.#countDevice(before, -1);
    if (after === undefined) this.#devices.delete(name);
    else {
      this.#devices.set(name, after);
      this.#countDevice(after, 1);
    }
    return true;
  }

  /** A pod came, changed or went: whether the counts moved, and the devices whose counts did. */
  podChanged(previous: Pod | undefined, next: Pod | undefined): { changed: boolean; devices: string[] } {
    const key = podKey((next ?? previous) as Pod);
    const before = this.#pods.get(key);
    const after: PodEntry | undefined = next === undefined ? undefined : { phase: podPhaseOf(next), device: next.spec.nodeName };
    if (before?.phase === after?.phase && before?.device === after?.device) return { changed: false, devices: [] };
    const touched = new Set<string>();
    if (before !== undefined) {
      this.#byPhase[before.phase]--;
      if (before.device !== undefined) {
        this.#countOnDevice(before.device, before.phase, -1);
        touched.add(before.device);
      }
    }
    if (after === undefined) this.#pods.delete(key);
    else {
      this.#pods.set(key, after);
      this.#byPhase[after.phase]++;
      if (after.device !== undefined) {
        this.#countOnDevice(after.device, after.phase, 1);
        touched.add(after.device);
      }
    }
    return { changed: true, devices: [...touched] };
  }

  /** A Deployment or DaemonSet came, changed or went. */
  workloadChanged(workload: Workload, gone: boolean): boolean {
    const key = workloadKey(workload);
    const before = this.#rollouts.get(key);
    const after = gone ? undefined : fleetRolloutOf(workload);
    if (JSON.stringify(before) === JSON.stringify(after)) return false;
    if (after === undefined) this.#rollouts.delete(key);
    else this.#rollouts.set(key, after);
    return true;
  }

  devicesByState(): DeviceStateCounts {
    return { ...this.#byState };
  }

  podsByPhase(): PodPhaseCounts {
    return { ...this.#byPhase };
  }

  /** The pods bound to a device, by phase. */
  devicePods(name: string): DevicePods {
    const counted = this.#podsByDevice.get(name);
    return counted === undefined ? { total: 0, byPhase: zeroPhaseCounts() } : { total: counted.total, byPhase: { ...counted.byPhase } };
  }

  /** Every workload's rollout, done or not. */
  rollouts(): IterableIterator<FleetRollout> {
    return this.#rollouts.values();
  }

  summary(now: number): FleetSummary {
    const groups: FleetSummary['groups'] = {};
    for (const [label, values] of this.#groups) {
      groups[label] = Object.fromEntries([...values].sort(([a], [b]) => a.localeCompare(b)).map(([value, counts]) => [value, { ...counts }]));
    }
    const byPhase = Object.fromEntries(ROLLOUT_PHASES.map((phase) => [phase, 0])) as Record<RolloutPhase, number>;
    const active: FleetRollout[] = [];
    for (const rollout of this.#rollouts.values()) {
      byPhase[rollout.phase]++;
      if (isActiveRollout(rollout.phase)) active.push(rollout);
    }
    active.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind));
    return {
      schema: FLEET_SUMMARY_SCHEMA,
      updatedAt: new Date(now).toISOString(),
      devices: { total: this.#devices.size, byState: { ...this.#byState }, cordoned: this.#cordoned },
      groups,
      pods: { total: this.#pods.size, byPhase: { ...this.#byPhase } },
      rollouts: { byPhase, active: active.slice(0, ROLLOUTS_LISTED), omitted: Math.max(0, active.length - ROLLOUTS_LISTED) },
    };
  }

  #deviceEntry(device: Device): DeviceEntry {
    const labels = device.metadata.labels ?? {};
    const groups: [string, string][] = [];
    for (const label of this.#groupLabels) {
      const value = labels[label];
      if (value !== undefined) groups.push([label, value]);
    }
    return { state: deviceStateOf(device), cordoned: device.spec?.unschedulable === true, groups };
  }

  #countDevice(entry: DeviceEntry, delta: 1 | -1): void {
    this.#byState[entry.state] += delta;
    if (entry.cordoned) this.#cordoned += delta;
    for (const [label, value] of entry.groups) {
      const values = this.#groups.get(label);
      if (values === undefined) continue;
      let counts = values.get(value);
      if (counts === undefined) values.set(value, (counts = zeroStateCounts()));
      counts[entry.state] += delta;
      if (DEVICE_STATES.every((state) => counts[state] === 0)) values.delete(value);
    }
  }

  #countOnDevice(device: string, phase: PodPhase, delta: 1 | -1): void {
    let counted = this.#podsByDevice.get(device);
    if (counted === undefined) this.#podsByDevice.set(device, (counted = { total: 0, byPhase: zeroPhaseCounts() }));
    counted.total += delta;
    counted.byPhase[phase] += delta;
    if (counted.total === 0) this.#podsByDevice.delete(device);
  }
}

function sameDeviceEntry(a: DeviceEntry | undefined, b: DeviceEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.state === b.state && a.cordoned === b.cordoned && JSON.stringify(a.groups) === JSON.stringify(b.groups);
}
