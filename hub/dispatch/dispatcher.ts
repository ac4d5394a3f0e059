/**
 * Turns bound pods into one retained desired-state document per device. It keeps an index
 * of pods by device from the store's watch; a change marks the device dirty, and dirty
 * devices are published together a moment later, so a rollout touching many pods of one
 * device sends one document, not one per pod. A document identical in content to the last
 * one published is not sent again.
 *
 * Values pods take from Secrets are written into their own device's document only (the
 * broker lets each device alone read its desired topic). Secrets come from a cache; when one
 * changes, exactly the pods that reference it are resolved again, so only their devices can
 * get a new document. A pod whose Secret or key is missing (and not optional) is held back
 * from its device, with a Warning event naming what is missing, until the value exists: the
 * document follows the store, so deleting a Secret a running pod needs stops that pod.
 */
import type { Logger } from '../../shared/log.js';
import { referenceTo } from '../../shared/objects.js';
import type { Pod, Secret } from '../../shared/objects.js';
import type { DesiredPodMessage, DesiredStateMessage } from '../../shared/proto/codec.js';
import { EventRecorder } from '../controllers/events.js';
import type { EventSink } from '../controllers/events.js';
import { Informer } from '../controllers/informer.js';
import type { ChangeListener } from '../controllers/informer.js';
import type { Store, Unsubscribe } from '../store/store.js';
import { describeMissing, resolveDesiredPod, secretsReferencedBy } from './desired.js';
import type { MissingSecretValue } from './desired.js';

export interface DesiredPublisher {
  /** `sent` is called once the broker has the document (or it failed). */
  publishDesired(device: string, desired: DesiredStateMessage, sent?: (error?: Error) => void): void;
  clearDesired(device: string): void;
}

/** What the dispatcher reads Secrets from: a cache current with the store (an Informer). */
export interface SecretCache {
  get(namespace: string | undefined, name: string): Secret | undefined;
  onChange(listener: ChangeListener<Secret>): void;
  start(): Promise<void>;
  stop(): void;
}

export interface DispatcherOptions {
  store: Store;
  publisher: DesiredPublisher;
  log: Logger;
  /** Where Warnings about held-back pods go; default: the dispatcher records them itself. */
  events?: EventSink;
  /** A Secret cache to share; default: one of the dispatcher's own, started and stopped with it. */
  secrets?: SecretCache;
  /** Seconds from the change of a device's pods to the broker's acknowledgement of its new document. */
  onPublished?: (seconds: number) => void;
}

/** Why a pod is not in its device's document. */
export const SECRET_MISSING_REASON = 'SecretMissing';

const BATCH_MS = 20;

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

export class Dispatcher {
  readonly #store: Store;
  readonly #publisher: DesiredPublisher;
  readonly #log: Logger;
  readonly #events: EventSink;
  /** Set when the dispatcher made its own recorder, to flush it on stop. */
  readonly #ownRecorder: EventRecorder | undefined;
  readonly #secrets: SecretCache;
  readonly #ownsSecrets: boolean;
  /** device → pod key → what the agent needs of the pod. */
  readonly #byDevice = new Map<string, Map<string, DesiredPodMessage>>();
  /** pod key → the device it is bound to. */
  readonly #deviceOfPod = new Map<string, string>();
  /** pod key → the bound pod, to resolve it again when a Secret it uses changes. */
  readonly #boundPods = new Map<string, Pod>();
  /** `namespace/name` of a Secret → keys of the bound pods that use it. */
  readonly #podsBySecret = new Map<string, Set<string>>();
  /** pod key → the `namespace/name` of each Secret it is filed under. */
  readonly #secretsOfPod = new Map<string, string[]>();
  /** pod key → the message of the Warning last recorded for it, while it is held back. */
  readonly #heldBack = new Map<string, string>();
  readonly #published = new Map<string, { content: string; generation: number }>();
  readonly #dirty = new Set<string>();
  /** Device → when the first change not yet published marked it dirty (performance.now()). */
  readonly #dirtySince = new Map<string, number>();
  readonly #onPublished: ((seconds: number) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unwatch: Unsubscribe | undefined;

  constructor(options: DispatcherOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#log = options.log;
    this.#ownRecorder = options.events === undefined ? new EventRecorder({ store: options.store, log: options.log, source: 'dispatcher' }) : undefined;
    this.#events = options.events ?? (this.#ownRecorder as EventRecorder);
    this.#ownsSecrets = options.secrets === undefined;
    this.#onPublished = options.onPublished;
    this.#secrets = options.secrets ?? new Informer<'Secret', never>(options.store, 'Secret', {});
    this.#secrets.onChange((event) => this.#secretChanged(event.object));
  }

  async start(): Promise<void> {
    // Secrets first: every pod indexed below finds the values it references.
    await this.#secrets.start();
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
        this.#dirtySince.delete(object.metadata.name);
        this.#publisher.clearDesired(object.metadata.name);
      } else if (object.kind === 'Device' && event.type === 'ADDED') {
        this.#markDirty(object.metadata.name);
      }
    });
    this.#flush();
  }

  /** Generation of the document last sent to the device; undefined before the first. */
  publishedGeneration(device: string): number | undefined {
    return this.#published.get(device)?.generation;
  }

  /** The document a device should have now. */
  desiredFor(device: string): DesiredStateMessage {
    const pods = [...(this.#byDevice.get(device)?.values() ?? [])].sort((a, b) =>
      `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
    );
    return { generation: Number(this.#store.currentResourceVersion()), pods };
  }

  /**
   * Sends every device its document again, changed or not: after the broker lost its retained
   * messages, a device that connects (new, or its local state wiped) would otherwise wait for
   * its next change to learn what to run.
   */
  async republishAll(): Promise<void> {
    const { items: devices } = await this.#store.list('Device');
    this.#published.clear();
    for (const device of devices) this.#dirty.add(device.metadata.name);
    for (const device of this.#byDevice.keys()) this.#dirty.add(device);
    this.#flush();
  }

  /** Pods held back from their devices, by `namespace/name`, with what each is missing. */
  heldBack(): Map<string, string> {
    return new Map(this.#heldBack);
  }

  async stop(): Promise<void> {
    this.#unwatch?.();
    clearTimeout(this.#timer);
    if (this.#ownsSecrets) this.#secrets.stop();
    await this.#ownRecorder?.flushed();
  }

  #index(pod: Pod): void {
    const key = podKey(pod);
    const device = pod.spec.nodeName;
    const previous = this.#deviceOfPod.get(key);
    if (previous !== undefined && previous !== device) {
      this.#byDevice.get(previous)?.delete(key);
      this.#markDirty(previous);
    }
    if (!device) {
      this.#forget(key);
      return;
    }
    this.#deviceOfPod.set(key, device);
    this.#boundPods.set(key, pod);
    this.#fileUnderSecrets(key, pod);
    this.#place(key, pod, device);
  }

  #unindex(pod: Pod): void {
    const key = podKey(pod);
    const device = this.#deviceOfPod.get(key);
    this.#forget(key);
    if (device === undefined) return;
    this.#byDevice.get(device)?.delete(key);
    this.#markDirty(device);
  }

  /** Drops what is kept of a pod that is no longer bound; its device's entry is the caller's. */
  #forget(key: string): void {
    this.#deviceOfPod.delete(key);
    this.#boundPods.delete(key);
    this.#heldBack.delete(key);
    this.#fileUnderSecrets(key, undefined);
  }

  /** Puts the pod into its device's document, resolved against the Secrets as they are now, or holds it back. */
  #place(key: string, pod: Pod, device: string): void {
    let pods = this.#byDevice.get(device);
    if (!pods) {
      pods = new Map();
      this.#byDevice.set(device, pods);
    }
    const resolution = resolveDesiredPod(pod, (namespace, name) => this.#secrets.get(namespace, name));
    if (resolution.desired === undefined) {
      if (pods.delete(key)) this.#markDirty(device);
      this.#warnHeldBack(key, pod, device, resolution.missing);
      return;
    }
    this.#heldBack.delete(key);
    const next = resolution.desired;
    const before = pods.get(key);
    // Status writes (most pod changes) leave the document as it is.
    if (before && JSON.stringify(before) === JSON.stringify(next)) return;
    pods.set(key, next);
    this.#markDirty(device);
  }

  /** One Warning per pod and reason: status writes to a held-back pod do not repeat it. */
  #warnHeldBack(key: string, pod: Pod, device: string, missing: MissingSecretValue[]): void {
    const message = `held back from device ${device}: ${describeMissing(missing, pod.metadata.namespace ?? 'default')}`;
    if (this.#heldBack.get(key) === message) return;
    this.#heldBack.set(key, message);
    this.#events.record(referenceTo(pod), 'Warning', SECRET_MISSING_REASON, message);
    this.#log.info({ pod: key, device, missing: missing.map((m) => `${m.secret}/${m.key}`) }, 'pod held back: a Secret it uses is missing');
  }

  /** Files the pod under the Secrets it references now (none when `pod` is undefined). */
  #fileUnderSecrets(key: string, pod: Pod | undefined): void {
    for (const secret of this.#secretsOfPod.get(key) ?? []) {
      const pods = this.#podsBySecret.get(secret);
      if (pods?.delete(key) && pods.size === 0) this.#podsBySecret.delete(secret);
    }
    this.#secretsOfPod.delete(key);
    if (pod === undefined) return;
    const namespace = pod.metadata.namespace ?? 'default';
    const secrets = secretsReferencedBy(pod).map((name) => `${namespace}/${name}`);
    if (secrets.length === 0) return;
    this.#secretsOfPod.set(key, secrets);
    for (const secret of secrets) {
      let pods = this.#podsBySecret.get(secret);
      if (!pods) this.#podsBySecret.set(secret, (pods = new Set()));
      pods.add(key);
    }
  }

  /** A Secret came, changed or went: resolve again exactly the pods that reference it. */
  #secretChanged(secret: Secret): void {
    const pods = this.#podsBySecret.get(`${secret.metadata.namespace ?? 'default'}/${secret.metadata.name}`);
    for (const key of pods ?? []) {
      const pod = this.#boundPods.get(key);
      const device = this.#deviceOfPod.get(key);
      // A removed device's pods wait for the garbage collector; the device gets nothing more.
      if (pod !== undefined && device !== undefined && this.#byDevice.has(device)) this.#place(key, pod, device);
    }
  }

  #markDirty(device: string): void {
    this.#dirty.add(device);
    if (this.#onPublished !== undefined && !this.#dirtySince.has(device)) this.#dirtySince.set(device, performance.now());
    this.#timer ??= setTimeout(() => this.#flush(), BATCH_MS);
  }

  #flush(): void {
    this.#timer = undefined;
    for (const device of this.#dirty) {
      const desired = this.desiredFor(device);
      const content = JSON.stringify(desired.pods);
      const since = this.#dirtySince.get(device);
      this.#dirtySince.delete(device);
      if (this.#published.get(device)?.content === content) continue;
      this.#published.set(device, { content, generation: desired.generation });
      const onPublished = this.#onPublished;
      this.#publisher.publishDesired(
        device,
        desired,
        onPublished === undefined || since === undefined ? undefined : (error) => {
          if (!error) onPublished((performance.now() - since) / 1000);
        },
      );
      this.#log.debug({ device, generation: desired.generation, pods: desired.pods.length }, 'desired state published');
    }
    this.#dirty.clear();
  }
}
