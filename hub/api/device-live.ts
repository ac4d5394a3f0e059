import type { AnyObject, Device, DeviceStatus } from '../../shared/objects.js';

/** What the hub knows of a device from its last messages, beyond what the store holds. */
export type DeviceLiveStatus = Partial<Pick<DeviceStatus, 'usage' | 'lastSeen' | 'podCount' | 'observedGeneration' | 'desiredGeneration'>>;

export type LiveStatusLookup = (name: string) => DeviceLiveStatus | undefined;

/**
 * Heartbeat figures and the time a device was last heard from live in the hub's memory, not
 * in the store (they change every few seconds), so reads merge them in. A device that never
 * reported a status gets none.
 */
export function withLiveStatus<T extends AnyObject>(object: T, liveOf: LiveStatusLookup): T {
  if (object.kind !== 'Device') return object;
  const device = object as Device;
  const live = liveOf(device.metadata.name);
  if (live === undefined || device.status === undefined) return object;
  return { ...device, status: { ...device.status, ...live } } as T;
}
