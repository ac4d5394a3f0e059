/**
 * `flotilla get groups --by <label>`: the fleet seen as the groups one label makes, one row per
 * value with how many devices it has, how healthy they are and how many pods they run. Devices
 * without the label are a group of their own, `<none>`.
 */
import type { Device, Pod } from '../../../shared/objects.js';
import { documentText } from './output.js';
import { NONE, renderTable } from './table.js';

export interface DeviceGroup {
  /** The label's key, the same for every group of a listing. */
  label: string;
  /** The label's value; null for the devices that do not carry the label. */
  value: string | null;
  devices: number;
  ready: number;
  notReady: number;
  offline: number;
  /** Cordoned devices, whatever their state. */
  cordoned: number;
  /** Unfinished pods bound to the group's devices. */
  pods: number;
  /** The group's devices, by name. */
  deviceNames: string[];
}

export type GroupFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

/**
 * The devices grouped by their value of `label`, values in order (numbers as numbers) and the
 * group without the label last. A device that has not connected yet counts in `devices` only.
 */
export function groupDevices(label: string, devices: readonly Device[], pods: readonly Pod[]): DeviceGroup[] {
  const groups = new Map<string | null, DeviceGroup>();
  const groupOfDevice = new Map<string, DeviceGroup>();
  for (const device of devices) {
    const value = device.metadata.labels?.[label] ?? null;
    let group = groups.get(value);
    if (group === undefined) {
      group = { label, value, devices: 0, ready: 0, notReady: 0, offline: 0, cordoned: 0, pods: 0, deviceNames: [] };
      groups.set(value, group);
    }
    group.devices++;
    group.deviceNames.push(device.metadata.name);
    const state = device.status?.state;
    if (state === 'Ready') group.ready++;
    else if (state === 'NotReady') group.notReady++;
    else if (state === 'Offline') group.offline++;
    if (device.spec?.unschedulable === true) group.cordoned++;
    groupOfDevice.set(device.metadata.name, group);
  }
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (pod.spec.nodeName === undefined || phase === 'Succeeded' || phase === 'Failed') continue;
    const group = groupOfDevice.get(pod.spec.nodeName);
    if (group !== undefined) group.pods++;
  }
  for (const group of groups.values()) group.deviceNames.sort();
  return [...groups.values()].sort(byValue);
}

const collator = new Intl.Collator('en', { numeric: true });

function byValue(a: DeviceGroup, b: DeviceGroup): number {
  if (a.value === null || b.value === null) return a.value === b.value ? 0 : a.value === null ? 1 : -1;
  return collator.compare(a.value, b.value);
}

export function groupTable(groups: readonly DeviceGroup[], wide: boolean): string {
  const headers = ['VALUE', 'DEVICES', 'READY', 'NOT-READY', 'OFFLINE', 'PODS'];
  if (wide) headers.push('CORDONED');
  const rows = groups.map((group) => {
    const row = [group.value === null ? NONE : group.value, group.devices, group.ready, group.notReady, group.offline, group.pods].map(String);
    if (wide) row.push(String(group.cordoned));
    return row;
  });
  return renderTable(headers, rows);
}

/** The selector that picks each group's devices, one a line: `site=plant-3`, `!site` for the rest. */
export function groupSelectors(groups: readonly DeviceGroup[]): string {
  return groups.map((group) => `${group.value === null ? `!${group.label}` : `${group.label}=${group.value}`}\n`).join('');
}

export function formatGroups(groups: readonly DeviceGroup[], format: GroupFormat): string {
  const document = { apiVersion: 'v1', kind: 'List', items: groups.map((group) => ({ kind: 'DeviceGroup', ...group })) };
  switch (format) {
    case 'json':
    case 'yaml':
      return documentText(document, format);
    case 'name':
      return groupSelectors(groups);
    case 'table':
    case 'wide':
      return groupTable(groups, format === 'wide');
  }
}
