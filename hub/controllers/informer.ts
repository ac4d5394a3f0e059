/**
 * A cache of one kind, kept current from the store's watch, with indexes: client-go's
 * informer and indexer. A controller that reads pods by device or by owner on every reconcile
 * reads them here in proportion to what it asks for, instead of listing every pod in the store.
 *
 * The cache holds the store's own frozen objects, so it costs a map entry per object. It is
 * current up to the last committed write: the store tells watchers within the commit, before
 * any reconcile that the write set off can run.
 */
import { objectKey, type Kind } from '../../shared/objects.js';
import type { ObjectOf, Store, Unsubscribe, WatchEvent } from '../store/store.js';

/** The values an object is filed under in one index (none: not in it). */
export type IndexFunction<T> = (object: T) => readonly string[];

/** Told of every change after the cache has applied it, with the object as it was before. */
export type ChangeListener<T> = (event: WatchEvent & { object: T }, previous: T | undefined) => void;

export class Informer<K extends Kind, I extends string = string> {
  readonly #store: Store;
  readonly #kind: K;
  readonly #indexers: Record<I, IndexFunction<ObjectOf<K>>>;
  readonly #objects = new Map<string, ObjectOf<K>>();
  /** Index name → value → object key → object. */
  readonly #indexes = new Map<I, Map<string, Map<string, ObjectOf<K>>>>();
  readonly #listeners: ChangeListener<ObjectOf<K>>[] = [];
  #started: Promise<void> | undefined;
  #unwatch: Unsubscribe | undefined;

  constructor(store: Store, kind: K, indexers: Record<I, IndexFunction<ObjectOf<K>>>) {
    this.#store = store;
    this.#kind = kind;
    this.#indexers = indexers;
    for (const name of Object.keys(indexers) as I[]) this.#indexes.set(name, new Map());
  }

  /**
   * Lists once and follows the watch from there; later calls wait for the same start. A start
   * that failed (the store closed or unreadable) is tried again by the next call.
   */
  start(): Promise<void> {
    this.#started ??= (async () => {
      const { items, resourceVersion } = await this.#store.list(this.#kind);
      for (const object of items) this.#put(object);
      // From the list's version: what was written since the list is replayed, nothing is missed.
      this.#unwatch = this.#store.watch({ kinds: [this.#kind], fromResourceVersion: resourceVersion }, (event) =>
        this.#apply(event as WatchEvent & { object: ObjectOf<K> }),
      );
    })().catch((error: unknown) => {
      for (const key of [...this.#objects.keys()]) this.#remove(key, this.#objects.get(key) as ObjectOf<K>);
      this.#started = undefined;
      throw error;
    });
    return this.#started;
  }

  stop(): void {
    this.#unwatch?.();
  }

  /** Called after each change is applied to the cache. */
  onChange(listener: ChangeListener<ObjectOf<K>>): void {
    this.#listeners.push(listener);
  }

  get(namespace: string | undefined, name: string): ObjectOf<K> | undefined {
    return this.#objects.get(objectKey(this.#kind, namespace, name));
  }

  /** Every cached object, in no particular order. */
  list(): IterableIterator<ObjectOf<K>> {
    return this.#objects.values();
  }

  get size(): number {
    return this.#objects.size;
  }

  /** The objects filed under `value` in the index `name`, in no particular order. */
  byIndex(name: I, value: string): ObjectOf<K>[] {
    const filed = this.#indexes.get(name)?.get(value);
    return filed === undefined ? [] : [...filed.values()];
  }

  /** The values the index `name` files objects under, with how many each. */
  indexValues(name: I): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [value, filed] of this.#indexes.get(name) ?? []) counts.set(value, filed.size);
    return counts;
  }

  #apply(event: WatchEvent & { object: ObjectOf<K> }): void {
    const key = this.#keyOf(event.object);
    const previous = this.#objects.get(key);
    if (previous !== undefined) this.#remove(key, previous);
    if (event.type !== 'DELETED') this.#put(event.object);
    for (const listener of this.#listeners) listener(event, previous);
  }

  #put(object: ObjectOf<K>): void {
    const key = this.#keyOf(object);
    this.#objects.set(key, object);
    for (const [name, index] of this.#indexes) {
      for (const value of this.#indexers[name](object)) {
        let filed = index.get(value);
        if (filed === undefined) index.set(value, (filed = new Map()));
        filed.set(key, object);
      }
    }
  }

  #remove(key: string, object: ObjectOf<K>): void {
    this.#objects.delete(key);
    for (const [name, index] of this.#indexes) {
      for (const value of this.#indexers[name](object)) {
        const filed = index.get(value);
        filed?.delete(key);
        if (filed?.size === 0) index.delete(value);
      }
    }
  }

  #keyOf(object: ObjectOf<K>): string {
    return objectKey(this.#kind, object.metadata.namespace, object.metadata.name);
  }
}
