/**
 * Which plugins a scheduler runs, as the hub's settings name them, checked and turned into
 * plugin instances. Every problem is reported at once, with the field at fault.
 */
import { invalid, isFlotillaError, type FieldError } from '../../shared/errors.js';
import { isFilterPlugin, isScorePlugin, type FilterPlugin, type Plugin, type ScorePlugin } from './framework.js';
import * as devicePlatform from './plugins/device-platform/index.js';
import * as devicePressure from './plugins/device-pressure/index.js';
import * as deviceReady from './plugins/device-ready/index.js';
import * as deviceSelector from './plugins/device-selector/index.js';
import * as leastAllocated from './plugins/least-allocated/index.js';
import * as nodeName from './plugins/node-name/index.js';
import * as podsPerDevice from './plugins/pods-per-device/index.js';
import * as resourcesFit from './plugins/resources-fit/index.js';
import * as spread from './plugins/spread/index.js';
import * as taintToleration from './plugins/taint-toleration/index.js';
import { inTreeRegistry, type Registry } from './registry.js';

export interface ScoreConfig {
  name: string;
  /** How much this plugin's 0..100 counts against the others'; a positive number. */
  weight: number;
}

export interface SchedulerConfig {
  /** Filter plugins in the order they run; a device's diagnosis names the first that refused it. */
  filters?: string[];
  scores?: ScoreConfig[];
  /** Arguments for plugin factories, by plugin name. */
  pluginArgs?: Record<string, unknown>;
  /**
   * How much of a large fleet to look through for devices that fit before picking among them,
   * as Kubernetes' percentageOfNodesToScore. 0 or absent: adaptive (every device of fleets up
   * to 100, falling to 5% of very large ones); 100: always every device.
   */
  percentageOfDevicesToScore?: number;
}

/**
 * Cheap questions about the pod and the device's labels and platform come first, so a device
 * that could never take the pod says so rather than that it happens to be offline; an Offline
 * device is reported as such rather than by the unreachable taint it carries; the workload's
 * own limit comes before the room it would take.
 */
export const DEFAULT_FILTERS: readonly string[] = [
  nodeName.NAME,
  deviceSelector.NAME,
  devicePlatform.NAME,
  deviceReady.NAME,
  devicePressure.NAME,
  taintToleration.NAME,
  podsPerDevice.NAME,
  resourcesFit.NAME,
];

/** Spreading replicas counts double, as PodTopologySpread against NodeResourcesFit in Kubernetes. */
export const DEFAULT_SCORES: readonly ScoreConfig[] = [
  { name: leastAllocated.NAME, weight: 1 },
  { name: spread.NAME, weight: 2 },
];

/** A configuration with its plugins built. */
export interface Profile {
  filters: FilterPlugin[];
  scores: { plugin: ScorePlugin; weight: number }[];
  percentageOfDevicesToScore: number;
}

/** Builds the configured plugins; throws an Invalid FlotillaError listing every problem. */
export function buildProfile(config: SchedulerConfig, registry: Registry): Profile {
  const problems: FieldError[] = [];
  const instances = new Map<string, Plugin>();
  const configured = new Set<string>();
  /** Plugins whose factory failed: reported once, however often they are listed. */
  const failed = new Set<string>();
  const givenArgs: unknown = config.pluginArgs ?? {};
  let pluginArgs: Record<string, unknown> = {};
  if (typeof givenArgs !== 'object' || givenArgs === null || Array.isArray(givenArgs)) {
    problems.push({ field: 'pluginArgs', message: 'must be an object of plugin name → its arguments' });
  } else {
    pluginArgs = givenArgs as Record<string, unknown>;
  }

  const instance = (name: unknown, field: string): Plugin | undefined => {
    if (typeof name !== 'string' || name === '') {
      problems.push({ field, message: 'must be the name of a scheduler plugin' });
      return undefined;
    }
    if (!registry.has(name)) {
      problems.push({ field, message: `no scheduler plugin is named "${name}"; registered: ${registry.names().join(', ')}` });
      return undefined;
    }
    configured.add(name);
    if (failed.has(name)) return undefined;
    let plugin = instances.get(name);
    if (plugin === undefined) {
      try {
        plugin = registry.create(name, pluginArgs[name]);
      } catch (error) {
        failed.add(name);
        problems.push(...creationProblems(name, field, Object.hasOwn(pluginArgs, name), error));
        return undefined;
      }
      instances.set(name, plugin);
    }
    return plugin;
  };

  const filters: FilterPlugin[] = [];
  const filterNames = config.filters ?? DEFAULT_FILTERS;
  if (!Array.isArray(filterNames)) problems.push({ field: 'filters', message: 'must be a list of plugin names' });
  else {
    filterNames.forEach((name: unknown, index) => {
      const field = `filters[${index}]`;
      if (filterNames.indexOf(name as string) !== index) {
        problems.push({ field, message: `"${String(name)}" is listed twice` });
        return;
      }
      const plugin = instance(name, field);
      if (plugin === undefined) return;
      if (isFilterPlugin(plugin)) filters.push(plugin);
      else problems.push({ field, message: `"${plugin.name}" is not a filter plugin` });
    });
  }

  const scores: Profile['scores'] = [];
  const scoreConfigs = config.scores ?? DEFAULT_SCORES;
  if (!Array.isArray(scoreConfigs)) problems.push({ field: 'scores', message: 'must be a list of {name, weight}' });
  else {
    const seen = new Set<string>();
    scoreConfigs.forEach((entry: Partial<ScoreConfig> | undefined, index) => {
      const field = `scores[${index}]`;
      const name = entry?.name;
      const weight = entry?.weight;
      if (typeof name === 'string' && seen.has(name)) {
        problems.push({ field: `${field}.name`, message: `"${name}" is listed twice` });
        return;
      }
      if (typeof name === 'string') seen.add(name);
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
        problems.push({ field: `${field}.weight`, message: 'must be a positive number' });
      }
      const plugin = instance(name, `${field}.name`);
      if (plugin === undefined) return;
      if (!isScorePlugin(plugin)) problems.push({ field: `${field}.name`, message: `"${plugin.name}" is not a score plugin` });
      else if (typeof weight === 'number') scores.push({ plugin, weight });
    });
  }

  for (const name of Object.keys(pluginArgs)) {
    if (!registry.has(name)) {
      problems.push({ field: `pluginArgs.${name}`, message: `no scheduler plugin is named "${name}"` });
    } else if (!configured.has(name)) {
      problems.push({ field: `pluginArgs.${name}`, message: `plugin "${name}" is not in filters or scores, so its arguments would be ignored` });
    }
  }

  const percentage = config.percentageOfDevicesToScore ?? 0;
  if (typeof percentage !== 'number' || !(percentage >= 0 && percentage <= 100)) {
    problems.push({ field: 'percentageOfDevicesToScore', message: 'must be a number from 0 (adaptive) to 100' });
  }

  if (problems.length > 0) {
    throw invalid('scheduler configuration', problems, `registered plugins: ${registry.names().join(', ')}`);
  }
  return { filters, scores, percentageOfDevicesToScore: percentage };
}

/**
 * Why a plugin could not be built. A factory that refused its arguments (an Invalid error with
 * field details) is reported at those arguments, `pluginArgs.label-spread.topologyKey`; any
 * other failure where the plugin is listed.
 */
function creationProblems(name: string, listedAt: string, argsGiven: boolean, error: unknown): FieldError[] {
  if (isFlotillaError(error) && error.code === 'Invalid' && error.details.length > 0) {
    const base = `pluginArgs.${name}`;
    return error.details.map((detail) => ({
      field: detail.field === '' ? base : `${base}.${detail.field}`,
      message: argsGiven ? detail.message : `${detail.message} (plugin ${name} is listed at ${listedAt})`,
    }));
  }
  return [{ field: listedAt, message: `plugin "${name}" could not be created: ${error instanceof Error ? error.message : String(error)}` }];
}

const SCHEDULER_FIELDS = ['filters', 'scores', 'pluginArgs', 'percentageOfDevicesToScore'];

/**
 * The `scheduler` section of the hub's settings, checked as the hub will use it: known fields
 * only, then every plugin built once with its arguments. Throws an Invalid FlotillaError whose
 * field paths are relative to the section (`scores[1].weight`); absent: the defaults.
 */
export function checkSchedulerConfig(section: unknown, registry: Registry = inTreeRegistry()): SchedulerConfig {
  if (section === undefined || section === null) return {};
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw invalid('scheduler configuration', [{ field: '', message: `must be an object with ${SCHEDULER_FIELDS.join(', ')}` }]);
  }
  const unknown = Object.keys(section).filter((field) => !SCHEDULER_FIELDS.includes(field));
  if (unknown.length > 0) {
    throw invalid(
      'scheduler configuration',
      unknown.map((field) => ({ field, message: `is not a scheduler setting; the settings are ${SCHEDULER_FIELDS.join(', ')}` })),
    );
  }
  const config = section as SchedulerConfig;
  buildProfile(config, registry);
  return config;
}
