/**
 * The eviction controller: once a device has been Offline longer than a pod on it tolerates,
 * deletes the pod (if a Deployment controls it; see plan.ts for which pods stay) and records
 * an Evicted Warning naming the device and how long it was offline. The Deployment controller
 * makes a replacement and the scheduler puts it on a Ready device.
 *
 * Keys are device names. A device is reconciled when it changes (goes Offline, comes back)
 * and again when the next pod's toleration runs out. When the device returns, its desired
 * state no longer holds the evicted pods, so its agent removes their containers and leaves
 * the rest running.
 */
import { hasCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { referenceTo } from '../../../shared/objects.js';
import type { Store, WatchEvent } from '../../store/store.js';
import type { Controller } from '../controller.js';
import type { EventSink } from '../events.js';
import { Informer } from '../informer.js';
import { podInformer, type PodInformer } from '../pods.js';
import { evictionMessage, offlineSince, planEvictions, type Eviction } from './plan.js';

export const EVICTED_REASON = 'Evicted';

export interface EvictionControllerOptions {
  store: Store;
  events: EventSink;
  log: Logger;
  /**
   * How long after the hub starts no pod is evicted: a device that came back while the hub
   * was down needs a moment to reach it again. The hub passes its offline threshold, the time
   * it gives any silent device.
   */
  startGraceMs: number;
  /** The hub's shared pod cache; one of its own otherwise. */
  pods?: PodInformer;
  /** The hub's device cache; one of its own otherwise. */
  devices?: Informer<'Device'>;
  now?: () => number;
}

export class EvictionController implements Controller {
  readonly name = 'eviction';
  readonly watches = ['Device', 'Pod'] as const;
  readonly #options: EvictionControllerOptions;
  readonly #pods: PodInformer;
  readonly #devices: Informer<'Device'>;
  readonly #ownsDevices: boolean;
  readonly #notBefore: number;

  constructor(options: EvictionControllerOptions) {
    this.#options = options;
    this.#pods = options.pods ?? podInformer(options.store);
    this.#ownsDevices = options.devices === undefined;
    this.#devices = options.devices ?? new Informer(options.store, 'Device', {});
    this.#notBefore = this.#now() + options.startGraceMs;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  keysFor(event: WatchEvent): string[] {
    const object = event.object;
    if (object.kind === 'Device') return event.type === 'DELETED' ? [] : [object.metadata.name];
    // A pod that arrives on (or changes on) an Offline device has its own toleration to keep;
    // pods on devices that are not Offline, nearly every pod report, cost nothing here.
    if (object.kind === 'Pod' && event.type !== 'DELETED' && object.spec.nodeName !== undefined) {
      const device = this.#devices.get(undefined, object.spec.nodeName);
      if (device !== undefined && offlineSince(device) !== undefined) return [object.spec.nodeName];
    }
    return [];
  }

  async initialKeys(): Promise<string[]> {
    await Promise.all([this.#pods.start(), this.#devices.start()]);
    return [...this.#devices.list()].filter((device) => offlineSince(device) !== undefined).map((device) => device.metadata.name);
  }

  async reconcile(name: string): Promise<{ requeueAfterMs?: number } | void> {
    await Promise.all([this.#pods.start(), this.#devices.start()]);
    // Read from the store, not the cache: a device that has just come back keeps its pods.
    const device = await this.#options.store.get('Device', undefined, name);
    if (device === undefined) return;
    const now = this.#now();
    const plan = planEvictions({ device, pods: this.#pods.byIndex('device', name), now, notBefore: this.#notBefore });
    await Promise.all(plan.evict.map((eviction) => this.#evict(name, eviction)));
    if (plan.nextAt !== undefined) return { requeueAfterMs: Math.max(0, plan.nextAt - now) };
  }

  async #evict(device: string, eviction: Eviction): Promise<void> {
    const { pod } = eviction;
    const { resourceVersion } = pod.metadata;
    try {
      await this.#options.store.delete('Pod', pod.metadata.namespace, pod.metadata.name, resourceVersion ? { resourceVersion } : {});
    } catch (error) {
      // Gone already, or changed meanwhile: the change brings the device back here if it must.
      if (hasCode(error, 'NotFound') || hasCode(error, 'Conflict')) return;
      throw error;
    }
    const message = evictionMessage(device, eviction);
    this.#options.events.record(referenceTo(pod), 'Warning', EVICTED_REASON, message);
    this.#options.log.info({ pod: `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`, device }, message);
  }

  stop(): void {
    this.#pods.stop();
    if (this.#ownsDevices) this.#devices.stop();
  }
}
