/**
 * device-ready: only devices that are Ready and not cordoned take new pods. A device that
 * stopped sending heartbeats is NotReady, then Offline; `flotilla cordon` sets
 * spec.unschedulable to drain a device by hand.
 */
import type { Device } from '../../../../shared/objects.js';
import { Status, type FilterPlugin } from '../../framework.js';

export const NAME = 'device-ready';

const NOT_CONNECTED = Status.unresolvable('device has not connected yet');
const NOT_READY = Status.unresolvable('device is NotReady');
const OFFLINE = Status.unresolvable('device is Offline');
const CORDONED = Status.unresolvable('device is cordoned');

export function create() {
  return {
    name: NAME,
    filter(_ctx, _pod, { device }) {
      return readiness(device);
    },
  } satisfies FilterPlugin;
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
