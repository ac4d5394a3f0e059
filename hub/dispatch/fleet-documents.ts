/**
 * The fleet topics' JSON documents, built from what the hub holds: pure, so each field's
 * source is tested. The shapes are the public contract in shared/fleet.ts.
 */
import {
  FLEET_DEVICE_SCHEMA,
  FLEET_EVENT_SCHEMA,
  type FleetDeviceCondition,
  type FleetDeviceHealth,
  type FleetEvent,
} from '../../shared/fleet.js';
import type { Device, FlotillaEvent } from '../../shared/objects.js';
import type { DeviceLiveStatus } from '../api/device-live.js';
import { deviceStateOf, type DevicePods } from './fleet-counts.js';

/** The prefix of an event source that is a device's agent (`agent/<device>`). */
const AGENT_SOURCE = 'agent/';

/**
 * A device's health: what the store holds (state, labels, cordon, conditions), with what
 * the hub keeps in memory from its last messages (usage, last contact, generations) on top.
 */
export function deviceHealth(device: Device, live: DeviceLiveStatus | undefined, pods: DevicePods, now: number): FleetDeviceHealth {
  const status = device.status;
  const health: FleetDeviceHealth = {
    schema: FLEET_DEVICE_SCHEMA,
    name: device.metadata.name,
    state: deviceStateOf(device),
    labels: { ...device.metadata.labels },
    cordoned: device.spec?.unschedulable === true,
    pods: { total: pods.total, byPhase: { ...pods.byPhase } },
    updatedAt: new Date(now).toISOString(),
  };
  if (status?.message) health.message = status.message;
  const conditions = conditionsOf(device);
  if (conditions !== undefined) health.conditions = conditions;
  const usage = live?.usage ?? status?.usage;
  if (usage !== undefined) health.usage = usage;
  const running = live?.podCount ?? status?.podCount;
  if (running !== undefined) health.pods.running = running;
  const lastSeen = live?.lastSeen ?? status?.lastSeen;
  if (lastSeen !== undefined) health.lastSeen = lastSeen;
  if (status?.offlineSince !== undefined) health.offlineSince = status.offlineSince;
  if (status?.bdSeq !== undefined) health.bdSeq = status.bdSeq;
  const desired = live?.desiredGeneration ?? status?.desiredGeneration;
  if (desired !== undefined) health.desiredGeneration = desired;
  const observed = live?.observedGeneration ?? status?.observedGeneration;
  if (observed !== undefined) health.observedGeneration = observed;
  return health;
}

/**
 * Device conditions (MemoryPressure, DiskPressure, HighTemperature…) where the device's
 * status has them, in the Kubernetes shape; anything else there is left out.
 */
function conditionsOf(device: Device): FleetDeviceCondition[] | undefined {
  const conditions = (device.status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  const shaped: FleetDeviceCondition[] = [];
  for (const condition of conditions as Record<string, unknown>[]) {
    const { type, status, reason, message, lastTransitionTime } = condition;
    if (typeof type !== 'string' || (status !== 'True' && status !== 'False' && status !== 'Unknown')) continue;
    const entry: FleetDeviceCondition = { type, status };
    if (typeof reason === 'string') entry.reason = reason;
    if (typeof message === 'string') entry.message = message;
    if (typeof lastTransitionTime === 'string') entry.lastTransitionTime = lastTransitionTime;
    shaped.push(entry);
  }
  return shaped;
}

/**
 * An event as the events topic carries it. `deviceOfPod` names the device a pod is bound
 * to, so a consumer can follow one device's events, pods' included.
 */
export function fleetEvent(event: FlotillaEvent, deviceOfPod: (namespace: string | undefined, name: string) => string | undefined): FleetEvent {
  const involved = event.involvedObject;
  const object: FleetEvent['object'] = { kind: involved.kind, name: involved.name };
  if (involved.namespace !== undefined) object.namespace = involved.namespace;
  const payload: FleetEvent = {
    schema: FLEET_EVENT_SCHEMA,
    id: event.metadata.name,
    time: event.lastTimestamp,
    firstTime: event.firstTimestamp,
    count: event.count,
    type: event.type,
    reason: event.reason,
    message: event.message,
    object,
    source: event.source,
  };
  const device =
    involved.kind === 'Device'
      ? involved.name
      : event.source.startsWith(AGENT_SOURCE)
        ? event.source.slice(AGENT_SOURCE.length)
        : involved.kind === 'Pod'
          ? deviceOfPod(involved.namespace, involved.name)
          : undefined;
  if (device !== undefined && device !== '') payload.device = device;
  return payload;
}
