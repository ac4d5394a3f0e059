/**
 * device-ready: only devices that are Ready and not cordoned take new pods. A device that
 * stopped sending heartbeats is NotReady, then Offline; `flotilla cordon` sets
 * spec.unschedulable to drain a device by hand.
 *
 * Readiness does not depend on the pod, so the pre-filter works out the ready devices once
 * per fleet snapshot and hands every pod the same list.
 */
import type { Device } from '../../../../shared/objects.js';
import { preFilterResult, Status, type FilterPlugin, type PreFilterResult } from '../../framework.js';
import type { FleetSnapshot } from '../../snapshot.js';

export const NAME = 'device-ready';

const NOT_CONNECTED = Status.unresolvable('device has not connected yet');
const NOT_READY = Status.unresolvable('device is NotReady');
const OFFLINE = Status.unresolvable('device is Offline');
const CORDONED = Status.unresolvable('device is cordoned');

export function create() {
  const ready = new WeakMap<FleetSnapshot, PreFilterResult | Status>();
  return {
    name: NAME,
    preFilter({ fleet }) {
      let answer = ready.get(fleet);
      if (answer === undefined) {
        answer = readyDevices(fleet);
        ready.set(fleet, answer);
      }
      return answer;
    },
    filter(_ctx, _pod, { device }) {
      return readiness(device);
    },
  } satisfies FilterPlugin;
}

/** The devices that take pods, as an exact pre-filter result; Skip when every device does. */
function readyDevices(fleet: FleetSnapshot): PreFilterResult | Status {
  const indexes: number[] = [];
  for (const { index, device } of fleet.devices) if (readiness(device).isSuccess()) indexes.push(index);
  return indexes.length === fleet.devices.length ? Status.skip() : preFilterResult(indexes, { exact: true });
}

function readiness(device: Device): Status {
  switch (device.status?.state) {
    case undefined:
      return NOT_CONNECTED;
    case 'NotReady':
      return NOT_READY;
    case 'Offline':
      return OFFLINE;
    case 'Ready':
      return device.spec?.unschedulable === true ? CORDONED : Status.success();
    default:
      // A state this hub does not know, from a newer agent or a hand-edited object.
      return Status.unresolvable(`device is ${String(device.status?.state)}`);
  }
}
