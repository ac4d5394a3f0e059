/**
 * Where a device's pressure conditions begin. A device reports its own thresholds in its
 * birth (from its firmware profile, or its agent's --health-thresholds); whatever it leaves
 * out comes from the hub's settings (`deviceHealth` in the settings file), and what those
 * leave out from the defaults here, which are those of the generic firmware profiles.
 */
import { invalid, type FieldError } from '../../../shared/errors.js';
import type { DeviceHealthThresholds, DeviceInfo } from '../../../shared/objects.js';
import type { DeviceInfoMessage, HealthThresholdsMessage } from '../../../shared/proto/codec.js';

export type HealthThresholds = Required<DeviceHealthThresholds>;

export const DEFAULT_HEALTH_THRESHOLDS: Readonly<HealthThresholds> = Object.freeze({
  memoryPressurePercent: 90,
  diskPressurePercent: 85,
  highTemperatureCelsius: 80,
});

export const THRESHOLD_FIELDS = ['memoryPressurePercent', 'diskPressurePercent', 'highTemperatureCelsius'] as const;

/** The thresholds a device reported, without the fields it left to the hub (0, or no message at all). */
export function reportedThresholds(message: HealthThresholdsMessage | null | undefined): DeviceHealthThresholds | undefined {
  if (message === null || message === undefined) return undefined;
  const reported: DeviceHealthThresholds = {};
  for (const field of THRESHOLD_FIELDS) {
    const value = message[field];
    // Carried as 32-bit floats: 85.3 arrives as 85.30000305.
    if (Number.isFinite(value) && value > 0) reported[field] = Math.round(value * 10) / 10;
  }
  return Object.keys(reported).length > 0 ? reported : undefined;
}

/** A birth's device info as the store keeps it: thresholds only when the device reported some. */
export function deviceInfoOf(message: DeviceInfoMessage): DeviceInfo {
  const { health, ...info } = message;
  const reported = reportedThresholds(health);
  return reported === undefined ? info : { ...info, health: reported };
}

/** Field by field: the device's own, else the hub's setting, else the default. */
export function effectiveThresholds(reported: DeviceHealthThresholds | undefined, hub: DeviceHealthThresholds = {}): HealthThresholds {
  const effective = { ...DEFAULT_HEALTH_THRESHOLDS };
  for (const field of THRESHOLD_FIELDS) {
    const value = reported?.[field] ?? hub[field];
    if (value !== undefined) effective[field] = value;
  }
  return effective;
}

/** What each threshold may be: a percentage of something in use, or degrees Celsius. */
export const THRESHOLD_LIMITS: Readonly<Record<(typeof THRESHOLD_FIELDS)[number], { max: number; what: string }>> = Object.freeze({
  memoryPressurePercent: { max: 100, what: 'percent of memory in use' },
  diskPressurePercent: { max: 100, what: 'percent of disk in use' },
  highTemperatureCelsius: { max: 150, what: 'degrees Celsius' },
});

/**
 * The `deviceHealth` section of the hub's settings, checked: known fields only, each a number
 * above 0 and at most its limit. Throws an Invalid FlotillaError whose field paths are
 * relative to the section; absent: none set.
 */
export function checkHealthThresholds(section: unknown): DeviceHealthThresholds {
  if (section === undefined || section === null) return {};
  const what = 'device health thresholds';
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw invalid(what, [{ field: '', message: `must be a mapping with ${THRESHOLD_FIELDS.join(', ')}` }]);
  }
  const problems: FieldError[] = [];
  const thresholds: DeviceHealthThresholds = {};
  for (const [field, value] of Object.entries(section)) {
    if (!(THRESHOLD_FIELDS as readonly string[]).includes(field)) {
      problems.push({ field, message: `is not a threshold; the thresholds are ${THRESHOLD_FIELDS.join(', ')}` });
      continue;
    }
    const { max, what: unit } = THRESHOLD_LIMITS[field as (typeof THRESHOLD_FIELDS)[number]];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
      problems.push({ field, message: `must be a number above 0 and at most ${max} (${unit})` });
      continue;
    }
    thresholds[field as (typeof THRESHOLD_FIELDS)[number]] = value;
  }
  if (problems.length > 0) throw invalid(what, problems);
  return thresholds;
}
