/**
 * The hub's store: every object, versioned. Backends implement `Store` and must pass the
 * contract suite in test/hub/store/store-contract.ts.
 *
 * Semantics, as in the Kubernetes API server:
 * - Each successful write gets a new `metadata.resourceVersion`, from one counter that only
 *   grows across the whole store (and across restarts).
 * - `update` with a `resourceVersion` that is not the stored one fails with a Conflict;
 *   without one it is unconditional.
 * - `metadata.generation` starts at 1 and grows whenever `spec` changes (status writes leave it).
 * - `uid` and `creationTimestamp` are set on create and kept by every update.
 * - Watchers see every change after the resourceVersion they start from, in order; one that
 *   starts from a version older than the store remembers gets a Gone error and must re-list.
 *
 * Objects handed out (by get, list, watch and the writes themselves) are frozen and shared by
 * every reader: build a changed object with spreads rather than editing one in place. What a
 * caller passes in is copied, so changing it afterwards changes nothing stored.
 */
import type { AnyObject, Kind } from '../../shared/objects.js';
import type { Selector } from '../../shared/selector.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends AnyObject = AnyObject> {
  type: WatchEventType;
  /** For DELETED, the object as it was last stored, with the deletion's resourceVersion. */
  object: T;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: Selector;
}

export interface ListResult<T extends AnyObject> {
  items: T[];
  /** The store's version at the time of the list: watch from here to miss nothing. */
  resourceVersion: string;
}

export interface WatchOptions {
  kinds?: readonly Kind[];
  /** Replay changes made after this version; omit to see only changes from now on. */
  fromResourceVersion?: string;
}

export type Unsubscribe = () => void;

/** Object of a kind, by kind name. */
export type ObjectOf<K extends Kind> = Extract<AnyObject, { kind: K }>;

export interface Store {
  get<K extends Kind>(kind: K, namespace: string | undefined, name: string): Promise<ObjectOf<K> | undefined>;
  list<K extends Kind>(kind: K, options?: ListOptions): Promise<ListResult<ObjectOf<K>>>;
  /** Fails with AlreadyExists when the key is taken. */
  create<T extends AnyObject>(object: T): Promise<T>;
  /** Fails with NotFound or Conflict. */
  update<T extends AnyObject>(object: T): Promise<T>;
  /** Fails with NotFound, or Conflict when `resourceVersion` is given and stale. */
  delete<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    options?: { resourceVersion?: string },
  ): Promise<ObjectOf<K>>;
  /** Calls `handler` for each change, synchronously in store order. Throws Gone (see above). */
  watch(options: WatchOptions, handler: (event: WatchEvent) => void): Unsubscribe;
  /** The version of the latest write. */
  currentResourceVersion(): string;
  close(): Promise<void>;
}

export interface StoreFactory {
  (options: { dataDir: string }): Promise<Store>;
}
