/**
 * The JSON the hub publishes on the public fleet topics, for people and third-party MQTT tools
 * (mosquitto_sub, MQTT Explorer, Node-RED, dashboards) and for `flotilla watch`:
 *
 *   {prefix}/fleet/summary          FleetSummary, retained: the whole fleet in counts
 *   {prefix}/fleet/devices/{name}   FleetDeviceHealth, retained: one device
 *   {prefix}/fleet/events           FleetEvent, not retained: what happens, as it happens
 *
 * Every payload names its schema (`"schema": "flotilla.fleet.device/v1"`); the JSON Schemas
 * are in shared/schemas/. Within a version, fields are only ever added, never renamed,
 * retyped or given another meaning, so a consumer that ignores what it does not know keeps
 * working; anything else is a new version, published beside the old one for a while.
 */
import type { DeviceState, DeviceUsage, PodPhase, RolloutPhase, RolloutStatus } from './objects.js';

export const FLEET_SUMMARY_SCHEMA = 'flotilla.fleet.summary/v1';
export const FLEET_DEVICE_SCHEMA = 'flotilla.fleet.device/v1';
export const FLEET_EVENT_SCHEMA = 'flotilla.fleet.event/v1';

export const DEVICE_STATES: readonly DeviceState[] = ['Ready', 'NotReady', 'Offline'];
export const POD_PHASES: readonly PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
export const ROLLOUT_PHASES: readonly RolloutPhase[] = ['Progressing', 'Paused', 'Complete', 'Failed', 'RolledBack'];

export type DeviceStateCounts = Record<DeviceState, number>;
export type PodPhaseCounts = Record<PodPhase, number>;

/** A workload's rollout that is not done: progressing, paused, or stopped by its failure threshold. */
export interface FleetRollout extends Pick<RolloutStatus, 'revision' | 'phase' | 'wave' | 'waves' | 'target' | 'updated' | 'ready' | 'failed' | 'pending' | 'message'> {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
}

export interface FleetSummary {
  schema: typeof FLEET_SUMMARY_SCHEMA;
  /** When the hub made this document (its clock). */
  updatedAt: string;
  devices: {
    total: number;
    byState: DeviceStateCounts;
    /** Devices cordoned (`flotilla cordon`): no new pods go there. */
    cordoned: number;
  };
  /**
   * Devices by state per value of each grouping label the hub is set to count (default
   * `site`): `{ site: { "plant-3": { Ready: 40, NotReady: 1, Offline: 0 } } }`. Devices
   * without the label are not in that label's groups.
   */
  groups: Record<string, Record<string, DeviceStateCounts>>;
  pods: { total: number; byPhase: PodPhaseCounts };
  rollouts: {
    /** Every Deployment and DaemonSet with a rollout status, by its phase. */
    byPhase: Record<RolloutPhase, number>;
    /** Those not Complete or RolledBack, by namespace and name, at most `ROLLOUTS_LISTED`. */
    active: FleetRollout[];
    /** How many active ones were left out of `active`. */
    omitted: number;
  };
}

/** A device condition as Kubernetes shapes a node's: `MemoryPressure` True since a time. */
export interface FleetDeviceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface FleetDeviceHealth {
  schema: typeof FLEET_DEVICE_SCHEMA;
  name: string;
  state: DeviceState;
  /** Why it is in that state, for people: "heartbeats on time", "connection lost (MQTT Last Will)". */
  message?: string;
  labels: Record<string, string>;
  /** Cordoned: no new pods are scheduled onto it. */
  cordoned: boolean;
  conditions?: FleetDeviceCondition[];
  /** Figures of its last heartbeat. */
  usage?: DeviceUsage;
  pods: {
    /** Pods the hub has bound to the device, by phase as the device last reported them. */
    total: number;
    byPhase: PodPhaseCounts;
    /** Pods running by the device's own last heartbeat or status report. */
    running?: number;
  };
  /** When the hub last heard from the device (the hub's clock). */
  lastSeen?: string;
  /** Since when it is Offline; absent while it is not. */
  offlineSince?: string;
  /** Birth/death sequence of its current MQTT session. */
  bdSeq?: number;
  /** Generation of the desired state the hub last sent it, and the one it reported applied. */
  desiredGeneration?: number;
  observedGeneration?: number;
  updatedAt: string;
}

export interface FleetEvent {
  schema: typeof FLEET_EVENT_SCHEMA;
  /** The Event's name: a repeat of it comes again with the same id and a higher count. */
  id: string;
  /** When it last happened, and first. */
  time: string;
  firstTime: string;
  count: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  object: { kind: string; name: string; namespace?: string };
  /** The device it happened on: the Device itself, or the device a Pod is bound to. */
  device?: string;
  /** Who saw it: `hub`, or `agent/<device>` for what a device told first-hand. */
  source: string;
}

export type FleetPayload = FleetSummary | FleetDeviceHealth | FleetEvent;

/** Rollouts named one by one in the summary; more are counted in `omitted`. */
export const ROLLOUTS_LISTED = 50;

export function zeroStateCounts(): DeviceStateCounts {
  return { Ready: 0, NotReady: 0, Offline: 0 };
}

export function zeroPhaseCounts(): PodPhaseCounts {
  return { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
}
