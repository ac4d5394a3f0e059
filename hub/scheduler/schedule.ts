/**
 * One scheduling attempt for one pod, as kube-scheduler's cycle: pre-filter once, filter
 * device by device (only the candidates when pre-filters named some), score the devices that
 * fit, pick the best. When nothing fits, the result says why for the fleet as a whole and for
 * each device.
 */
import type { Pod } from '../../shared/objects.js';
import { buildProfile, type SchedulerConfig } from './config.js';
import { createPreFilter, firstAtOrAfter, isTurnedAway } from './candidates.js';
import {
  CycleContext,
  MAX_SCORE,
  MIN_SCORE,
  Status,
  type DeviceScore,
  type FilterPlugin,
  type ScorePlugin,
  type StatusCode,
} from './framework.js';
import { rejectedMessage, unavailableMessage, type Rejection } from './message.js';
import { inTreeRegistry, type Registry } from './registry.js';
import type { DeviceSnapshot, FleetSnapshot } from './snapshot.js';

export { assume, forget, ownerUidOf, snapshotFleet, FleetSnapshot, type DeviceSnapshot } from './snapshot.js';
export type { SchedulerConfig, ScoreConfig } from './config.js';

/** Why one device was passed over: what `flotilla describe pod` lists, device by device. */
export interface DeviceDiagnosis {
  device: string;
  plugin: string;
  code: StatusCode;
  reasons: string[];
}

export type ScheduleResult =
  | { bound: true; device: string; score: number }
  | {
      bound: false;
      /** As the reason of the PodScheduled condition: the pod fits nowhere, or a plugin broke. */
      reason: 'Unschedulable' | 'SchedulerError';
      message: string;
      /** Sorted by device name. */
      diagnosis: DeviceDiagnosis[];
    };

export interface Scheduler {
  /** Picks a device for the pod. Pure but for the rotating start over large fleets; never throws for a plugin's failure. */
  schedule(pod: Pod, fleet: FleetSnapshot): ScheduleResult;
}

// Kubernetes' numbers for percentageOfNodesToScore: look at every device of small fleets, and
// at no fewer than 100 devices nor less than 5% of large ones.
const MIN_FEASIBLE_TO_FIND = 100;
const BASE_PERCENTAGE = 50;
const MIN_PERCENTAGE = 5;
const ADAPTIVE_DEVICES_PER_PERCENT = 125;

/**
 * A scheduler running the configured plugins (the defaults when none are named). Throws an
 * Invalid FlotillaError for a configuration naming unknown or unfit plugins.
 */
export function createScheduler(config: SchedulerConfig = {}, registry: Registry = inTreeRegistry()): Scheduler {
  const profile = buildProfile(config, registry);
  const preFilter = createPreFilter(profile.filters);
  const scratch = new Map<ScorePlugin, { pool: ScratchScore[]; list: ScratchScore[] }>();
  // Where the next search through a large fleet starts, so successive pods look at different devices.
  let nextStart = 0;
  // By device index, the filter that refused the device in this cycle and its answer: noted
  // rather than kept as an object per device, and read only when nothing fits.
  let refusedBy: (FilterPlugin | undefined)[] = [];
  let refusals: (Status | undefined)[] = [];
  // Each feasible device's total score, refilled every cycle rather than allocated anew.
  let totals = new Float64Array(0);

  function schedule(pod: Pod, fleet: FleetSnapshot): ScheduleResult {
    const ctx = new CycleContext(pod, fleet);
    const devices = fleet.devices;
    const total = devices.length;
    const plan = preFilter(ctx);
    if (isTurnedAway(plan)) return rejectedUpFront(total, devices, plan.plugin, plan.status);
    const { candidates, searchFilters, fullFilters } = plan;
    if (refusals.length < total) {
      refusedBy = new Array<FilterPlugin | undefined>(total).fill(undefined);
      refusals = new Array<Status | undefined>(total).fill(undefined);
    }

    const wanted = feasibleToFind(total, profile.percentageOfDevicesToScore);
    const feasible: DeviceSnapshot[] = [];
    const start = total === 0 ? 0 : nextStart % total;
    if (candidates === undefined) {
      let examined = 0;
      for (; examined < total && feasible.length < wanted; examined++) {
        const index = (start + examined) % total;
        const device = devices[index] as DeviceSnapshot;
        if (passes(searchFilters, ctx, pod, device, index)) feasible.push(device);
      }
      nextStart = total === 0 ? 0 : (start + examined) % total;
    } else {
      // The candidates in the order a search through the whole fleet from `start` would meet
      // them, stopping where it would stop: the same devices found, the same start for the next pod.
      const count = candidates.length;
      const first = firstAtOrAfter(candidates, start);
      let lastFound = -1;
      for (let k = first; k < count + first && feasible.length < wanted; k++) {
        const index = candidates[k < count ? k : k - count] as number;
        const device = devices[index] as DeviceSnapshot;
        if (passes(searchFilters, ctx, pod, device, index)) {
          feasible.push(device);
          lastFound = index;
        }
      }
      nextStart = total > 0 && feasible.length >= wanted ? (lastFound + 1) % total : start;
      if (feasible.length === 0) examineOthers(fullFilters, ctx, pod, devices, candidates, feasible);
    }

    if (feasible.length === 0) return nothingFits(devices);
    return pickBest(ctx, pod, feasible);
  }

  /** Whether every filter lets the pod onto the device; if not, notes which refused and why. */
  function passes(filters: readonly FilterPlugin[], ctx: CycleContext, pod: Pod, device: DeviceSnapshot, index: number): boolean {
    for (let i = 0; i < filters.length; i++) {
      const plugin = filters[i] as FilterPlugin;
      const status = runFilter(plugin, ctx, pod, device);
      if (status.code !== 'Success') {
        refusedBy[index] = plugin;
        refusals[index] = status;
        return false;
      }
    }
    return true;
  }

  /**
   * Asks the filters about the devices the pre-filters left out, as a search through the whole
   * fleet would have, so a pod that fits nowhere is explained device by device. A device that
   * passes after all (a pre-filter that broke its promise) counts as feasible: filters decide.
   */
  function examineOthers(
    filters: readonly FilterPlugin[],
    ctx: CycleContext,
    pod: Pod,
    devices: readonly DeviceSnapshot[],
    candidates: readonly number[],
    feasible: DeviceSnapshot[],
  ): void {
    let next = 0;
    for (let index = 0; index < devices.length; index++) {
      if (candidates[next] === index) {
        next++;
        continue;
      }
      const device = devices[index] as DeviceSnapshot;
      if (passes(filters, ctx, pod, device, index)) feasible.push(device);
    }
  }

  /** The answer when every device refused the pod: each one's refusal, noted as they were looked at. */
  function nothingFits(devices: readonly DeviceSnapshot[]): ScheduleResult {
    const rejections: Rejection[] = devices.map((device, index) => ({
      device: device.name,
      plugin: (refusedBy[index] as FilterPlugin).name,
      status: refusals[index] as Status,
    }));
    const anyError = rejections.some((r) => r.status.code === 'Error');
    return unbound(anyError ? 'SchedulerError' : 'Unschedulable', unavailableMessage(devices.length, rejections), rejections);
  }

  function pickBest(ctx: CycleContext, pod: Pod, feasible: DeviceSnapshot[]): ScheduleResult {
    if (totals.length < feasible.length) totals = new Float64Array(feasible.length);
    totals.fill(0, 0, feasible.length);
    for (const { plugin, weight } of profile.scores) {
      const failure = scoreInto(totals, weight, plugin, ctx, pod, feasible);
      if (failure !== undefined) return scoringFailed(failure, feasible);
    }
    let best = 0;
    for (let i = 1; i < feasible.length; i++) {
      const score = totals[i] as number;
      const bestScore = totals[best] as number;
      if (score > bestScore || (score === bestScore && preferredOnTie(feasible[i] as DeviceSnapshot, feasible[best] as DeviceSnapshot))) {
        best = i;
      }
    }
    return { bound: true, device: (feasible[best] as DeviceSnapshot).name, score: totals[best] as number };
  }

  /** The plugin's score list for this cycle, `length` long, its entries reused from earlier cycles. */
  function scratchScores(plugin: ScorePlugin, length: number): ScratchScore[] {
    let lists = scratch.get(plugin);
    if (lists === undefined) {
      lists = { pool: [], list: [] };
      scratch.set(plugin, lists);
    }
    const { pool, list } = lists;
    while (pool.length < length) pool.push({ device: '', score: 0 });
    list.length = 0;
    for (let i = 0; i < length; i++) list.push(pool[i] as ScratchScore);
    return list;
  }

  /** Adds the plugin's weighted scores to `totals`; returns the failure when the plugin breaks. */
  function scoreInto(
    totals: Float64Array,
    weight: number,
    plugin: ScorePlugin,
    ctx: CycleContext,
    pod: Pod,
    feasible: DeviceSnapshot[],
  ): ScoringFailure | undefined {
    let current: DeviceSnapshot | undefined;
    try {
      if (plugin.normalize === undefined) {
        for (let i = 0; i < feasible.length; i++) {
          current = feasible[i] as DeviceSnapshot;
          totals[i] = (totals[i] as number) + weight * checkedScore(plugin.score(ctx, pod, current));
        }
        return undefined;
      }
      const scores = scratchScores(plugin, feasible.length);
      for (let i = 0; i < feasible.length; i++) {
        current = feasible[i] as DeviceSnapshot;
        const entry = scores[i] as ScratchScore;
        entry.device = current.name;
        entry.score = plugin.score(ctx, pod, current);
      }
      current = undefined;
      plugin.normalize(scores);
      for (let i = 0; i < feasible.length; i++) {
        const entry = scores[i] as ScratchScore;
        current = feasible[i] as DeviceSnapshot;
        if (entry.device !== current.name) throw new Error('normalize reordered or replaced the scores');
        totals[i] = (totals[i] as number) + weight * checkedScore(entry.score);
      }
      return undefined;
    } catch (error) {
      return { device: current?.name, plugin: plugin.name, status: Status.error(error) };
    }
  }

  return { schedule };
}

/** A DeviceScore the framework refills each cycle rather than allocating anew. */
interface ScratchScore extends DeviceScore {
  device: string;
}

function runFilter(plugin: FilterPlugin, ctx: CycleContext, pod: Pod, device: DeviceSnapshot): Status {
  let status: unknown;
  try {
    status = plugin.filter(ctx, pod, device);
  } catch (error) {
    return Status.error(error);
  }
  if (!(status instanceof Status)) return Status.error(`returned ${String(status)} instead of a Status`);
  return status.code === 'Skip' ? Status.error('returned Skip, which only a pre-filter may') : status;
}

function checkedScore(score: number | undefined): number {
  if (typeof score !== 'number' || !(score >= MIN_SCORE && score <= MAX_SCORE)) {
    throw new Error(`score ${String(score)} is outside ${MIN_SCORE}..${MAX_SCORE}`);
  }
  return score;
}

/** Among equal scores the device with fewer pods wins, then the first by name: repeatable, and still spreading. */
function preferredOnTie(candidate: DeviceSnapshot, best: DeviceSnapshot): boolean {
  if (candidate.requested.pods !== best.requested.pods) return candidate.requested.pods < best.requested.pods;
  return candidate.name < best.name;
}

function feasibleToFind(total: number, percentage: number): number {
  if (total < MIN_FEASIBLE_TO_FIND || percentage >= 100) return total;
  let share = percentage;
  if (share <= 0) share = Math.max(MIN_PERCENTAGE, BASE_PERCENTAGE - Math.trunc(total / ADAPTIVE_DEVICES_PER_PERCENT));
  return Math.max(MIN_FEASIBLE_TO_FIND, Math.trunc((total * share) / 100));
}

interface ScoringFailure {
  plugin: string;
  status: Status;
  /** The device being scored when the plugin broke; undefined when normalizing broke. */
  device: string | undefined;
}

function scoringFailed({ plugin, status, device }: ScoringFailure, feasible: readonly DeviceSnapshot[]): ScheduleResult {
  const where = device === undefined ? '' : ` on device ${device}`;
  const message = `scoring failed in plugin ${plugin}${where}: ${status.reasons.join(', ')}`;
  const names = device === undefined ? feasible.map((d) => d.name) : [device];
  return unbound('SchedulerError', message, names.map((name) => ({ device: name, plugin, status })));
}

function rejectedUpFront(total: number, devices: readonly DeviceSnapshot[], plugin: string, status: Status): ScheduleResult {
  const rejections = devices.map((device) => ({ device: device.name, plugin, status }));
  return unbound(status.code === 'Error' ? 'SchedulerError' : 'Unschedulable', rejectedMessage(total, plugin, status), rejections);
}

function unbound(reason: 'Unschedulable' | 'SchedulerError', message: string, rejections: readonly Rejection[]): ScheduleResult {
  const diagnosis = rejections
    .map(({ device, plugin, status }) => ({ device, plugin, code: status.code, reasons: [...status.reasons] }))
    .sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  return { bound: false, reason, message, diagnosis };
}
