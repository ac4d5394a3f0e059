/**
 * Fleet health for people and third-party MQTT tools, as JSON: one retained document per
 * device on `{prefix}/fleet/devices/{name}` and every event on `{prefix}/fleet/events`.
 * A device's document is republished when its state changes, and with fresh figures at most
 * once a minute, so watching the fleet costs the hub little at 10,000 devices.
 */
import type { Device, DeviceUsage, FlotillaEvent } from '../../shared/objects.js';
import type { Topics } from '../../shared/topics.js';
import type { DeviceLive } from '../controllers/device-lifecycle/index.js';
import type { Store } from '../store/store.js';

export interface FleetDeviceHealth {
  name: string;
  state: string;
  message?: string;
  labels: Record<string, string>;
  lastSeen?: string;
  usage?: DeviceUsage;
  runningPods?: number;
}

/** `null` clears a retained topic. */
export type JsonPublish = (topic: string, value: unknown, retain: boolean) => void;

const REFRESH_MS = 60_000;

export class FleetTopics {
  readonly #topics: Topics;
  readonly #store: Store;
  readonly #live: (name: string) => DeviceLive | undefined;
  readonly #publish: JsonPublish;
  readonly #lastSent = new Map<string, number>();

  constructor(options: { topics: Topics; store: Store; live: (name: string) => DeviceLive | undefined; publish: JsonPublish }) {
    this.#topics = options.topics;
    this.#store = options.store;
    this.#live = options.live;
    this.#publish = options.publish;
  }

  deviceChanged(device: Device): void {
    const name = device.metadata.name;
    const live = this.#live(name);
    const health: FleetDeviceHealth = {
      name,
      state: device.status?.state ?? 'NotReady',
      labels: device.metadata.labels ?? {},
    };
    if (device.status?.message) health.message = device.status.message;
    const lastSeen = live?.lastSeen ?? device.status?.lastSeen;
    if (lastSeen) health.lastSeen = lastSeen;
    if (live?.usage) health.usage = live.usage;
    if (live?.podCount !== undefined) health.runningPods = live.podCount;
    this.#lastSent.set(name, Date.now());
    this.#publish(this.#topics.fleetDevice(name), health, true);
  }

  /** After a heartbeat: republish only when the device's document is older than a minute. */
  async heartbeat(name: string): Promise<void> {
    const last = this.#lastSent.get(name) ?? 0;
    if (Date.now() - last < REFRESH_MS) return;
    this.#lastSent.set(name, Date.now());
    const device = await this.#store.get('Device', undefined, name);
    if (device) this.deviceChanged(device);
  }

  /** Every device's retained health document again, for a broker that lost them. */
  async republishAll(): Promise<void> {
    const { items } = await this.#store.list('Device');
    for (const device of items) this.deviceChanged(device);
  }

  deviceRemoved(name: string): void {
    this.#lastSent.delete(name);
    this.#publish(this.#topics.fleetDevice(name), null, true);
  }

  event(event: FlotillaEvent): void {
    this.#publish(
      this.#topics.fleetEvents(),
      {
        type: event.type,
        reason: event.reason,
        message: event.message,
        object: event.involvedObject,
        count: event.count,
        time: event.lastTimestamp,
      },
      false,
    );
  }
}
