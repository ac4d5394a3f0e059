/**
 * Device conditions: keeps `status.conditions` of every Device in step with its state (Ready)
 * and with the figures of its heartbeats (MemoryPressure, DiskPressure, HighTemperature),
 * by the rule in pressure.ts and the thresholds in thresholds.ts.
 *
 * Heartbeats are kept in memory by the device lifecycle controller; this one looks at each as
 * it arrives, against the device as last stored, and enqueues the device only when a
 * condition would change, so the store is written on transitions alone. A transition to
 * pressure is recorded as a Warning on the Device, the end of one as a Normal event.
 */
import type { Logger } from '../../../shared/log.js';
import { referenceTo, type Device, type DeviceHealthThresholds, type DeviceUsage } from '../../../shared/objects.js';
import type { Store, WatchEvent } from '../../store/store.js';
import type { Controller } from '../controller.js';
import type { EventSink } from '../events.js';
import { nextConditions, type ConditionTransition, type ConditionUpdate } from './pressure.js';
import { effectiveThresholds } from './thresholds.js';

export interface DeviceConditionsOptions {
  store: Store;
  events: EventSink;
  log: Logger;
  /** The figures of the device's last heartbeat, as the hub keeps them in memory. */
  usage(device: string): DeviceUsage | undefined;
  /** The hub's thresholds for what devices leave out; the defaults for what these leave out. */
  thresholds?: DeviceHealthThresholds;
  /** Called after a device's conditions were written. */
  onDeviceChanged?: (device: Device) => void;
  now?: () => number;
}

/** Events for the pressure conditions: a Warning when one begins, a Normal event when it ends. */
const PRESSURE_EVENTS = {
  MemoryPressure: { begins: 'device is under memory pressure', ends: 'NoMemoryPressure' },
  DiskPressure: { begins: 'device is under disk pressure', ends: 'NoDiskPressure' },
  HighTemperature: { begins: 'device is too hot', ends: 'TemperatureNormal' },
} as const;

export class DeviceConditionsController implements Controller {
  readonly name = 'device-conditions';
  readonly watches = ['Device'] as const;
  /** As the lifecycle controller: writes issued together share their flush to disk. */
  readonly concurrency = 8;
  readonly #options: DeviceConditionsOptions;
  /** Each device as last stored, to judge a heartbeat without reading the store. */
  readonly #devices = new Map<string, Device>();
  #enqueue: (key: string) => void = () => undefined;

  constructor(options: DeviceConditionsOptions) {
    this.#options = options;
  }

  /** Wires the controller to its work queue. */
  attach(enqueue: (key: string) => void): void {
    this.#enqueue = enqueue;
  }

  /** A heartbeat from the device arrived: enqueues it if one of its conditions changes. */
  observe(name: string): void {
    const device = this.#devices.get(name);
    if (device !== undefined && this.#update(device)?.changed === true) this.#enqueue(name);
  }

  keysFor(event: WatchEvent): string[] {
    if (event.object.kind !== 'Device') return [];
    const device = event.object as Device;
    const name = device.metadata.name;
    if (event.type === 'DELETED') {
      this.#devices.delete(name);
      return [];
    }
    this.#devices.set(name, device);
    return this.#update(device)?.changed === true ? [name] : [];
  }

  async initialKeys(): Promise<string[]> {
    const { items } = await this.#options.store.list('Device');
    for (const device of items) this.#devices.set(device.metadata.name, device);
    return items.map((device) => device.metadata.name);
  }

  async reconcile(name: string): Promise<void> {
    const { store, log } = this.#options;
    const stored = await store.get('Device', undefined, name);
    const update = stored === undefined ? undefined : this.#update(stored);
    if (stored?.status === undefined || update === undefined || !update.changed) return;
    // A conflict (the lifecycle controller wrote the device meanwhile) throws: the key is retried.
    const written = await store.update({ ...stored, status: { ...stored.status, conditions: update.conditions } });
    this.#devices.set(name, written);
    for (const transition of update.transitions) this.#record(written, transition);
    log.debug({ device: name, conditions: update.conditions.map((c) => `${c.type}=${c.status}`).join(',') }, 'device conditions changed');
    this.#options.onDeviceChanged?.(written);
  }

  /**
   * The device with its conditions brought in step, for a writer about to store it anyway:
   * the lifecycle controller, on a change of state, writes the Ready condition with it, so a
   * fleet coming back costs one write per device rather than two racing for the same object.
   * Call `written` with what was stored, to record the transitions.
   */
  withConditions(device: Device): { device: Device; written: (stored: Device) => void } {
    const update = this.#update(device);
    if (update === undefined || !update.changed || device.status === undefined) return { device, written: () => undefined };
    return {
      device: { ...device, status: { ...device.status, conditions: update.conditions } },
      written: (stored) => {
        this.#devices.set(stored.metadata.name, stored);
        for (const transition of update.transitions) this.#record(stored, transition);
      },
    };
  }

  /** The device's conditions as they should be now; undefined for a device with no status yet. */
  #update(device: Device): ConditionUpdate | undefined {
    const status = device.status;
    if (status === undefined) return undefined;
    const now = new Date((this.#options.now ?? Date.now)()).toISOString();
    const input = {
      state: status.state,
      usage: this.#options.usage(device.metadata.name),
      thresholds: effectiveThresholds(status.info?.health, this.#options.thresholds),
      ...(status.message === undefined ? {} : { stateMessage: status.message }),
    };
    return nextConditions(status.conditions, input, now);
  }

  #record(device: Device, transition: ConditionTransition): void {
    if (transition.type === 'Ready') return; // the lifecycle controller records state changes
    const { condition } = transition;
    const words = PRESSURE_EVENTS[transition.type];
    if (condition.status === 'True') {
      this.#options.events.record(referenceTo(device), 'Warning', transition.type, `${words.begins}: ${condition.message ?? ''}`);
    } else if (condition.status === 'False' && transition.from === 'True') {
      this.#options.events.record(referenceTo(device), 'Normal', words.ends, condition.message ?? '');
    }
  }
}
