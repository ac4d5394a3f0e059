/**
 * Fleet health for people and third-party MQTT tools, as versioned JSON (shared/fleet.ts):
 * a retained summary on `{prefix}/fleet/summary`, a retained document per device on
 * `{prefix}/fleet/devices/{name}`, and every event on `{prefix}/fleet/events`.
 *
 * What is published follows the hub's caches, never a list of the store:
 * - a device's document goes out at once when the Device changes (state, labels, cordon,
 *   conditions: what a watcher must not learn late), within `deviceIntervalMs` when the
 *   phases of its pods move, and with fresh heartbeat figures every `refreshMs`;
 * - the summary goes out when its counts move, at most once per `summaryIntervalMs`.
 * At 10,000 devices with their heartbeats that is a few hundred small messages a second.
 */
import type { FlotillaEvent } from '../../shared/objects.js';
import type { Topics } from '../../shared/topics.js';
import type { LiveStatusLookup } from '../api/device-live.js';
import { Informer } from '../controllers/informer.js';
import type { PodInformer } from '../controllers/pods.js';
import type { Store } from '../store/store.js';
import { DEFAULT_GROUP_LABELS, FleetCounts, type Workload } from './fleet-counts.js';
import { deviceHealth, fleetEvent } from './fleet-documents.js';

/** `null` clears a retained topic. */
export type JsonPublish = (topic: string, value: unknown, retain: boolean) => void;

export interface FleetTopicsOptions {
  topics: Topics;
  store: Store;
  /** The hub's Device and Pod caches. */
  devices: Informer<'Device'>;
  pods: PodInformer;
  /** Heartbeat figures, last contact and generations the hub keeps in memory. */
  live: LiveStatusLookup;
  publish: JsonPublish;
  /** Label keys whose values the summary counts devices by; default `site`. */
  groupLabels?: readonly string[];
  summaryIntervalMs?: number;
  deviceIntervalMs?: number;
  refreshMs?: number;
  now?: () => number;
}

/** A burst of changes (a rollout, a fleet reconnecting) goes out as one summary. */
const BATCH_MS = 100;
const SUMMARY_INTERVAL_MS = 2_000;
const DEVICE_INTERVAL_MS = 5_000;
/** About the hub's default NotReady threshold: a Ready device's lastSeen is never older than that. */
const REFRESH_MS = 30_000;

export class FleetTopics {
  readonly counts: FleetCounts;
  readonly #options: FleetTopicsOptions;
  readonly #deployments: Informer<'Deployment'>;
  readonly #daemonSets: Informer<'DaemonSet'>;
  /** When each device's document was last sent. */
  readonly #lastSent = new Map<string, number>();
  /** Devices whose document waits for the next deferred round. */
  readonly #deferred = new Set<string>();
  #deferredTimer: NodeJS.Timeout | undefined;
  #summaryTimer: NodeJS.Timeout | undefined;
  #summarySentAt = 0;
  #started = false;
  #stopped = false;

  constructor(options: FleetTopicsOptions) {
    this.#options = options;
    this.counts = new FleetCounts(options.groupLabels ?? DEFAULT_GROUP_LABELS);
    this.#deployments = new Informer(options.store, 'Deployment', {});
    this.#daemonSets = new Informer(options.store, 'DaemonSet', {});
  }

  /**
   * Counts what the caches hold, follows their changes from there, and publishes every
   * device's document and the summary: a broker that started with the hub has none retained.
   */
  async start(): Promise<void> {
    const { devices, pods } = this.#options;
    await Promise.all([devices.start(), pods.start(), this.#deployments.start(), this.#daemonSets.start()]);
    // Counted and subscribed in one turn: no change can fall between the two.
    for (const device of devices.list()) this.counts.deviceChanged(device.metadata.name, device);
    for (const pod of pods.list()) this.counts.podChanged(undefined, pod);
    for (const workload of [...this.#deployments.list(), ...this.#daemonSets.list()]) this.counts.workloadChanged(workload, false);
    devices.onChange((event) => {
      if (this.#stopped) return;
      const name = event.object.metadata.name;
      const gone = event.type === 'DELETED';
      if (this.counts.deviceChanged(name, gone ? undefined : event.object)) this.#summaryChanged();
      if (gone) this.#deviceRemoved(name);
      else this.#publishDevice(name);
    });
    pods.onChange((event, previous) => {
      if (this.#stopped) return;
      const { changed, devices: touched } = this.counts.podChanged(previous, event.type === 'DELETED' ? undefined : event.object);
      if (!changed) return;
      this.#summaryChanged();
      for (const device of touched) this.#defer(device);
    });
    const workloadChanged = (event: { type: string; object: Workload }) => {
      if (!this.#stopped && this.counts.workloadChanged(event.object, event.type === 'DELETED')) this.#summaryChanged();
    };
    this.#deployments.onChange(workloadChanged);
    this.#daemonSets.onChange(workloadChanged);
    this.#started = true;
    this.republishAll();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#deferredTimer);
    clearTimeout(this.#summaryTimer);
    this.#deployments.stop();
    this.#daemonSets.stop();
  }

  /** After a heartbeat: the device's document again once its figures are `refreshMs` old. */
  heartbeat(name: string): void {
    if (!this.#started || this.#stopped) return;
    if (this.#now() - (this.#lastSent.get(name) ?? 0) < (this.#options.refreshMs ?? REFRESH_MS)) return;
    this.#publishDevice(name);
  }

  /** Every retained document again, for a broker that lost them. */
  republishAll(): void {
    if (!this.#started || this.#stopped) return;
    for (const device of this.#options.devices.list()) this.#publishDevice(device.metadata.name);
    this.#publishSummary();
  }

  event(event: FlotillaEvent): void {
    if (this.#stopped) return;
    const payload = fleetEvent(event, (namespace, name) => this.#options.pods.get(namespace, name)?.spec.nodeName);
    this.#options.publish(this.#options.topics.fleetEvents(), payload, false);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #publishDevice(name: string): void {
    const device = this.#options.devices.get(undefined, name);
    if (device === undefined) return;
    const now = this.#now();
    this.#deferred.delete(name);
    this.#lastSent.set(name, now);
    const health = deviceHealth(device, this.#options.live(name), this.counts.devicePods(name), now);
    this.#options.publish(this.#options.topics.fleetDevice(name), health, true);
  }

  #deviceRemoved(name: string): void {
    this.#lastSent.delete(name);
    this.#deferred.delete(name);
    this.#options.publish(this.#options.topics.fleetDevice(name), null, true);
  }

  /** The device's document within `deviceIntervalMs`, with every change until then in it. */
  #defer(name: string): void {
    this.#deferred.add(name);
    this.#deferredTimer ??= setTimeout(() => {
      this.#deferredTimer = undefined;
      for (const device of [...this.#deferred]) this.#publishDevice(device);
    }, this.#options.deviceIntervalMs ?? DEVICE_INTERVAL_MS);
    this.#deferredTimer.unref();
  }

  #summaryChanged(): void {
    if (!this.#started || this.#summaryTimer !== undefined) return;
    const interval = this.#options.summaryIntervalMs ?? SUMMARY_INTERVAL_MS;
    const delay = Math.max(BATCH_MS, this.#summarySentAt + interval - this.#now());
    this.#summaryTimer = setTimeout(() => this.#publishSummary(), delay);
    this.#summaryTimer.unref();
  }

  #publishSummary(): void {
    clearTimeout(this.#summaryTimer);
    this.#summaryTimer = undefined;
    if (this.#stopped) return;
    this.#summarySentAt = this.#now();
    this.#options.publish(this.#options.topics.fleetSummary(), this.counts.summary(this.#summarySentAt), true);
  }
}
