/** A device's conditions for people: the pressures in its STATE column, the table of `describe`. */
import type { Device, DeviceCondition } from '../../../shared/objects.js';
import { age } from './age.js';
import type { Description } from './describe-layout.js';
import { alignColumns } from './table.js';

const PRESSURE_ORDER = ['MemoryPressure', 'DiskPressure', 'HighTemperature'] as const;

/** The pressure conditions that are True, in a fixed order: `['MemoryPressure', 'HighTemperature']`. */
export function activePressureNames(device: Device): string[] {
  const conditions = device.status?.conditions ?? [];
  return PRESSURE_ORDER.filter((type) => conditions.some((condition) => condition.type === type && condition.status === 'True'));
}

/** `Conditions:` with kubectl describe node's table (and when each changed), or `<none>`. */
export function describeConditions(out: Description, conditions: readonly DeviceCondition[] | undefined, now: number): void {
  if (conditions === undefined || conditions.length === 0) {
    out.field('Conditions', '');
    return;
  }
  const rows = conditions.map((condition) => [
    condition.type,
    condition.status,
    condition.lastTransitionTime === undefined ? '' : `${condition.lastTransitionTime} (${age(condition.lastTransitionTime, now)} ago)`,
    condition.reason ?? '',
    condition.message ?? '',
  ]);
  const table = alignColumns(
    [['Type', 'Status', 'LastTransitionTime', 'Reason', 'Message'], ['----', '------', '------------------', '------', '-------'], ...rows],
    '  ',
  );
  out.text('Conditions:');
  for (const line of table.replace(/\n$/, '').split('\n')) out.text(line);
}

/** `memory 90%, disk 85%, temperature 75 °C`, of what the device reported; the rest is the hub's. */
export function thresholdsText(device: Device): string {
  const health = device.status?.info?.health;
  if (health === undefined) return "the hub's";
  const parts: string[] = [];
  if (health.memoryPressurePercent !== undefined) parts.push(`memory ${health.memoryPressurePercent}%`);
  if (health.diskPressurePercent !== undefined) parts.push(`disk ${health.diskPressurePercent}%`);
  if (health.highTemperatureCelsius !== undefined) parts.push(`temperature ${health.highTemperatureCelsius} °C`);
  return parts.length === 3 ? parts.join(', ') : `${parts.join(', ')}; the hub's for the rest`;
}
