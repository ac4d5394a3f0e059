import type { AnyObject, Device, DeviceUsage } from '../../shared/objects.js';

export type UsageLookup = (name: string) => DeviceUsage | undefined;

/**
 * Heartbeat figures live in the hub's memory, not in the store (they change every few
 * seconds), so reads merge them in. A device that never reported a status gets none.
 */
export function withUsage<T extends AnyObject>(object: T, usageOf: UsageLookup): T {
  if (object.kind !== 'Device') return object;
  const device = object as Device;
  const usage = usageOf(device.metadata.name);
  if (usage === undefined || device.status === undefined) return object;
  return { ...device, status: { ...device.status, usage } } as T;
}
