/**
 * The hub's settings file, YAML (JSON is YAML too), for what is too rich for a flag:
 *
 *   scheduler:
 *     filters: [node-name, device-selector, device-platform, device-ready, taint-toleration, pods-per-device, resources-fit]
 *     scores:
 *       - {name: least-allocated, weight: 1}
 *       - {name: spread, weight: 1}
 *       - {name: label-spread, weight: 2}
 *     pluginArgs:
 *       label-spread: {topologyKey: site}
 *       pods-per-device: {defaultMaxPerDevice: 2}
 *   deviceHealth:          # for what a device's firmware profile does not set
 *     memoryPressurePercent: 90
 *     diskPressurePercent: 85
 *     highTemperatureCelsius: 80
 *
 * Everything is checked before the hub starts, the plugins built as the scheduler will build
 * them, and every problem is reported at once with its path in the file
 * (`scheduler.scores[2].weight`), so a typo never leaves a hub running with defaults.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { FlotillaError, invalid, isFlotillaError, type FieldError } from '../shared/errors.js';
import { checkSchedulerConfig, type SchedulerConfig } from './scheduler/config.js';
import { checkHealthThresholds } from './controllers/device-conditions/thresholds.js';
import type { DeviceHealthThresholds } from '../shared/objects.js';

export interface HubSettings {
  scheduler?: SchedulerConfig;
  /** Thresholds of device conditions for what devices do not report themselves. */
  deviceHealth?: DeviceHealthThresholds;
}

const SECTIONS = ['scheduler', 'deviceHealth'];

/** Reads and checks the file; throws an Invalid FlotillaError naming the file and each setting at fault. */
export function readHubSettings(path: string): HubSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FlotillaError('Invalid', `cannot read the hub settings file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'give --config the path of a YAML file with a scheduler section',
    });
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new FlotillaError('Invalid', `the hub settings file ${path} is not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  return hubSettings(document, path);
}

/** Checks a parsed settings document; `source` names it in messages. */
export function hubSettings(document: unknown, source: string): HubSettings {
  if (document === undefined || document === null) return {};
  const what = `hub settings in ${source}`;
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw invalid(what, [{ field: '', message: `must be a mapping with ${SECTIONS.join(', ')}` }]);
  }
  const problems: FieldError[] = [];
  for (const key of Object.keys(document)) {
    if (!SECTIONS.includes(key)) {
      problems.push({ field: key, message: `is not a section of the hub settings file, which has ${SECTIONS.join(', ')}; other settings are flags (flotilla hub --help)` });
    }
  }
  const settings: HubSettings = {};
  try {
    const scheduler = checkSchedulerConfig((document as Record<string, unknown>)['scheduler']);
    if (Object.keys(scheduler).length > 0) settings.scheduler = scheduler;
  } catch (error) {
    if (!isFlotillaError(error) || error.code !== 'Invalid') throw error;
    for (const detail of error.details) problems.push({ field: detail.field === '' ? 'scheduler' : `scheduler.${detail.field}`, message: detail.message });
  }
  try {
    const deviceHealth = checkHealthThresholds((document as Record<string, unknown>)['deviceHealth']);
    if (Object.keys(deviceHealth).length > 0) settings.deviceHealth = deviceHealth;
  } catch (error) {
    if (!isFlotillaError(error) || error.code !== 'Invalid') throw error;
    for (const detail of error.details) problems.push({ field: detail.field === '' ? 'deviceHealth' : `deviceHealth.${detail.field}`, message: detail.message });
  }
  if (problems.length > 0) throw invalid(what, problems, 'the scheduler section and its plugins are described in hub/scheduler/README.md');
  return settings;
}
