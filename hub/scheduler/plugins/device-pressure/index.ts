/**
 * device-pressure: keeps new pods off a device under memory or disk pressure or too hot, as
 * Kubernetes keeps them off a node with MemoryPressure or DiskPressure. The conditions are
 * the Device's own (`status.conditions`, see controllers/device-conditions/), True once a
 * heartbeat figure reached its threshold and until it falls a margin below it. Pods already
 * on the device stay: this is about what else to put there.
 *
 * The refusal is Unschedulable, not unresolvable: pressure passes, and the pod is placed when
 * it does. Conditions do not depend on the pod, so the pre-filter works out the devices
 * without pressure once per fleet snapshot, and skips the plugin when there are none.
 */
import type { Device } from '../../../../shared/objects.js';
import { activePressures, type PressureType } from '../../../controllers/device-conditions/pressure.js';
import { preFilterResult, Status, type FilterPlugin, type PreFilterResult, type Reason } from '../../framework.js';
import type { FleetSnapshot } from '../../snapshot.js';

export const NAME = 'device-pressure';

/** What each pressure reads as in the "why not placed" line: "3 are under memory pressure". */
const SUMMARIES: Readonly<Record<PressureType, string | undefined>> = {
  MemoryPressure: 'device is under memory pressure',
  DiskPressure: 'device is under disk pressure',
  HighTemperature: 'device is too hot',
};

export function create() {
  const answers = new WeakMap<FleetSnapshot, PreFilterResult | Status>();
  return {
    name: NAME,
    preFilter({ fleet }) {
      let answer = answers.get(fleet);
      if (answer === undefined) {
        answer = devicesWithoutPressure(fleet);
        answers.set(fleet, answer);
      }
      return answer;
    },
    filter(_ctx, _pod, { device }) {
      return pressureOf(device);
    },
  } satisfies FilterPlugin;
}

function devicesWithoutPressure(fleet: FleetSnapshot): PreFilterResult | Status {
  const indexes: number[] = [];
  for (const { index, device } of fleet.devices) if (pressureOf(device).isSuccess()) indexes.push(index);
  return indexes.length === fleet.devices.length ? Status.skip() : preFilterResult(indexes, { exact: true });
}

/** Success, or Unschedulable with every pressure the device is under, each with its figure. */
export function pressureOf(device: Device): Status {
  const pressures = activePressures(device.status?.conditions);
  if (pressures.length === 0) return Status.success();
  const reasons: Reason[] = [];
  for (const condition of pressures) {
    // A condition type this hub does not know (a hand-edited object) keeps no pod off.
    const summary = SUMMARIES[condition.type as PressureType];
    if (summary === undefined) continue;
    reasons.push({ reason: condition.message ? `${summary} (${condition.message})` : summary, summary });
  }
  return reasons.length === 0 ? Status.success() : Status.unschedulable(...reasons);
}
