/**
 * The fleet as the scheduler sees it during a run: each device with its capacity parsed and
 * the requests of the pods already on it summed, plus how many pods of each owner sit on
 * each device and, for a label spread by, on the devices of each of its values (for spreading
 * replicas). Built once from the store's lists, then kept current
 * with `assume` as pods are bound, so scheduling many pods in a row never re-reads the store.
 */
import { FlotillaError } from '../../shared/errors.js';
import { objectKey, type Device, type Labels, type Pod } from '../../shared/objects.js';
import { capacityAmounts, podRequest, type PodRequest, type ResourceAmounts } from './resources.js';

/** One device as the scheduler sees it. */
export interface DeviceSnapshot {
  readonly name: string;
  /** Position in FleetSnapshot.devices: lets a plugin keep per-device answers in a plain array. */
  readonly index: number;
  /** The store object; never modified. */
  readonly device: Device;
  readonly labels: Readonly<Labels>;
  /** Parsed from status.capacity; undefined until the device reports one, or when it cannot be read. */
  readonly capacity: Readonly<ResourceAmounts> | undefined;
  /** Why `capacity` is undefined although the device reported one. */
  readonly capacityProblem: string | undefined;
  /** Sum over the unfinished pods bound to the device, assumed ones included. */
  readonly requested: Readonly<ResourceAmounts>;
}

interface DeviceEntry extends DeviceSnapshot {
  index: number;
  readonly requested: ResourceAmounts;
}

/** Where a counted pod sits and what it added, so forgetting it takes back exactly that. */
interface CountedPod {
  device: DeviceEntry;
  request: PodRequest;
  ownerUid: string | undefined;
}

const NO_LABELS: Readonly<Labels> = Object.freeze({});
const NO_PODS: ReadonlyMap<string, number> = new Map();
const NO_DEVICES: readonly number[] = Object.freeze([]);

/** For one label key: the devices carrying it, and those carrying each of its values. */
interface KeyIndex {
  all: number[];
  byValue: Map<string, number[]>;
}
const NOTHING_REQUESTED: PodRequest = Object.freeze({ cpuMillis: 0, memoryBytes: 0 });

export class FleetSnapshot {
  /** Sorted by name, so every run over the same fleet goes the same way. */
  readonly devices: readonly DeviceSnapshot[];
  private readonly byName = new Map<string, DeviceEntry>();
  /** owner uid → device name → pods of that owner on it. */
  private readonly ownerPods = new Map<string, Map<string, number>>();
  /** Pod key → where it was counted. */
  private readonly counted = new Map<string, CountedPod>();
  /** Label key → device indexes; built on first use, and never stale since labels are fixed for a snapshot's life. */
  private labelIndex: Map<string, KeyIndex> | undefined;
  /**
   * Label key → owner uid → label value → counted pods of the owner on devices with that value.
   * A key is counted from its first use on, and kept current by `assume` and `forget`.
   */
  private readonly podsByLabel = new Map<string, Map<string, Map<string, number>>>();

  constructor(devices: readonly Device[]) {
    const entries: DeviceEntry[] = [];
    for (const device of devices) {
      if (this.byName.has(device.metadata.name)) continue;
      const entry = deviceEntry(device);
      this.byName.set(entry.name, entry);
      entries.push(entry);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    entries.forEach((entry, index) => (entry.index = index));
    this.devices = entries;
  }

  device(name: string): DeviceSnapshot | undefined {
    return this.byName.get(name);
  }

  /**
   * Indexes (into `devices`, ascending) of the devices labelled `key=value`. The first call
   * indexes every device's labels once; pods and `assume` never change them.
   */
  devicesLabelled(key: string, value: string): readonly number[] {
    return this.indexed().get(key)?.byValue.get(value) ?? NO_DEVICES;
  }

  /** Indexes (into `devices`, ascending) of the devices that carry the label `key`, whatever its value. */
  devicesWithLabel(key: string): readonly number[] {
    return this.indexed().get(key)?.all ?? NO_DEVICES;
  }

  private indexed(): Map<string, KeyIndex> {
    if (this.labelIndex !== undefined) return this.labelIndex;
    const index = new Map<string, KeyIndex>();
    for (const device of this.devices) {
      for (const key of Object.keys(device.labels)) {
        const value = device.labels[key] as string;
        let byKey = index.get(key);
        if (byKey === undefined) index.set(key, (byKey = { all: [], byValue: new Map() }));
        byKey.all.push(device.index);
        let withValue = byKey.byValue.get(value);
        if (withValue === undefined) byKey.byValue.set(value, (withValue = []));
        withValue.push(device.index);
      }
    }
    this.labelIndex = index;
    return index;
  }

  /** How many counted pods of the owner with this uid are on the device. */
  podsByOwnerOnDevice(ownerUid: string, device: string): number {
    return this.ownerPods.get(ownerUid)?.get(device) ?? 0;
  }

  /** Device name → counted pods of the owner with this uid, for devices that have any. */
  podsOfOwner(ownerUid: string): ReadonlyMap<string, number> {
    return this.ownerPods.get(ownerUid) ?? NO_PODS;
  }

  /**
   * Label value → counted pods of the owner with this uid on devices carrying the label `key`
   * with that value (devices without the label are left out), for spreading a workload across
   * sites. The first call for a key counts every pod once; after that it costs a lookup.
   */
  podsOfOwnerByLabel(ownerUid: string, key: string): ReadonlyMap<string, number> {
    let byOwner = this.podsByLabel.get(key);
    if (byOwner === undefined) {
      byOwner = new Map();
      for (const counted of this.counted.values()) countByLabel(byOwner, key, counted, 1);
      this.podsByLabel.set(key, byOwner);
    }
    return byOwner.get(ownerUid) ?? NO_PODS;
  }

  /** Whether the pod is counted on some device, and which. */
  deviceOf(pod: Pod): string | undefined {
    return this.counted.get(podKey(pod))?.device.name;
  }

  /**
   * Counts the pod on the device. Returns false when it is already counted there (assuming
   * twice is harmless); throws when it is counted elsewhere or the device is unknown.
   */
  assume(pod: Pod, deviceName: string): boolean {
    const device = this.byName.get(deviceName);
    if (device === undefined) {
      throw new FlotillaError('NotFound', `device ${deviceName} is not in the scheduler's snapshot of the fleet`);
    }
    const key = podKey(pod);
    const already = this.counted.get(key);
    if (already !== undefined) {
      if (already.device === device) return false;
      throw new FlotillaError('Conflict', `pod ${key} is already counted on device ${already.device.name}, not ${deviceName}`, {
        hint: 'forget it first if it moved',
      });
    }
    const counted: CountedPod = { device, request: requestOrNothing(pod), ownerUid: ownerUidOf(pod) };
    this.counted.set(key, counted);
    this.apply(counted, 1);
    return true;
  }

  /** Takes back a pod counted by `assume` or the snapshot, as when binding it failed. Returns whether it was counted. */
  forget(pod: Pod): boolean {
    const key = podKey(pod);
    const counted = this.counted.get(key);
    if (counted === undefined) return false;
    this.counted.delete(key);
    this.apply(counted, -1);
    return true;
  }

  private apply(counted: CountedPod, sign: 1 | -1): void {
    const { device, request, ownerUid } = counted;
    device.requested.cpuMillis += sign * request.cpuMillis;
    device.requested.memoryBytes += sign * request.memoryBytes;
    device.requested.pods += sign;
    if (ownerUid === undefined) return;
    if (this.podsByLabel.size > 0) for (const [key, byOwner] of this.podsByLabel) countByLabel(byOwner, key, counted, sign);
    let perDevice = this.ownerPods.get(ownerUid);
    if (perDevice === undefined) {
      perDevice = new Map();
      this.ownerPods.set(ownerUid, perDevice);
    }
    const count = (perDevice.get(device.name) ?? 0) + sign;
    if (count > 0) perDevice.set(device.name, count);
    else perDevice.delete(device.name);
    if (perDevice.size === 0) this.ownerPods.delete(ownerUid);
  }
}

/** Adds (or takes back) a counted pod in one label key's counts, when its device carries the label. */
function countByLabel(byOwner: Map<string, Map<string, number>>, key: string, { device, ownerUid }: CountedPod, sign: 1 | -1): void {
  const value = device.labels[key];
  if (ownerUid === undefined || value === undefined) return;
  let perValue = byOwner.get(ownerUid);
  if (perValue === undefined) byOwner.set(ownerUid, (perValue = new Map()));
  const count = (perValue.get(value) ?? 0) + sign;
  if (count > 0) perValue.set(value, count);
  else perValue.delete(value);
  if (perValue.size === 0) byOwner.delete(ownerUid);
}

/**
 * The fleet with every unfinished pod counted on the device its nodeName names. Pods bound to
 * devices not in `devices` are left out.
 */
export function snapshotFleet(devices: readonly Device[], pods: readonly Pod[]): FleetSnapshot {
  const fleet = new FleetSnapshot(devices);
  for (const pod of pods) {
    const nodeName = pod.spec.nodeName;
    if (nodeName === undefined || isFinished(pod) || fleet.device(nodeName) === undefined) continue;
    fleet.assume(pod, nodeName);
  }
  return fleet;
}

/** Counts a just-bound pod in the snapshot so the next pods see the room it took; see FleetSnapshot.assume. */
export function assume(fleet: FleetSnapshot, pod: Pod, device: string): boolean {
  return fleet.assume(pod, device);
}

/** Takes a pod back out of the snapshot; see FleetSnapshot.forget. */
export function forget(fleet: FleetSnapshot, pod: Pod): boolean {
  return fleet.forget(pod);
}

/** The uid of the pod's controlling owner (a Deployment's replica set, a DaemonSet), else of its first owner. */
export function ownerUidOf(pod: Pod): string | undefined {
  const owners = pod.metadata.ownerReferences;
  if (owners === undefined || owners.length === 0) return undefined;
  return (owners.find((owner) => owner.controller === true) ?? owners[0])?.uid;
}

function isFinished(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function podKey(pod: Pod): string {
  return objectKey('Pod', pod.metadata.namespace, pod.metadata.name);
}

// A pod already bound with an unreadable quantity got past validation somehow; it still
// occupies a pod slot, and refusing to build the snapshot would stop all scheduling.
function requestOrNothing(pod: Pod): PodRequest {
  try {
    return podRequest(pod);
  } catch {
    return NOTHING_REQUESTED;
  }
}

function deviceEntry(device: Device): DeviceEntry {
  const reported = device.status?.capacity;
  let capacity: ResourceAmounts | undefined;
  let capacityProblem: string | undefined;
  if (reported !== undefined) {
    try {
      capacity = capacityAmounts(reported);
    } catch (error) {
      capacityProblem = error instanceof Error ? error.message : String(error);
    }
  }
  return {
    name: device.metadata.name,
    index: 0,
    device,
    labels: device.metadata.labels ?? NO_LABELS,
    capacity,
    capacityProblem,
    requested: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
  };
}
