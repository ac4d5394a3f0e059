/**
 * The scheduler's judgement of a daemon pod on its device, from the same filter plugins that
 * place every other pod, asked two questions:
 *
 * - does the device select the pod at all: its labels (device-selector) and the architecture
 *   and OS it reports (device-platform). A device that does not is not one the DaemonSet
 *   should run on, and is not counted in desiredNumberScheduled;
 * - does the pod fit there now, by the hub's other filters (resources left after the
 *   device's other pods, pods per device...). A device where it does not is counted but gets
 *   no pod until it does, with a FailedPlacement Warning, as Kubernetes' DaemonSet controller
 *   did before the default scheduler placed daemon pods.
 *
 * Filters about whether a device takes pods at all (ready, cordoned, tainted, under pressure)
 * are left out: a daemon pod goes onto its device whatever they say (see placement.ts).
 *
 * Each device is asked about in a snapshot of its own, holding only the pods that stay
 * there, so a pod that does not fit is explained by that device alone rather than by a search
 * through the fleet.
 */
import type { Device, Pod } from '../../../shared/objects.js';
import { DEFAULT_FILTERS, type SchedulerConfig } from '../../scheduler/config.js';
import * as devicePlatform from '../../scheduler/plugins/device-platform/index.js';
import * as devicePressure from '../../scheduler/plugins/device-pressure/index.js';
import * as deviceReady from '../../scheduler/plugins/device-ready/index.js';
import * as deviceSelector from '../../scheduler/plugins/device-selector/index.js';
import * as nodeName from '../../scheduler/plugins/node-name/index.js';
import * as taintToleration from '../../scheduler/plugins/taint-toleration/index.js';
import { createScheduler, snapshotFleet, type Scheduler } from '../../scheduler/schedule.js';

/** The filters that say which devices a pod asks for: they decide where a DaemonSet runs. */
export const SELECTION_FILTERS: readonly string[] = [deviceSelector.NAME, devicePlatform.NAME];

/**
 * Filters about the device's state, which daemon pods ignore (Kubernetes' daemon pods
 * tolerate not-ready, unreachable, unschedulable and memory and disk pressure); and
 * node-name, which the pods' own nodeName satisfies.
 */
export const IGNORED_FILTERS: ReadonlySet<string> = new Set([deviceReady.NAME, taintToleration.NAME, devicePressure.NAME, nodeName.NAME]);

/** The scheduler configuration for the fit of daemon pods: the hub's other filters, and no scores. */
export function daemonFitConfig(config: SchedulerConfig = {}): SchedulerConfig {
  const filters = (config.filters ?? DEFAULT_FILTERS).filter((name) => !IGNORED_FILTERS.has(name) && !SELECTION_FILTERS.includes(name));
  const pluginArgs: Record<string, unknown> = {};
  for (const [name, args] of Object.entries(config.pluginArgs ?? {})) if (filters.includes(name)) pluginArgs[name] = args;
  return { filters, scores: [], pluginArgs };
}

export class DaemonScheduling {
  readonly #selection: Scheduler;
  readonly #fit: Scheduler;

  constructor(config?: SchedulerConfig) {
    this.#selection = createScheduler({ filters: [...SELECTION_FILTERS], scores: [] });
    this.#fit = createScheduler(daemonFitConfig(config));
  }

  /** Undefined when the device is one the pod asks for; otherwise why not, in one line. */
  selects(pod: Pod, device: Device): string | undefined {
    return answer(this.#selection, pod, device, []);
  }

  /** Undefined when `pod` fits on `device` beside `others`, the pods that stay there; otherwise why not. */
  fits(pod: Pod, device: Device, others: readonly Pod[]): string | undefined {
    return answer(this.#fit, pod, device, others);
  }
}

function answer(scheduler: Scheduler, pod: Pod, device: Device, others: readonly Pod[]): string | undefined {
  const result = scheduler.schedule(pod, snapshotFleet([device], others));
  if (result.bound) return undefined;
  const reasons = result.diagnosis.find((d) => d.device === device.metadata.name)?.reasons ?? [];
  return reasons.length > 0 ? reasons.join('; ') : result.message;
}
