/** Fleet topic payloads as the hub publishes them, for the CLI's watch tests. */
import type { FleetDeviceHealth, FleetEvent, FleetSummary } from '../../../../shared/fleet.js';
import type { DeviceState } from '../../../../shared/objects.js';

export const NOW = Date.parse('2026-03-01T10:00:00.000Z');

export function health(name: string, state: DeviceState, labels: Record<string, string> = {}, extra: Partial<FleetDeviceHealth> = {}): FleetDeviceHealth {
  return {
    schema: 'flotilla.fleet.device/v1',
    name,
    state,
    labels,
    cordoned: false,
    pods: { total: 2, byPhase: { Pending: 0, Running: 2, Succeeded: 0, Failed: 0, Unknown: 0 }, running: 2 },
    usage: { cpuPercent: 23.4, memoryUsedBytes: 512 * 1024 * 1024, memoryTotalBytes: 2 * 1024 * 1024 * 1024 },
    lastSeen: new Date(NOW - 4_000).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    ...extra,
  };
}

export function summary(extra: Partial<FleetSummary> = {}): FleetSummary {
  return {
    schema: 'flotilla.fleet.summary/v1',
    updatedAt: new Date(NOW).toISOString(),
    devices: { total: 2, byState: { Ready: 1, NotReady: 0, Offline: 1 }, cordoned: 0 },
    groups: { site: { 'plant-3': { Ready: 1, NotReady: 0, Offline: 1 } } },
    pods: { total: 4, byPhase: { Pending: 1, Running: 3, Succeeded: 0, Failed: 0, Unknown: 0 } },
    rollouts: { byPhase: { Progressing: 0, Paused: 0, Complete: 0, Failed: 0, RolledBack: 0 }, active: [], omitted: 0 },
    ...extra,
  };
}

export function fleetEvent(reason: string, object: FleetEvent['object'], device?: string): FleetEvent {
  return {
    schema: 'flotilla.fleet.event/v1',
    id: `${object.name}.abc`,
    time: new Date(NOW).toISOString(),
    firstTime: new Date(NOW).toISOString(),
    count: 1,
    type: 'Warning',
    reason,
    message: `${reason} happened`,
    object,
    ...(device === undefined ? {} : { device }),
    source: 'hub',
  };
}

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
