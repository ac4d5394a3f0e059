/**
 * The pods of each DaemonSet, kept beside the hub's shared pod cache rather than in it: the
 * cache's `owner` index files Deployment pods under `namespace/name`, and a DaemonSet of the
 * same name filed there would have the Deployment controller take its pods for strays.
 *
 * Follows the cache's changes, so a pass reads a DaemonSet's pods in proportion to how many
 * it has, never by going through every pod in the fleet.
 */
import { objectKey, type Pod } from '../../../shared/objects.js';
import type { PodInformer } from '../pods.js';

/** The name of the DaemonSet that controls the pod, if one does. */
export function ownerDaemonSetName(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.kind === 'DaemonSet' && o.controller)?.name;
}

/** `namespace/name` of a DaemonSet: its work-queue key, and what its pods are filed under. */
export function daemonSetKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? 'default'}/${name}`;
}

function ownerKeyOf(pod: Pod): string | undefined {
  const owner = ownerDaemonSetName(pod);
  return owner === undefined ? undefined : daemonSetKey(pod.metadata.namespace, owner);
}

export class DaemonPodIndex {
  readonly #pods: PodInformer;
  /** DaemonSet key → pod key → pod. */
  readonly #byOwner = new Map<string, Map<string, Pod>>();
  #seeded: Promise<void> | undefined;

  constructor(pods: PodInformer) {
    this.#pods = pods;
    // Registered before the cache is read, so no change between the read and now is missed;
    // filing is by key, so a pod seen both ways is filed once.
    pods.onChange((event, previous) => {
      if (previous !== undefined) this.#remove(previous);
      if (event.type !== 'DELETED') this.#put(event.object);
    });
  }

  /** Waits for the pod cache, then files every pod it holds. */
  start(): Promise<void> {
    this.#seeded ??= this.#pods.start().then(() => {
      for (const pod of this.#pods.list()) this.#put(pod);
    });
    this.#seeded.catch(() => {
      this.#seeded = undefined;
    });
    return this.#seeded;
  }

  /** The pods a DaemonSet controls, by its key, in no particular order. */
  podsOf(key: string): Pod[] {
    const filed = this.#byOwner.get(key);
    return filed === undefined ? [] : [...filed.values()];
  }

  /** The keys of every DaemonSet that has pods, whether or not it still exists. */
  owners(): string[] {
    return [...this.#byOwner.keys()];
  }

  #put(pod: Pod): void {
    const owner = ownerKeyOf(pod);
    if (owner === undefined) return;
    let filed = this.#byOwner.get(owner);
    if (filed === undefined) this.#byOwner.set(owner, (filed = new Map()));
    filed.set(objectKey('Pod', pod.metadata.namespace, pod.metadata.name), pod);
  }

  #remove(pod: Pod): void {
    const owner = ownerKeyOf(pod);
    if (owner === undefined) return;
    const filed = this.#byOwner.get(owner);
    filed?.delete(objectKey('Pod', pod.metadata.namespace, pod.metadata.name));
    if (filed?.size === 0) this.#byOwner.delete(owner);
  }
}
