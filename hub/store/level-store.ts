/**
 * The default store: LevelDB on local disk, with every object also held in memory.
 *
 * Reads and lists are served from memory (one Map per kind). A write goes to disk first, in
 * one batch with the resourceVersion counter, and only once LevelDB has it does memory change
 * and do watchers hear of it: a crash can lose a write in flight, never show one that is not
 * on disk.
 *
 * Writes are committed in groups: those issued while a batch is on its way to disk (or in the
 * same turn of the event loop as the first) go to LevelDB together in the next batch, which
 * costs about what one write alone does. Within a group each write is still checked in the
 * order it was issued, against the objects as the writes before it leave them, and gets the
 * next version; one that fails its check (a Conflict, NotFound) is refused alone. If LevelDB
 * refuses the batch, every write in it fails and nothing of it reaches memory or watchers.
 *
 * Durability. LevelDB appends a batch to its log with write(2) before the batch resolves, as
 * one record that recovery takes whole or not at all. So an acknowledged write is in the
 * kernel's page cache at least, and survives the hub process dying in any way (kill -9, a
 * crash, the OOM killer): level-store.test.ts kills a writer with SIGKILL mid-stream and finds
 * every write it acknowledged. That alone does not survive a power cut or a kernel crash,
 * which lose what the kernel had not yet written back (up to half a minute of writes). With
 * `sync` (the default), LevelDB also fsyncs its log before the batch resolves: a write is
 * acknowledged only once it is on the disk, and a hub whose machine loses power comes back
 * with every write it acknowledged, as the hub's users and its controllers rely on.
 *
 * The price is one fsync per batch, shared by every write in the batch. Measured on this
 * project's machines (2 cores, ext4 on a virtual disk, other work running alongside):
 * - writes issued one at a time, each awaited: 1,130 writes/s against 4,150 without sync;
 * - writes issued together (groups of 256, as the scheduler binds): 18,000 against 14,400
 *   writes/s, no cost beyond noise;
 * - the scheduler benchmark (10,000 bindings, written 256 at a time): 2,420 against 2,750
 *   pods/s, medians of three runs each, about 12 % (each flush writes out half a megabyte);
 * - the rollout benchmark (10,000 devices): image change → all Running 34.8 against 38.9 s,
 *   first apply 32.6 against 34.1 s, medians of three runs each: no cost that shows;
 * - the device lifecycle, which wrote one device at a time: 10,000 births took 5.1 s against
 *   1.6 s; it now reconciles 32 devices at once, whose writes share their flushes: 0.7 s.
 * Writes at fleet scale come in groups (bindings, pod statuses from many devices, a
 * Deployment's pods), so sync costs little where throughput matters, and it is what makes
 * "every acknowledged write survives" true. `sync: false` is there for tests and benchmarks
 * that fill a store and do not care.
 *
 * Secrets are encrypted on disk (see secret-box.ts) and held in the clear in memory only. The
 * store keeps a sealed check value beside them, so one opened with another key than it was
 * written with fails at open with a message saying so, instead of handing out garbage.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Level } from 'level';
import { FlotillaError, isFlotillaError } from '../../shared/errors.js';
import type { AnyObject, Kind, ObjectMeta } from '../../shared/objects.js';
import { DEFAULT_HISTORY_SIZE, EventHistory } from './history.js';
import { VERSION_KEY, loadIndex, objectStorageKey } from './level-layout.js';
import type { CorruptEntryReporter } from './level-layout.js';
import { SECRETS_KEY_FILE, SecretBox, loadSecretsKey, openSecretValues, sealSecretValues } from './secret-box.js';
import {
  alreadyExists,
  deepFreeze,
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
  /**
   * The key that encrypts Secrets on disk (default `<dataDir>/secrets.key`), made on first
   * open. Kept elsewhere (another disk, a mounted secret), a copy of the data directory alone
   * reveals no Secret.
   */
  secretsKeyFile?: string;
  /**
   * Whether each batch is flushed to the disk itself (fsync) before its writes are
   * acknowledged. Default true; see "Durability" above for what either choice survives.
   */
  sync?: boolean;
}

/** A value sealed with the secrets key when the store is first opened, to tell a wrong key at once. */
const KEY_CHECK_KEY = 'm!secretsKeyCheck';
const KEY_CHECK_TEXT = 'flotilla secrets key check';

interface Watcher {
  kinds: ReadonlySet<Kind> | undefined;
  handler: (event: WatchEvent) => void;
  active: boolean;
}

type BatchOperation = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/**
 * What a write does to its object, given the object as it stands before the write (undefined
 * when there is none) and the version the write gets: the change as watchers will see it, or
 * a thrown error (AlreadyExists, NotFound, Conflict) when the write cannot be done.
 */
type Decision = (current: AnyObject | undefined, version: number) => WatchEvent;

interface QueuedWrite {
  id: ObjectIdentity;
  decide: Decision;
  resolve(object: AnyObject): void;
  reject(error: unknown): void;
}

/** See "Durability" at the top of this file. */
const DEFAULT_SYNC = true;

/** The most writes one batch takes, so a burst reaches disk in batches of moderate size. */
const MAX_GROUP_WRITES = 1024;

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
    const box = await openSecretBox(db, options.secretsKeyFile ?? join(options.dataDir, SECRETS_KEY_FILE), options.sync ?? DEFAULT_SYNC);
    const report = options.onCorruptEntry ?? reportCorruptEntry;
    const index = await loadIndex(db.iterator(), report);
    openSecrets(index.objects, box, report);
    for (const ofKind of index.objects.values()) for (const object of ofKind.values()) deepFreeze(object);
    return new LevelStore(db, box, index.objects, index.version, historySize, options);
  } catch (error) {
    await db.close();
    if (isFlotillaError(error)) throw error;
    throw new FlotillaError('Unavailable', `cannot read the store in ${options.dataDir}: ${causeOf(error)}`, {
      cause: error,
    });
  }
}) satisfies StoreFactory;

/**
 * The box for this store's Secrets, from the key file; checked against the value sealed at
 * the store's first open, or, on that first open, sealing it.
 */
async function openSecretBox(db: Level<string, string>, keyFile: string, sync: boolean): Promise<SecretBox> {
  const check = await db.get(KEY_CHECK_KEY);
  // A store that has sealed anything needs its own key: a fresh one would open none of it.
  const { key } = await loadSecretsKey(keyFile, { create: check === undefined });
  const box = new SecretBox(key);
  if (check === undefined) {
    await db.put(KEY_CHECK_KEY, box.seal(KEY_CHECK_TEXT, KEY_CHECK_KEY), { sync });
  } else if (box.open(check, KEY_CHECK_KEY) !== KEY_CHECK_TEXT) {
    throw new FlotillaError('Unavailable', `the secrets key ${keyFile} is not the key this store's Secrets were encrypted with`, {
      hint: 'give the hub the key file it was first started with; the Secrets cannot be read with another',
    });
  }
  return box;
}

/** Replaces each loaded Secret by its opened form; one that does not open is reported and skipped. */
function openSecrets(objects: Map<Kind, Map<string, AnyObject>>, box: SecretBox, report: CorruptEntryReporter): void {
  const secrets = objects.get('Secret');
  if (secrets === undefined) return;
  for (const [key, stored] of secrets) {
    const storageKey = objectStorageKey('Secret', key);
    const opened = openSecretValues(box, stored, storageKey);
    if ('problem' in opened) {
      report(storageKey, opened.problem);
      secrets.delete(key);
    } else {
      secrets.set(key, opened);
    }
  }
}

/** LevelDB wraps the reason (a lock, a damaged file) in `cause`; that is what a person needs. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const message = (error as Error).message ?? String(error);
  return cause instanceof Error ? `${message} (${cause.message})` : message;
}

class LevelStore implements Store {
  private readonly history: EventHistory;
  private readonly watchers = new Set<Watcher>();
  /** Keys of each kind in list order, kept until a key comes or goes: most writes change neither. */
  private readonly sortedKeys = new Map<Kind, string[]>();
  private readonly onWatcherError: WatcherErrorReporter;
  private readonly sync: boolean;
  /** Writes waiting for the next group, in the order they were issued. */
  private readonly queue: QueuedWrite[] = [];
  /** Settles once every queued write is committed or refused; undefined when none is queued. */
  private committing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly db: Level<string, string>,
    private readonly box: SecretBox,
    private readonly objects: Map<Kind, Map<string, AnyObject>>,
    private version: number,
    historySize: number,
    options: LevelStoreOptions,
  ) {
    this.history = new EventHistory(historySize, version);
    this.onWatcherError = options.onWatcherError ?? reportWatcherError;
    this.sync = options.sync ?? DEFAULT_SYNC;
  }

  async get<K extends Kind>(kind: K, namespace: string | undefined, name: string): Promise<ObjectOf<K> | undefined> {
    this.assertOpen();
    const id = identifyKey(kind, namespace, name);
    const object = this.objectsOf(id.kind).get(id.key);
    return object as ObjectOf<K> | undefined;
  }

  async list<K extends Kind>(kind: K, options: ListOptions = {}): Promise<ListResult<ObjectOf<K>>> {
    this.assertOpen();
    const checkedKind = knownKind(kind);
    const { namespace, labelSelector } = options;
    const objects = this.objectsOf(checkedKind);
    const matching: AnyObject[] = [];
    for (const key of this.sortedKeysOf(checkedKind)) {
      const object = objects.get(key) as AnyObject;
      if (namespace && object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) continue;
      if (labelSelector && !labelSelector.matches(object.metadata.labels)) continue;
      matching.push(object);
    }
    return {
      items: matching as ObjectOf<K>[],
      resourceVersion: String(this.version),
    };
  }

  async create<T extends AnyObject>(object: T): Promise<T> {
    const id = this.identifyWrite(object);
    const incoming = jsonCopy(object);
    return this.enqueue<T>(id, (current, version) => {
      if (current !== undefined) throw alreadyExists(id);
      const stored = withMetadata(incoming, id, {
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
        generation: 1,
        resourceVersion: String(version),
      });
      return { type: 'ADDED', object: stored };
    });
  }

  async update<T extends AnyObject>(object: T): Promise<T> {
    const id = this.identifyWrite(object);
    const incoming = jsonCopy(object);
    return this.enqueue<T>(id, (current, version) => {
      if (current === undefined) throw notFound(id);
      const given = givenVersion(incoming.metadata.resourceVersion);
      if (given !== undefined && given !== current.metadata.resourceVersion) {
        throw conflict(id, current.metadata.resourceVersion, given);
      }
      const generation = current.metadata.generation ?? 1;
      const stored = withMetadata(incoming, id, {
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        generation: specChanged(current, incoming) ? generation + 1 : generation,
        resourceVersion: String(version),
      });
      return { type: 'MODIFIED', object: stored };
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
    return this.enqueue<ObjectOf<K>>(id, (current, version) => {
      if (current === undefined) throw notFound(id);
      const given = givenVersion(options.resourceVersion);
      if (given !== undefined && given !== current.metadata.resourceVersion) {
        throw conflict(id, current.metadata.resourceVersion, given);
      }
      const last = { ...current, metadata: { ...current.metadata, resourceVersion: String(version) } } as AnyObject;
      return { type: 'DELETED', object: last };
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
      await this.committing;
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

  private sortedKeysOf(kind: Kind): string[] {
    let keys = this.sortedKeys.get(kind);
    if (keys === undefined) {
      const objects = [...this.objectsOf(kind)].sort(([, a], [, b]) => byNamespaceAndName(a, b));
      this.sortedKeys.set(kind, (keys = objects.map(([key]) => key)));
    }
    return keys;
  }

  private objectsOf(kind: Kind): Map<string, AnyObject> {
    let objects = this.objects.get(kind);
    if (objects === undefined) this.objects.set(kind, (objects = new Map()));
    return objects;
  }

  /**
   * Queues a write to the object `id`; `decide` runs when the write's group is committed, with
   * the object as the writes before it leave it and the version the write will get, and says
   * what the write does or throws why it cannot be done.
   */
  private enqueue<R>(id: ObjectIdentity, decide: Decision): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id, decide, resolve: resolve as (object: AnyObject) => void, reject });
      this.committing ??= this.commitQueued();
    });
  }

  /** Commits queued writes group after group until none is left. */
  private async commitQueued(): Promise<void> {
    // Writes issued in the same turn as the first (a Promise.all of updates) join its group.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) await this.commitGroup(this.queue.splice(0, MAX_GROUP_WRITES));
    } finally {
      this.committing = undefined;
    }
  }

  /**
   * Decides each write in order, writes the changes and the new counter in one batch, then,
   * with no await in between, applies them to memory one by one and tells watchers of each: a
   * list never sees a version without its change. Settles every write; never throws.
   */
  private async commitGroup(group: QueuedWrite[]): Promise<void> {
    const decided: { write: QueuedWrite; event: WatchEvent; version: number }[] = [];
    /** Storage key → the object as the group's writes so far leave it; null once deleted. */
    const pending = new Map<string, AnyObject | null>();
    let version = this.version;
    for (const write of group) {
      const { kind, key } = write.id;
      const storageKey = objectStorageKey(kind, key);
      const earlier = pending.get(storageKey);
      const current = earlier === undefined ? this.objectsOf(kind).get(key) : (earlier ?? undefined);
      let event: WatchEvent;
      try {
        event = write.decide(current, version + 1);
      } catch (error) {
        write.reject(error);
        continue;
      }
      version += 1;
      deepFreeze(event.object);
      pending.set(storageKey, event.type === 'DELETED' ? null : event.object);
      decided.push({ write, event, version });
    }
    if (decided.length === 0) return;

    try {
      const operations: BatchOperation[] = decided.map(({ write, event }) => {
        const key = objectStorageKey(write.id.kind, write.id.key);
        return event.type === 'DELETED' ? { type: 'del', key } : { type: 'put', key, value: this.encode(key, event.object) };
      });
      operations.push({ type: 'put', key: VERSION_KEY, value: String(version) });
      await this.db.batch(operations, { sync: this.sync });
    } catch (error) {
      for (const { write } of decided) {
        write.reject(
          new FlotillaError('Unavailable', `the store could not write to disk: ${causeOf(error)}`, {
            hint: 'check free space and permissions of the data directory; nothing was changed',
            cause: error,
          }),
        );
      }
      return;
    }

    for (const { write, event, version } of decided) {
      this.version = version;
      const objects = this.objectsOf(write.id.kind);
      if (event.type !== 'MODIFIED') this.sortedKeys.delete(write.id.kind);
      if (event.type === 'DELETED') objects.delete(write.id.key);
      else objects.set(write.id.key, event.object);
      this.history.push(version, event);
      for (const watcher of [...this.watchers]) this.deliver(watcher, event);
    }
    for (const { write, event } of decided) write.resolve(event.object);
  }

  /** The value kept on disk: JSON, with a Secret's values sealed under the key it is stored at. */
  private encode(storageKey: string, object: AnyObject): string {
    return JSON.stringify(object.kind === 'Secret' ? sealSecretValues(this.box, object, storageKey) : object);
  }

  /** Every watcher gets the same frozen object: none can change what another sees. */
  private deliver(watcher: Watcher, event: WatchEvent): void {
    if (!watcher.active) return;
    if (watcher.kinds !== undefined && !watcher.kinds.has(event.object.kind)) return;
    try {
      watcher.handler(event);
    } catch (error) {
      try {
        this.onWatcherError(error, event);
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
