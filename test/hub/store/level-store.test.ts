import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Level } from 'level';
import { createLevelStore } from '../../../hub/store/level-store.js';
import type { LevelStoreOptions } from '../../../hub/store/level-store.js';
import type { WatchEvent } from '../../../hub/store/store.js';
import type { Secret } from '../../../shared/objects.js';
import { device, pod, recorder, storeContract } from './store-contract.js';

/** Watch handler failures are expected in the contract; keep them out of the test output. */
const quiet: Partial<LevelStoreOptions> = { onWatcherError: () => {}, onCorruptEntry: () => {} };

t.test('the LevelDB store keeps the store contract', async (t) => {
  // The contract is about meaning, not the disk: without a flush per batch its tens of
  // thousands of one-at-a-time writes take seconds instead of most of a minute.
  storeContract(t, (dataDir) => createLevelStore({ dataDir, sync: false, ...quiet }));
});

/** Writes raw values, as a damaged disk or an older release might have left them. */
async function writeRaw(dataDir: string, entries: Record<string, string>): Promise<void> {
  const db = new Level<string, string>(dataDir, { valueEncoding: 'utf8' });
  await db.open();
  await db.batch(Object.entries(entries).map(([key, value]) => ({ type: 'put' as const, key, value })));
  await db.close();
}

t.test('objects and the resourceVersion counter survive close and reopen on the same directory', async (t) => {
  const dataDir = t.testdir();
  const first = await createLevelStore({ dataDir, ...quiet });
  const web = await first.create(pod('web', { namespace: 'plant-3', labels: { app: 'web' } }));
  const running = await first.update({ ...web, status: { phase: 'Running' } });
  const camera = await first.create(device('cam-1', { role: 'camera' }));
  await first.create(pod('temporary'));
  const lastWrite = await first.delete('Pod', 'default', 'temporary');
  await first.close();

  const second = await createLevelStore({ dataDir, ...quiet });
  t.teardown(() => second.close());
  t.same(await second.get('Pod', 'plant-3', 'web'), running, 'the updated pod, exactly');
  t.same(await second.get('Device', undefined, 'cam-1'), camera);
  t.ok(Object.isFrozen((await second.get('Pod', 'plant-3', 'web'))?.metadata.labels), 'read-only after a reload as before it');
  t.equal(await second.get('Pod', 'default', 'temporary'), undefined, 'a deleted object stays deleted');
  t.equal(second.currentResourceVersion(), lastWrite.metadata.resourceVersion, 'the counter, even when the last write was a delete');
  const next = await second.create(pod('after'));
  t.ok(Number(next.metadata.resourceVersion) > Number(lastWrite.metadata.resourceVersion), 'no version is handed out twice');
  await t.rejects(second.update({ ...running, status: { phase: 'Failed' }, metadata: web.metadata }), { code: 'Conflict' });
});

t.test('a watch from a version before the store was reopened fails with Gone rather than missing changes', async (t) => {
  const dataDir = t.testdir();
  const first = await createLevelStore({ dataDir, ...quiet });
  const a = await first.create(pod('a'));
  await first.create(pod('b'));
  await first.close();
  const second = await createLevelStore({ dataDir, ...quiet });
  t.teardown(() => second.close());
  t.throws(() => second.watch({ fromResourceVersion: a.metadata.resourceVersion! }, () => {}), { code: 'Gone' });
  const seen = recorder();
  t.teardown(second.watch({ fromResourceVersion: second.currentResourceVersion() }, seen.handler));
  await second.create(pod('c'));
  t.same(
    seen.events.map((e) => e.object.metadata.name),
    ['c'],
    'watching from the reopened version works',
  );
});

t.test('a watch from a version dropped from a small history fails with Gone, naming the oldest it can replay', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), historySize: 3, ...quiet });
  t.teardown(() => store.close());
  const versions: string[] = [];
  for (const name of ['a', 'b', 'c', 'd', 'e']) versions.push((await store.create(pod(name))).metadata.resourceVersion!);
  t.throws(() => store.watch({ fromResourceVersion: versions[0]! }, () => {}), {
    code: 'Gone',
    message: `the store remembers changes after ${versions[1]} only`,
  });
  const seen = recorder();
  t.teardown(store.watch({ fromResourceVersion: versions[1]! }, seen.handler));
  t.same(
    seen.events.map((e) => e.object.metadata.name),
    ['c', 'd', 'e'],
    'the oldest replayable version still replays everything after it',
  );
});

t.test('an unreadable value is skipped and reported at open, and the rest of the store loads', async (t) => {
  const dataDir = t.testdir();
  const first = await createLevelStore({ dataDir, ...quiet });
  const good = await first.create(pod('good'));
  await first.create(pod('victim'));
  await first.close();
  await writeRaw(dataDir, {
    'o!Pod!default/victim': '{"apiVersion":"v1","kind":"Po',
    'o!Pod!default/impostor': JSON.stringify({ ...pod('someone-else'), metadata: { name: 'someone-else', namespace: 'default', resourceVersion: '1' } }),
    'o!Gizmo!default/x': '{}',
  });

  const reported: string[] = [];
  const second = await createLevelStore({ dataDir, ...quiet, onCorruptEntry: (key, problem) => reported.push(`${key}: ${problem}`) });
  t.teardown(() => second.close());
  t.same(await second.get('Pod', 'default', 'good'), good);
  t.equal(await second.get('Pod', 'default', 'victim'), undefined);
  t.same(
    (await second.list('Pod')).items.map((p) => p.metadata.name),
    ['good'],
  );
  t.equal(reported.length, 3, 'every damaged entry is reported');
  t.match(reported.join('\n'), /o!Pod!default\/victim: the value is not JSON/);
  t.match(reported.join('\n'), /o!Pod!default\/impostor: the value names a different object than its key/);
  t.match(reported.join('\n'), /o!Gizmo!default\/x: the key names no known kind/);
  const recreated = await second.create(pod('victim'));
  t.equal(recreated.metadata.generation, 1, 'the damaged name can be written afresh');
});

t.test('a damaged resourceVersion counter falls back to the newest stored object, so versions never repeat', async (t) => {
  const dataDir = t.testdir();
  const first = await createLevelStore({ dataDir, ...quiet });
  await first.create(pod('a'));
  const newest = await first.create(pod('b'));
  await first.close();
  await writeRaw(dataDir, { 'm!resourceVersion': 'garbage' });

  const reported: string[] = [];
  const second = await createLevelStore({ dataDir, ...quiet, onCorruptEntry: (key) => reported.push(key) });
  t.teardown(() => second.close());
  t.same(reported, ['m!resourceVersion']);
  t.equal(second.currentResourceVersion(), newest.metadata.resourceVersion);
  const next = await second.create(pod('c'));
  t.ok(Number(next.metadata.resourceVersion) > Number(newest.metadata.resourceVersion));
});

t.test('a watch handler that throws is reported through onWatcherError with the event it failed on', async (t) => {
  const failures: { error: unknown; event: WatchEvent }[] = [];
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: (error, event) => failures.push({ error, event }) });
  t.teardown(() => store.close());
  t.teardown(
    store.watch({}, () => {
      throw new Error('handler broke');
    }),
  );
  await store.create(pod('web'));
  t.equal(failures.length, 1);
  t.match(failures[0], { error: { message: 'handler broke' }, event: { type: 'ADDED', object: { metadata: { name: 'web' } } } });
});

t.test('a reporter that throws as well still does not fail the write', async (t) => {
  const store = await createLevelStore({
    dataDir: t.testdir(),
    onWatcherError: () => {
      throw new Error('reporter broke');
    },
  });
  t.teardown(() => store.close());
  t.teardown(
    store.watch({}, () => {
      throw new Error('handler broke');
    }),
  );
  const created = await store.create(pod('web'));
  t.equal(created.metadata.name, 'web');
});

t.test('a second store cannot open a directory already in use, and says what to do', async (t) => {
  const dataDir = t.testdir();
  const first = await createLevelStore({ dataDir, ...quiet });
  t.teardown(() => first.close());
  await t.rejects(createLevelStore({ dataDir, ...quiet }), {
    code: 'Unavailable',
    message: /cannot open the store in .*lock/,
    hint: /another hub may be using this data directory/,
  });
});

t.test('a write LevelDB refuses leaves memory, the version and watchers untouched', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), ...quiet });
  t.teardown(() => store.close());
  const created = await store.create(pod('web'));
  const seen = recorder();
  t.teardown(store.watch({}, seen.handler));
  const before = store.currentResourceVersion();
  // Reach the private handle to simulate a failing disk; no public API can make LevelDB fail on cue.
  const db = (store as unknown as { db: Level<string, string> }).db;
  const batch = db.batch.bind(db);
  (db as unknown as { batch: () => Promise<never> }).batch = () => Promise.reject(new Error('No space left on device'));
  await t.rejects(store.update({ ...created, status: { phase: 'Running' } }), {
    code: 'Unavailable',
    message: /No space left on device/,
  });
  t.same(await store.get('Pod', 'default', 'web'), created);
  t.equal(store.currentResourceVersion(), before);
  t.same(seen.events, []);
  (db as unknown as { batch: typeof batch }).batch = batch;
  const updated = await store.update({ ...created, status: { phase: 'Running' } });
  t.equal(Number(updated.metadata.resourceVersion), Number(before) + 1, 'the next write takes the version the failed one did not use');
});

t.test('a label named __proto__ is kept as an ordinary label, not turned into a prototype', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), ...quiet });
  t.teardown(() => store.close());
  const labels: Record<string, string> = {};
  Object.defineProperty(labels, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
  await store.create(pod('odd', { labels }));
  const read = await store.get('Pod', 'default', 'odd');
  t.same(Object.keys(read?.metadata.labels ?? {}), ['__proto__']);
  t.equal(Object.getPrototypeOf(read?.metadata.labels), Object.prototype);
});

t.test('refuses to open with a history size that is not a positive whole number', async (t) => {
  await t.rejects(createLevelStore({ dataDir: t.testdir(), historySize: 0 }), { code: 'Invalid', message: /history size/ });
});

t.test('a data directory that cannot be created is reported as such, not as a lock', async (t) => {
  const parent = t.testdir({ 'a-file': 'not a directory' });
  await t.rejects(createLevelStore({ dataDir: `${parent}/a-file/store`, ...quiet }), {
    code: 'Unavailable',
    hint: /can be created and written/,
  });
});

// ---- Group commit: writes that queue up while LevelDB is busy go to disk together.

type Batch = Level<string, string>['batch'];
type BatchOperations = { type: 'put' | 'del'; key: string; value?: string }[];
type BatchOptions = { sync?: boolean };

/**
 * Watches the store's LevelDB batches: how many operations each carried. `hold()` makes the
 * next batch wait until `release()`, as a slow disk would; `failNext()` makes the next one fail.
 */
function spyOnBatches(store: object) {
  // Reach the private handle: no public API shows how writes reach LevelDB.
  const db = (store as { db: Level<string, string> }).db;
  const batch = db.batch.bind(db) as (operations: BatchOperations, options?: BatchOptions) => Promise<void>;
  const sizes: number[] = [];
  const options: (BatchOptions | undefined)[] = [];
  let gate: Promise<void> | undefined;
  let open: () => void = () => {};
  let started: () => void = () => {};
  let failure: Error | undefined;
  (db as unknown as { batch: (operations: BatchOperations, options?: BatchOptions) => Promise<void> }).batch = async (operations, batchOptions) => {
    sizes.push(operations.length);
    options.push(batchOptions);
    started();
    if (gate !== undefined) await gate;
    if (failure !== undefined) {
      const error = failure;
      failure = undefined;
      throw error;
    }
    return batch(operations, batchOptions);
  };
  return {
    sizes,
    /** The options each batch was written with. */
    options,
    /** Resolves once the next batch has been handed to LevelDB, and holds it there. */
    hold(): Promise<void> {
      gate = new Promise((resolve) => (open = resolve));
      return new Promise((resolve) => (started = resolve));
    },
    release(): void {
      gate = undefined;
      open();
    },
    failNext(error: Error): void {
      failure = error;
    },
    restore(): void {
      (db as unknown as { batch: Batch }).batch = batch as unknown as Batch;
    },
  };
}

t.test('writes issued together reach LevelDB in one batch, each with the next version in the order issued', async (t) => {
  const dataDir = t.testdir();
  const store = await createLevelStore({ dataDir, ...quiet });
  const batches = spyOnBatches(store);
  const before = Number(store.currentResourceVersion());
  const created = await Promise.all(['a', 'b', 'c', 'd'].map((name) => store.create(pod(name))));
  t.same(
    created.map((p) => Number(p.metadata.resourceVersion)),
    [before + 1, before + 2, before + 3, before + 4],
  );
  t.same(batches.sizes, [5], 'one batch: four objects and the counter');
  await store.close();

  const reopened = await createLevelStore({ dataDir, ...quiet });
  t.teardown(() => reopened.close());
  t.equal(reopened.currentResourceVersion(), String(before + 4), 'the counter on disk is the last write of the group');
  t.same(
    (await reopened.list('Pod')).items.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`),
    created.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`),
  );
});

t.test('every batch is flushed to the disk itself before its writes are acknowledged, unless the store is told not to', async (t) => {
  const durable = await createLevelStore({ dataDir: t.testdir(), ...quiet });
  t.teardown(() => durable.close());
  const batches = spyOnBatches(durable);
  await Promise.all(['a', 'b'].map((name) => durable.create(pod(name))));
  await durable.delete('Pod', 'default', 'a');
  t.same(batches.options, [{ sync: true }, { sync: true }], 'sync by default: a power cut loses no acknowledged write');

  const dataDir = join(t.testdir(), 'unsynced');
  const unsynced = await createLevelStore({ dataDir, sync: false, ...quiet });
  t.teardown(() => unsynced.close());
  const unsyncedBatches = spyOnBatches(unsynced);
  await unsynced.create(pod('a'));
  t.same(unsyncedBatches.options, [{ sync: false }]);
});

t.test('writes issued while a batch is on its way to disk wait for it, then go to disk together', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), ...quiet });
  t.teardown(() => store.close());
  const batches = spyOnBatches(store);
  const seen = recorder();
  t.teardown(store.watch({}, seen.handler));
  const held = batches.hold();
  const first = store.create(pod('first'));
  await held;
  const later = ['b', 'c', 'd'].map((name) => store.create(pod(name)));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(batches.sizes, [2], 'nothing else is written while the first batch is in flight');
  t.same(seen.events, [], 'and nobody hears of the first write before it is on disk');
  batches.release();
  const written = await Promise.all([first, ...later]);
  t.same(batches.sizes, [2, 4], 'the three writes that queued up meanwhile share the next batch');
  t.same(
    seen.summary(),
    written.map((p) => `ADDED Pod ${p.metadata.name} @${p.metadata.resourceVersion}`),
    'watchers hear of every write, in version order',
  );
});

t.test('each write of a group is checked against the writes before it in the same group', async (t) => {
  const dataDir = t.testdir();
  const store = await createLevelStore({ dataDir, ...quiet });
  const batches = spyOnBatches(store);
  const v = Number(store.currentResourceVersion());
  const [created, updated, stale, deleted, recreated, duplicate] = await Promise.allSettled([
    store.create(pod('web')),
    // No resourceVersion: applies to the object the create above makes.
    store.update({ ...pod('web'), status: { phase: 'Running' } }),
    // The create's version, already replaced by the update's.
    store.update({ ...pod('web'), metadata: { name: 'web', resourceVersion: String(v + 1) } }),
    store.delete('Pod', 'default', 'web'),
    store.create(pod('web', { labels: { take: 'two' } })),
    store.create(pod('web')),
  ]);
  t.same(batches.sizes, [5], 'one batch: four changes and the counter');
  t.match(created, { status: 'fulfilled', value: { metadata: { resourceVersion: String(v + 1), generation: 1 } } });
  t.match(updated, { status: 'fulfilled', value: { metadata: { resourceVersion: String(v + 2) }, status: { phase: 'Running' } } });
  t.equal(updated.status === 'fulfilled' && created.status === 'fulfilled' && updated.value.metadata.uid, created.status === 'fulfilled' && created.value.metadata.uid, 'the update keeps the uid the create gave');
  t.match(stale, { status: 'rejected', reason: { code: 'Conflict', message: new RegExp(`stored resourceVersion ${v + 2}, given ${v + 1}`) } });
  t.match(deleted, { status: 'fulfilled', value: { metadata: { resourceVersion: String(v + 3) } } });
  t.match(recreated, { status: 'fulfilled', value: { metadata: { resourceVersion: String(v + 4), labels: { take: 'two' } } } });
  t.not(recreated.status === 'fulfilled' && recreated.value.metadata.uid, created.status === 'fulfilled' && created.value.metadata.uid, 'created again, as a new object');
  t.match(duplicate, { status: 'rejected', reason: { code: 'AlreadyExists' } });
  t.equal(store.currentResourceVersion(), String(v + 4), 'refused writes take no version');
  await store.close();

  const reopened = await createLevelStore({ dataDir, ...quiet });
  t.teardown(() => reopened.close());
  const web = await reopened.get('Pod', 'default', 'web');
  t.same(web, recreated.status === 'fulfilled' ? recreated.value : undefined, 'disk holds what the last write of the group left');
});

t.test('a batch LevelDB refuses fails every write in it and none of them reaches memory, the counter or watchers', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), ...quiet });
  t.teardown(() => store.close());
  const kept = await store.create(pod('kept'));
  const doomed = await store.create(pod('doomed'));
  const batches = spyOnBatches(store);
  const seen = recorder();
  t.teardown(store.watch({}, seen.handler));
  const before = store.currentResourceVersion();
  batches.failNext(new Error('No space left on device'));
  const results = await Promise.allSettled([
    store.create(pod('new')),
    store.update({ ...kept, status: { phase: 'Running' } }),
    store.delete('Pod', 'default', 'doomed'),
  ]);
  t.same(batches.sizes, [4]);
  for (const result of results) t.match(result, { status: 'rejected', reason: { code: 'Unavailable', message: /No space left on device/ } });
  t.equal(store.currentResourceVersion(), before);
  t.same(seen.events, []);
  t.same(
    (await store.list('Pod')).items,
    [doomed, kept],
    'memory is as it was before the batch',
  );
  const next = await store.create(pod('new'));
  t.equal(Number(next.metadata.resourceVersion), Number(before) + 1, 'the next write takes the first version the refused batch did not use');
});

t.test('writes queued behind a refused batch are checked against what is really stored, and committed', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), ...quiet });
  t.teardown(() => store.close());
  const batches = spyOnBatches(store);
  const held = batches.hold();
  batches.failNext(new Error('I/O error'));
  const refused = store.create(pod('web', { labels: { attempt: 'first' } }));
  await held;
  // Issued while the first create is in flight: had it been checked against that create, it would fail with AlreadyExists.
  const second = store.create(pod('web', { labels: { attempt: 'second' } }));
  batches.release();
  await t.rejects(refused, { code: 'Unavailable' });
  const created = await second;
  t.same(created.metadata.labels, { attempt: 'second' });
  t.same(batches.sizes, [2, 2]);
  t.same(await store.get('Pod', 'default', 'web'), created);
});

t.test('a watcher reading the store while it hears of a change sees that change and no later one', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), ...quiet });
  t.teardown(() => store.close());
  const observed: string[] = [];
  t.teardown(
    store.watch({}, (event) => {
      observed.push(`${event.object.metadata.name}@${event.object.metadata.resourceVersion} store@${store.currentResourceVersion()}`);
    }),
  );
  const written = await Promise.all(['a', 'b', 'c'].map((name) => store.create(pod(name))));
  t.same(
    observed,
    written.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion} store@${p.metadata.resourceVersion}`),
  );
});

t.test('closing waits for every queued write, batched or not yet', async (t) => {
  const dataDir = t.testdir();
  const store = await createLevelStore({ dataDir, ...quiet });
  const batches = spyOnBatches(store);
  const held = batches.hold();
  const first = store.create(pod('a'));
  await held;
  const queued = [store.create(pod('b')), store.create(pod('c'))];
  const closed = store.close();
  batches.release();
  await Promise.all([first, ...queued, closed]);
  const reopened = await createLevelStore({ dataDir, ...quiet });
  t.teardown(() => reopened.close());
  t.same(
    (await reopened.list('Pod')).items.map((p) => p.metadata.name),
    ['a', 'b', 'c'],
  );
});

// ---- Secrets at rest

function secret(name: string, data: Record<string, string>, namespace = 'default'): Secret {
  const encoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: encoded };
}

/** Every file under `dir`, as raw bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const files: { path: string; bytes: Buffer }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path, bytes: await readFile(path) });
  }
  return files;
}

function filesHolding(files: { path: string; bytes: Buffer }[], text: string): string[] {
  return files.filter((file) => file.bytes.includes(Buffer.from(text))).map((file) => file.path);
}

t.test("a Secret's key names and values are in none of the store's files, while a pod's label in the same store is", async (t) => {
  const dataDir = t.testdir();
  const value = `value-${randomBytes(6).toString('hex')}`;
  const keyName = `key-${randomBytes(6).toString('hex')}`;
  const label = `label-${randomBytes(6).toString('hex')}`;
  const store = await createLevelStore({ dataDir, ...quiet });
  const written = await store.create(secret('db', { [keyName]: value }));
  await store.update({ ...written, metadata: { ...written.metadata, labels: { rotated: 'yes' } } });
  await store.create(pod('web', { labels: { app: label } }));
  await store.close();

  const files = await filesUnder(dataDir);
  t.ok(files.length > 0, 'the store wrote files');
  t.not(filesHolding(files, label).length, 0, "the search finds the pod's label, stored in the clear");
  t.same(filesHolding(files, value), [], 'the value is in no file');
  t.same(filesHolding(files, Buffer.from(value).toString('base64')), [], 'nor its base64');
  t.same(filesHolding(files, keyName), [], 'nor the name of its key');
});

t.test('a Secret reads back with its values after the store is closed and opened again', async (t) => {
  const dataDir = t.testdir();
  const first = await createLevelStore({ dataDir, ...quiet });
  const written = await first.create(secret('db', { password: 's3cr3t', user: 'app' }));
  await first.close();
  const second = await createLevelStore({ dataDir, ...quiet });
  t.teardown(() => second.close());
  const read = await second.get('Secret', 'default', 'db');
  t.same(read, written, 'exactly the object written');
  t.equal(Buffer.from(read?.data?.['password'] ?? '', 'base64').toString(), 's3cr3t');
  t.ok(Object.isFrozen(read?.data), 'read-only as every stored object');
});

t.test('a store opened with another key than its Secrets were written with fails at open, saying so', async (t) => {
  const dataDir = t.testdir();
  const first = await createLevelStore({ dataDir, ...quiet });
  await first.create(secret('db', { password: 's3cr3t' }));
  await first.close();
  await writeFile(join(dataDir, 'secrets.key'), `${randomBytes(32).toString('base64')}\n`);
  await t.rejects(createLevelStore({ dataDir, ...quiet }), {
    code: 'Unavailable',
    message: /the secrets key .*secrets\.key is not the key this store's Secrets were encrypted with/,
    hint: /the key file it was first started with/,
  });
});

t.test('a store whose key file is lost fails at open instead of making a new key', async (t) => {
  const root = t.testdir();
  const dataDir = join(root, 'data');
  const keyFile = join(root, 'elsewhere', 'hub.key');
  const first = await createLevelStore({ dataDir, secretsKeyFile: keyFile, ...quiet });
  await first.close();
  await t.rejects(createLevelStore({ dataDir, secretsKeyFile: join(root, 'moved.key'), ...quiet }), {
    code: 'Unavailable',
    message: /moved\.key is missing, and the store holds Secrets encrypted with it/,
  });
  await t.rejects(stat(join(root, 'moved.key')), { code: 'ENOENT' }, 'no key was made in its place');
  const again = await createLevelStore({ dataDir, secretsKeyFile: keyFile, ...quiet });
  await again.close();
});

t.test('the secrets key can live outside the data directory, readable by its owner only', async (t) => {
  const root = t.testdir();
  const dataDir = join(root, 'data');
  const keyFile = join(root, 'keys', 'flotilla.key');
  const store = await createLevelStore({ dataDir, secretsKeyFile: keyFile, ...quiet });
  await store.close();
  t.equal((await stat(keyFile)).mode & 0o777, 0o600);
  await t.rejects(stat(join(dataDir, 'secrets.key')), { code: 'ENOENT' }, 'none in the data directory');
  const inDataDir = join(root, 'other');
  const defaulted = await createLevelStore({ dataDir: inDataDir, ...quiet });
  await defaulted.close();
  t.equal((await stat(join(inDataDir, 'secrets.key'))).mode & 0o777, 0o600, 'by default, in the data directory');
});

t.test("a Secret's sealed values copied under another Secret's name are reported and not loaded", async (t) => {
  const dataDir = t.testdir();
  const first = await createLevelStore({ dataDir, ...quiet });
  await first.create(secret('a', { password: 'for-a' }));
  await first.create(secret('b', { password: 'for-b' }));
  await first.close();
  const db = new Level<string, string>(dataDir, { valueEncoding: 'utf8' });
  await db.open();
  const storedA = JSON.parse((await db.get('o!Secret!default/a')) ?? '{}') as Secret;
  await db.put('o!Secret!default/b', JSON.stringify({ ...storedA, metadata: { ...storedA.metadata, name: 'b' } }));
  await db.put('o!Secret!default/plain', JSON.stringify({ ...secret('plain', { x: 'y' }), metadata: { name: 'plain', namespace: 'default', resourceVersion: '1' } }));
  await db.close();

  const reported: string[] = [];
  const second = await createLevelStore({ dataDir, ...quiet, onCorruptEntry: (key, problem) => reported.push(`${key}: ${problem}`) });
  t.teardown(() => second.close());
  t.equal(Buffer.from((await second.get('Secret', 'default', 'a'))?.data?.['password'] ?? '', 'base64').toString(), 'for-a');
  t.equal(await second.get('Secret', 'default', 'b'), undefined, "a's values do not pass as b's");
  t.equal(await second.get('Secret', 'default', 'plain'), undefined);
  t.match(reported.join('\n'), /o!Secret!default\/b: .*copied from another Secret/);
  t.match(reported.join('\n'), /o!Secret!default\/plain: a Secret stored without encryption/);
});

t.test('watchers and reads see a Secret with its values: only the disk holds them sealed', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), ...quiet });
  t.teardown(() => store.close());
  const seen = recorder();
  t.teardown(store.watch({ kinds: ['Secret'] }, seen.handler));
  const written = await store.create(secret('db', { password: 's3cr3t' }));
  t.same((seen.events[0]?.object as Secret | undefined)?.data, written.data);
  t.same((await store.list('Secret')).items[0]?.data, { password: Buffer.from('s3cr3t').toString('base64') });
});

// ---- Crashes: what a killed process had acknowledged is on disk.

const CRASH_WRITER = join(dirname(fileURLToPath(import.meta.url)), 'crash-writer.ts');

/** Runs crash-writer.ts until it has acknowledged `acks` writes, kills it with SIGKILL, and returns what it acknowledged. */
async function writeUntilKilled(dataDir: string, sync: boolean, acks: number): Promise<Map<string, string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, dataDir, String(sync)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged = new Map<string, string>();
  let pending = '';
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const [name = '', version = ''] = line.split(' ');
      acknowledged.set(name, version);
    }
    if (acknowledged.size >= acks) child.kill('SIGKILL');
  });
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the writer ended by itself (${String(signal)}): ${errors}`);
  return acknowledged;
}

for (const sync of [true, false]) {
  t.test(`every write acknowledged before the process is killed with SIGKILL is there after a restart (sync ${sync})`, async (t) => {
    const dataDir = t.testdir();
    const acknowledged = await writeUntilKilled(dataDir, sync, 1500);
    t.ok(acknowledged.size >= 1500, `${acknowledged.size} writes acknowledged before the kill`);
    const reopened = await createLevelStore({ dataDir, ...quiet });
    t.teardown(() => reopened.close());
    const stored = new Map((await reopened.list('Pod')).items.map((p) => [p.metadata.name, p.metadata.resourceVersion]));
    const lost = [...acknowledged].filter(([name, version]) => stored.get(name) !== version);
    t.same(lost, [], 'no acknowledged write is missing or different');
    const newest = Math.max(...[...acknowledged.values()].map(Number));
    t.ok(Number(reopened.currentResourceVersion()) >= newest, 'the counter is past every acknowledged version, so none is handed out twice');
  });
}
