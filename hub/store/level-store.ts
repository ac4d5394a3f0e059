/**
 * The default store: LevelDB on local disk, with every object also held in memory.
 *
 * Reads and lists are served from memory (one Map per kind). A write goes to disk first, in
 * one batch with the resourceVersion counter, and only once LevelDB has it does memory change
 * and do watchers hear of it: a crash can lose a write in flight, never show one that is not
 * on disk. Writes run one at a time so versions strictly increase and version checks cannot race.
 */
import { randomUUID } from 'node:crypto';
import { Level } from 'level';
import { FlotillaError } from '../../shared/errors.js';
import type { AnyObject, Kind, ObjectMeta } from '../../shared/objects.js';
import { DEFAULT_HISTORY_SIZE, EventHistory } from './history.js';
import { VERSION_KEY, loadIndex, objectStorageKey } from './level-layout.js';
import type { CorruptEntryReporter } from './level-layout.js';
import {
  alreadyExists,
  cloneStored,
  conflict,
  givenVersion,
  identifyKey,
  identifyObject,
  jsonCopy,
  knownKind,
  notFound,
  parseResourceVersion,
  specChanged,
  storeClosed,
  tooNewToWatch,
  tooOldToWatch,
} from './semantics.js';
import type { ObjectIdentity } from './semantics.js';
import type {
  ListOptions,
  ListResult,
  ObjectOf,
  Store,
  StoreFactory,
  Unsubscribe,
  WatchEvent,
  WatchOptions,
} from './store.js';

/** A watch handler threw; the store carries on and tells whoever is listening here. */
export type WatcherErrorReporter = (error: unknown, event: WatchEvent) => void;

export interface LevelStoreOptions {
  dataDir: string;
  /** How many recent changes a watch can replay from (default 10,000). */
  historySize?: number;
  /** Default: console.error. */
  onWatcherError?: WatcherErrorReporter;
  /** A value on disk that cannot be read; it is skipped at open. Default: console.warn. */
  onCorruptEntry?: CorruptEntryReporter;
}

interface Watcher {
  kinds: ReadonlySet<Kind> | undefined;
  handler: (event: WatchEvent) => void;
  active: boolean;
}

type BatchOperation = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

const reportWatcherError: WatcherErrorReporter = (error, event) => {
  const { kind, metadata } = event.object;
  console.error(`store: a watch handler failed on ${event.type} ${kind} ${metadata.name}:`, error);
};

const reportCorruptEntry: CorruptEntryReporter = (storageKey, problem) => {
  console.warn(`store: skipped unreadable entry ${JSON.stringify(storageKey)}: ${problem}`);
};

/** Opens (creating if needed) the store in `dataDir`. */
export const createLevelStore = (async (options: LevelStoreOptions): Promise<Store> => {
  const historySize = options.historySize ?? DEFAULT_HISTORY_SIZE;
  if (!Number.isInteger(historySize) || historySize < 1) {
    throw new FlotillaError('Invalid', `the store's history size must be a positive whole number, got ${historySize}`);
  }
  const db = new Level<string, string>(options.dataDir, { valueEncoding: 'utf8' });
  try {
    await db.open();
  } catch (error) {
    const locked = (error as { cause?: { code?: unknown } }).cause?.code === 'LEVEL_LOCKED';
    throw new FlotillaError('Unavailable', `cannot open the store in ${options.dataDir}: ${causeOf(error)}`, {
      hint: locked
        ? 'another hub may be using this data directory; stop it, or give this hub its own --data-dir'
        : 'check that the data directory can be created and written by this user',
      cause: error,
    });
  }
  try {
    const index = await loadIndex(db.iterator(), options.onCorruptEntry ?? reportCorruptEntry);
    return new LevelStore(db, index.objects, index.version, historySize, options);
  } catch (error) {
    await db.close();
    throw new FlotillaError('Unavailable', `cannot read the store in ${options.dataDir}: ${causeOf(error)}`, {
      cause: error,
    });
  }
}) satisfies StoreFactory;

/** LevelDB wraps the reason (a lock, a damaged file) in `cause`; that is what a person needs. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const message = (error as Error).message ?? String(error);
  return cause instanceof Error ? `${message} (${cause.message})` : message;
}

class LevelStore implements Store {
  private readonly history: EventHistory;
  private readonly watchers = new Set<Watcher>();
  private readonly onWatcherError: WatcherErrorReporter;
  /** The tail of the write queue; never rejects, so one failed write does not stop the next. */
  private writes: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly db: Level<string, string>,
    private readonly objects: Map<Kind, Map<string, AnyObject>>,
    private version: number,
    historySize: number,
    options: LevelStoreOptions,
  ) {
    this.history = new EventHistory(historySize, version);
    this.onWatcherError = options.onWatcherError ?? reportWatcherError;
  }

  async get<K extends Kind>(kind: K, namespace: string | undefined, name: string): Promise<ObjectOf<K> | undefined> {
    this.assertOpen();
    const id = identifyKey(kind, namespace, name);
    const object = this.objectsOf(id.kind).get(id.key);
    return object === undefined ? undefined : (cloneStored(object) as ObjectOf<K>);
  }

  async list<K extends Kind>(kind: K, options: ListOptions = {}): Promise<ListResult<ObjectOf<K>>> {
    this.assertOpen();
    const checkedKind = knownKind(kind);
    const { namespace, labelSelector } = options;
    const matching: AnyObject[] = [];
    for (const object of this.objectsOf(checkedKind).values()) {
      if (namespace && object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) continue;
      if (labelSelector && !labelSelector.matches(object.metadata.labels)) continue;
      matching.push(object);
    }
    matching.sort(byNamespaceAndName);
    return {
      items: matching.map((object) => cloneStored(object) as ObjectOf<K>),
      resourceVersion: String(this.version),
    };
  }

  async create<T extends AnyObject>(object: T): Promise<T> {
    const id = this.identifyWrite(object);
    const incoming = jsonCopy(object);
    return this.serialised(async () => {
      const objects = this.objectsOf(id.kind);
      if (objects.has(id.key)) throw alreadyExists(id);
      const version = this.version + 1;
      const stored = withMetadata(incoming, id, {
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
        generation: 1,
        resourceVersion: String(version),
      });
      await this.commit(version, [{ type: 'put', key: objectStorageKey(id.kind, id.key), value: JSON.stringify(stored) }], () => {
        objects.set(id.key, stored);
        return { type: 'ADDED', object: stored };
      });
      return cloneStored(stored);
    });
  }

  async update<T extends AnyObject>(object: T): Promise<T> {
    const id = this.identifyWrite(object);
    const incoming = jsonCopy(object);
    return this.serialised(async () => {
      const objects = this.objectsOf(id.kind);
      const current = objects.get(id.key);
      if (current === undefined) throw notFound(id);
      const given = givenVersion(incoming.metadata.resourceVersion);
      if (given !== undefined && given !== current.metadata.resourceVersion) {
        throw conflict(id, current.metadata.resourceVersion, given);
      }
      const version = this.version + 1;
      const generation = current.metadata.generation ?? 1;
      const stored = withMetadata(incoming, id, {
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        generation: specChanged(current, incoming) ? generation + 1 : generation,
        resourceVersion: String(version),
      });
      await this.commit(version, [{ type: 'put', key: objectStorageKey(id.kind, id.key), value: JSON.stringify(stored) }], () => {
        objects.set(id.key, stored);
        return { type: 'MODIFIED', object: stored };
      });
      return cloneStored(stored);
    });
  }

  async delete<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    options: { resourceVersion?: string } = {},
  ): Promise<ObjectOf<K>> {
    this.assertOpen();
    const id = identifyKey(kind, namespace, name);
    return this.serialised(async () => {
      const objects = this.objectsOf(id.kind);
      const current = objects.get(id.key);
      if (current === undefined) throw notFound(id);
      const given = givenVersion(options.resourceVersion);
      if (given !== undefined && given !== current.metadata.resourceVersion) {
        throw conflict(id, current.metadata.resourceVersion, given);
      }
      const version = this.version + 1;
      const last = { ...current, metadata: { ...current.metadata, resourceVersion: String(version) } } as AnyObject;
      await this.commit(version, [{ type: 'del', key: objectStorageKey(id.kind, id.key) }], () => {
        objects.delete(id.key);
        return { type: 'DELETED', object: last };
      });
      return cloneStored(last) as ObjectOf<K>;
    });
  }

  watch(options: WatchOptions, handler: (event: WatchEvent) => void): Unsubscribe {
    this.assertOpen();
    const watcher: Watcher = { kinds: options.kinds ? new Set(options.kinds) : undefined, handler, active: true };
    const from = options.fromResourceVersion;
    if (from !== undefined) {
      const fromVersion = parseResourceVersion(from);
      if (fromVersion > this.version) throw tooNewToWatch(from, this.version);
      const missed = this.history.since(fromVersion);
      if (missed === undefined) throw tooOldToWatch(from, this.history.oldestReplayableVersion());
      // Replayed before joining, with no await in between, so no change is seen twice or skipped.
      for (const { event } of missed) this.deliver(watcher, event);
    }
    this.watchers.add(watcher);
    return () => {
      watcher.active = false;
      this.watchers.delete(watcher);
    };
  }

  currentResourceVersion(): string {
    this.assertOpen();
    return String(this.version);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writes;
      for (const watcher of this.watchers) watcher.active = false;
      this.watchers.clear();
      await this.db.close();
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw storeClosed();
  }

  private identifyWrite(object: AnyObject): ObjectIdentity {
    this.assertOpen();
    return identifyObject(object);
  }

  private objectsOf(kind: Kind): Map<string, AnyObject> {
    let objects = this.objects.get(kind);
    if (objects === undefined) this.objects.set(kind, (objects = new Map()));
    return objects;
  }

  /** Runs writes one after another; each sees the state every earlier write left. */
  private serialised<R>(write: () => Promise<R>): Promise<R> {
    const result = this.writes.then(write);
    this.writes = result.catch(() => undefined);
    return result;
  }

  /**
   * Writes the change and the new counter in one batch, then, with no await in between,
   * applies it to memory and tells watchers: a list never sees a version without its change.
   */
  private async commit(version: number, operations: BatchOperation[], apply: () => WatchEvent): Promise<void> {
    try {
      await this.db.batch([...operations, { type: 'put', key: VERSION_KEY, value: String(version) }]);
    } catch (error) {
      throw new FlotillaError('Unavailable', `the store could not write to disk: ${causeOf(error)}`, {
        hint: 'check free space and permissions of the data directory; nothing was changed',
        cause: error,
      });
    }
    this.version = version;
    const event = apply();
    this.history.push(version, event);
    for (const watcher of [...this.watchers]) this.deliver(watcher, event);
  }

  /** Each watcher gets its own copy: one that edits what it was given harms nobody else. */
  private deliver(watcher: Watcher, event: WatchEvent): void {
    if (!watcher.active) return;
    if (watcher.kinds !== undefined && !watcher.kinds.has(event.object.kind)) return;
    const own: WatchEvent = { type: event.type, object: cloneStored(event.object) };
    try {
      watcher.handler(own);
    } catch (error) {
      try {
        this.onWatcherError(error, own);
      } catch {
        // A failing reporter must not break the write that is being committed either.
      }
    }
  }
}

/** The object with the metadata the store owns set, in the scope its kind has. */
function withMetadata<T extends AnyObject>(
  object: T,
  id: ObjectIdentity,
  owned: { uid: string | undefined; creationTimestamp: string | undefined; generation: number; resourceVersion: string },
): T {
  const metadata: ObjectMeta = { ...object.metadata, ...owned, namespace: id.namespace };
  // Absent rather than undefined, so memory holds exactly what a reload from disk would.
  for (const field of ['namespace', 'uid', 'creationTimestamp'] as const) {
    if (metadata[field] === undefined) delete metadata[field];
  }
  return { ...object, metadata };
}

function byNamespaceAndName(a: AnyObject, b: AnyObject): number {
  const byNamespace = compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '');
  return byNamespace !== 0 ? byNamespace : compareText(a.metadata.name, b.metadata.name);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
