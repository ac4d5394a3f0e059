/** The device table: state, labels, live use from the last heartbeat, and how recently it was heard. */
import type { Device } from '../../../shared/objects.js';
import { formatMemory } from '../../../shared/quantity.js';
import { age } from './age.js';
import { activePressureNames } from './conditions.js';
import type { TableOptions } from './pods.js';
import { labelText, renderTable } from './table.js';

/**
 * `Ready`, `Ready,MemoryPressure` for a device under pressure, `Ready,SchedulingDisabled` for a
 * cordoned one, as kubectl shows nodes.
 */
export function deviceState(device: Device): string {
  const parts = [device.status?.state ?? 'Unknown', ...activePressureNames(device)];
  if (device.spec?.unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export function deviceCpu(device: Device): string {
  const usage = device.status?.usage;
  return usage === undefined ? '' : `${Math.round(usage.cpuPercent)}%`;
}

/** `312Mi/7.8Gi`: used of total. */
export function deviceMemory(device: Device): string {
  const usage = device.status?.usage;
  if (usage === undefined) return '';
  return `${formatMemory(usage.memoryUsedBytes)}/${formatMemory(usage.memoryTotalBytes)}`;
}

export function devicePods(device: Device): string {
  const count = device.status?.podCount ?? 0;
  const capacity = device.status?.capacity?.pods;
  return capacity === undefined ? String(count) : `${count}/${capacity}`;
}

export function deviceTable(devices: readonly Device[], options: TableOptions): string {
  const headers = ['NAME', 'STATE', 'LABELS', 'ARCH', 'CPU', 'MEMORY', 'PODS', 'LAST-SEEN', 'AGE'];
  if (options.wide) headers.push('OS', 'RUNTIME', 'AGENT', 'KERNEL');
  const rows = devices.map((device) => {
    const info = device.status?.info;
    const lastSeen = device.status?.lastSeen;
    const row = [
      device.metadata.name,
      deviceState(device),
      labelText(device.metadata.labels),
      info?.arch ?? '',
      deviceCpu(device),
      deviceMemory(device),
      devicePods(device),
      lastSeen === undefined ? '' : age(lastSeen, options.now),
      age(device.metadata.creationTimestamp, options.now),
    ];
    if (options.wide) {
      const runtime = info === undefined ? '' : `${info.runtime} ${info.runtimeVersion}`.trim();
      row.push(info?.os ?? '', runtime, info?.agentVersion ?? '', info?.kernel ?? '');
    }
    return row;
  });
  return renderTable(headers, rows);
}
