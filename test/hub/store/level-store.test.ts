import t from 'tap';
import { Level } from 'level';
import { createLevelStore } from '../../../hub/store/level-store.js';
import type { LevelStoreOptions } from '../../../hub/store/level-store.js';
import type { WatchEvent } from '../../../hub/store/store.js';
import { device, pod, recorder, storeContract } from './store-contract.js';

/** Watch handler failures are expected in the contract; keep them out of the test output. */
const quiet: Partial<LevelStoreOptions> = { onWatcherError: () => {}, onCorruptEntry: () => {} };

t.test('the LevelDB store keeps the store contract', async (t) => {
  storeContract(t, (dataDir) => createLevelStore({ dataDir, ...quiet }));
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
