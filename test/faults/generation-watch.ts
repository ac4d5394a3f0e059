/**
 * Follows, on the broker itself, the desired-state generation the hub publishes for each
 * device and the generation each device says it has applied (its status reports and births).
 * A device whose applied generation equals its desired one has every update the hub sent it:
 * what makes "converged, no update lost" checkable across a broker restart.
 */
import mqtt from 'mqtt';
import type { Test } from 'tap';
import { decode } from '../../shared/proto/codec.js';
import { Topics } from '../../shared/topics.js';

export interface GenerationWatch {
  /** The last desired generation seen for the device. */
  desired(device: string): number | undefined;
  /** The last generation the device reported as applied. */
  applied(device: string): number | undefined;
  /** Devices among these whose applied generation is not their desired one, with both. */
  behind(devices: readonly string[]): string[];
}

export async function watchGenerations(t: Test, url: string, topics: Topics = new Topics()): Promise<GenerationWatch> {
  const desired = new Map<string, number>();
  const applied = new Map<string, number>();
  // Reconnects by itself and subscribes again after the broker's restart, as any MQTT tool would.
  const client = await mqtt.connectAsync(url, { clientId: `fault-watch-${process.pid}`, clean: true, reconnectPeriod: 500 });
  t.teardown(() => client.endAsync(true));
  client.on('message', (topic, payload) => {
    const target = topics.parseDevice(topic);
    if (target === undefined) return;
    const { device, channel } = target;
    try {
      if (channel === 'desired' && payload.length > 0) desired.set(device, decode('DesiredState', payload).generation);
      if (channel === 'status') applied.set(device, decode('StatusReport', payload).observedGeneration);
      if (channel === 'birth') {
        const status = decode('Birth', payload).status;
        if (status !== undefined && status !== null) applied.set(device, status.observedGeneration);
      }
    } catch {
      // Not ours to judge here: the hub counts malformed messages.
    }
  });
  await client.subscribeAsync({
    [topics.everyDevice('desired')]: { qos: 1 },
    [topics.everyDevice('status')]: { qos: 1 },
    [topics.everyDevice('birth')]: { qos: 1 },
  });
  return {
    desired: (device) => desired.get(device),
    applied: (device) => applied.get(device),
    behind: (devices) =>
      devices.flatMap((device) => {
        const want = desired.get(device);
        const have = applied.get(device);
        return want !== undefined && want === have ? [] : [`${device}: desired ${want ?? 'none seen'}, applied ${have ?? 'none reported'}`];
      }),
  };
}

/**
 * The devices whose desired state the broker holds as a retained message now, as a device
 * that subscribes afresh (a new device, or one whose local state was wiped) would get it.
 * Retained messages come at once on subscribing; `windowMs` bounds the wait for them.
 */
export async function retainedDesired(url: string, devices: readonly string[], topics: Topics = new Topics(), windowMs = 2_000): Promise<Set<string>> {
  const wanted = new Set(devices);
  const found = new Set<string>();
  const client = await mqtt.connectAsync(url, { clientId: `fault-retained-${process.pid}`, clean: true, reconnectPeriod: 0 });
  try {
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    client.on('message', (topic, payload, packet) => {
      const device = topics.parseDevice(topic)?.device;
      if (!packet.retain || payload.length === 0 || device === undefined || !wanted.has(device)) return;
      found.add(device);
      if (found.size === wanted.size) done();
    });
    await client.subscribeAsync(topics.everyDevice('desired'), { qos: 1 });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, windowMs)))]);
    clearTimeout(timer);
  } finally {
    await client.endAsync(true);
  }
  return found;
}
