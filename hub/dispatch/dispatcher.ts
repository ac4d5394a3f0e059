/**
 * Turns bound pods into one retained desired-state document per device. It keeps an index
 * of pods by device from the store's watch; a change marks the device dirty, and dirty
 * devices are published together a moment later, so a rollout touching many pods of one
 * device sends one document, not one per pod. A document identical in content to the last
 * one published is not sent again.
 */
import type { Logger } from '../../shared/log.js';
import type { Pod } from '../../shared/objects.js';
import type { DesiredPodMessage, DesiredStateMessage } from '../../shared/proto/codec.js';
import type { Store, Unsubscribe } from '../store/store.js';
import { desiredPod } from './desired.js';

export interface DesiredPublisher {
  publishDesired(device: string, desired: DesiredStateMessage): void;
  clearDesired(device: string): void;
}

const BATCH_MS = 20;

export class Dispatcher {
  readonly #store: Store;
  readonly #publisher: DesiredPublisher;
  readonly #log: Logger;
  /** device → pod key → what the agent needs of the pod. */
  readonly #byDevice = new Map<string, Map<string, DesiredPodMessage>>();
  /** pod key → the device it is bound to. */
  readonly #deviceOfPod = new Map<string, string>();
  readonly #published = new Map<string, string>();
  readonly #dirty = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #unwatch: Unsubscribe | undefined;

  constructor(options: { store: Store; publisher: DesiredPublisher; log: Logger }) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#log = options.log;
  }

  async start(): Promise<void> {
    const { items: pods, resourceVersion } = await this.#store.list('Pod');
    for (const pod of pods) this.#index(pod);
    const { items: devices } = await this.#store.list('Device');
    // Every device gets its document at start: an embedded broker lost its retained ones.
    for (const device of devices) this.#dirty.add(device.metadata.name);
    for (const device of this.#byDevice.keys()) this.#dirty.add(device);
    this.#unwatch = this.#store.watch({ kinds: ['Pod', 'Device'], fromResourceVersion: resourceVersion }, (event) => {
      const object = event.object;
      if (object.kind === 'Pod') {
        if (event.type === 'DELETED') this.#unindex(object);
        else this.#index(object);
      } else if (object.kind === 'Device' && event.type === 'DELETED') {
        this.#byDevice.delete(object.metadata.name);
        this.#published.delete(object.metadata.name);
        this.#dirty.delete(object.metadata.name);
        this.#publisher.clearDesired(object.metadata.name);
      } else if (object.kind === 'Device' && event.type === 'ADDED') {
        this.#markDirty(object.metadata.name);
      }
    });
    this.#flush();
  }

  /** The document a device should have now. */
  desiredFor(device: string): DesiredStateMessage {
    const pods = [...(this.#byDevice.get(device)?.values() ?? [])].sort((a, b) =>
      `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
    );
    return { generation: Number(this.#store.currentResourceVersion()), pods };
  }

  stop(): void {
    this.#unwatch?.();
    clearTimeout(this.#timer);
  }

  #index(pod: Pod): void {
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    const device = pod.spec.nodeName;
    const previous = this.#deviceOfPod.get(key);
    if (previous !== undefined && previous !== device) {
      this.#byDevice.get(previous)?.delete(key);
      this.#markDirty(previous);
    }
    if (!device) {
      this.#deviceOfPod.delete(key);
      return;
    }
    this.#deviceOfPod.set(key, device);
    let pods = this.#byDevice.get(device);
    if (!pods) {
      pods = new Map();
      this.#byDevice.set(device, pods);
    }
    const next = desiredPod(pod);
    const before = pods.get(key);
    // Status writes (most pod changes) leave the document as it is.
    if (before && JSON.stringify(before) === JSON.stringify(next)) return;
    pods.set(key, next);
    this.#markDirty(device);
  }

  #unindex(pod: Pod): void {
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    const device = this.#deviceOfPod.get(key);
    this.#deviceOfPod.delete(key);
    if (device === undefined) return;
    this.#byDevice.get(device)?.delete(key);
    this.#markDirty(device);
  }

  #markDirty(device: string): void {
    this.#dirty.add(device);
    this.#timer ??= setTimeout(() => this.#flush(), BATCH_MS);
  }

  #flush(): void {
    this.#timer = undefined;
    for (const device of this.#dirty) {
      const desired = this.desiredFor(device);
      const content = JSON.stringify(desired.pods);
      if (this.#published.get(device) === content) continue;
      this.#published.set(device, content);
      this.#publisher.publishDesired(device, desired);
      this.#log.debug({ device, generation: desired.generation, pods: desired.pods.length }, 'desired state published');
    }
    this.#dirty.clear();
  }
}
