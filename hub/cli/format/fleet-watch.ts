/** What `flotilla watch` prints: the fleet summary, a device table, and events one per line. */
import { DEVICE_STATES, POD_PHASES, type FleetDeviceHealth, type FleetEvent, type FleetRollout, type FleetSummary } from '../../../shared/fleet.js';
import { formatMemory } from '../../../shared/quantity.js';
import { age } from './age.js';
import { oneLine } from './events.js';
import { resourceName } from './names.js';
import { renderTable } from './table.js';

/** `Ready`, `Ready,SchedulingDisabled`, `NotReady,MemoryPressure`: the state and what else is wrong. */
export function watchState(device: FleetDeviceHealth): string {
  const parts: string[] = [device.state];
  for (const condition of device.conditions ?? []) if (condition.status === 'True' && condition.type !== 'Ready') parts.push(condition.type);
  if (device.cordoned) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** `2/3`: pods running on the device (by its own last report) of those bound to it. */
export function watchPods(device: FleetDeviceHealth): string {
  return `${device.pods.running ?? device.pods.byPhase.Running}/${device.pods.total}`;
}

export function watchTable(devices: readonly FleetDeviceHealth[], now: number): string {
  const sorted = [...devices].sort((a, b) => a.name.localeCompare(b.name));
  const rows = sorted.map((device) => [
    device.name,
    watchState(device),
    watchPods(device),
    device.usage === undefined ? '' : `${Math.round(device.usage.cpuPercent)}%`,
    device.usage === undefined ? '' : `${formatMemory(device.usage.memoryUsedBytes)}/${formatMemory(device.usage.memoryTotalBytes)}`,
    device.lastSeen === undefined ? '' : age(device.lastSeen, now),
  ]);
  return renderTable(['NAME', 'STATE', 'PODS', 'CPU', 'MEM', 'LAST-SEEN'], rows);
}

/** `10 Ready, 1 NotReady`: the non-zero counts, in a fixed order; `none` when all are zero. */
function counted<K extends string>(order: readonly K[], counts: Record<K, number>): string {
  const parts = order.filter((key) => counts[key] > 0).map((key) => `${counts[key]} ${key}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function rolloutLine(rollout: FleetRollout): string {
  const where = resourceName(rollout.kind, rollout.name);
  const progress = `wave ${rollout.wave}/${rollout.waves}, ${rollout.ready}/${rollout.target} ready, ${rollout.updated} updated, ${rollout.failed} failed`;
  return `rollout ${rollout.namespace}/${where} revision ${rollout.revision}: ${rollout.phase}, ${progress}`;
}

/** The summary's lines: devices, pods, each group, each rollout not done. */
export function summaryLines(summary: FleetSummary): string[] {
  const lines = [
    `devices: ${summary.devices.total} (${counted(DEVICE_STATES, summary.devices.byState)})${summary.devices.cordoned > 0 ? `, ${summary.devices.cordoned} cordoned` : ''}`,
    `pods: ${summary.pods.total} (${counted(POD_PHASES, summary.pods.byPhase)})`,
  ];
  for (const [label, groups] of Object.entries(summary.groups)) {
    const entries = Object.entries(groups);
    if (entries.length === 0) continue;
    lines.push(`by ${label}: ${entries.map(([value, counts]) => `${value} ${counted(DEVICE_STATES, counts)}`).join(' · ')}`);
  }
  for (const rollout of summary.rollouts.active) lines.push(rolloutLine(rollout));
  if (summary.rollouts.omitted > 0) lines.push(`… and ${summary.rollouts.omitted} more rollouts`);
  return lines;
}

/** The devices shown, when a selector picks some: `selected: 3 (3 Ready)`. */
export function selectionLine(devices: readonly FleetDeviceHealth[]): string {
  const counts = { Ready: 0, NotReady: 0, Offline: 0 };
  for (const device of devices) counts[device.state]++;
  return `selected: ${devices.length} (${counted(DEVICE_STATES, counts)})`;
}

/** `2026-01-02T10:11:12Z  Warning  Offline  device/cam-7  device is Offline: …` */
export function eventLine(event: FleetEvent): string {
  const count = event.count > 1 ? ` (x${event.count})` : '';
  return `${event.time}  ${event.type}  ${event.reason}  ${resourceName(event.object.kind, event.object.name)}  ${oneLine(event.message)}${count}`;
}

/** A device's document as a line, for output that is not a terminal. */
export function deviceLine(device: FleetDeviceHealth, now: number): string {
  return watchTable([device], now).split('\n')[1] ?? device.name;
}
