/**
 * What every store backend must do, whatever it keeps its data in. A backend's test file
 * calls `storeContract(t, build)`; `build` opens a fresh, empty store in the given directory.
 */
import type { Test } from 'tap';
import type { Store, WatchEvent } from '../../../hub/store/store.js';
import type { Device, Pod } from '../../../shared/objects.js';
import { parseSelector } from '../../../shared/selector.js';

export type BuildStore = (dataDir: string) => Promise<Store>;

export function pod(name: string, options: { namespace?: string; labels?: Record<string, string>; image?: string } = {}): Pod {
  const metadata: Pod['metadata'] = { name };
  if (options.namespace !== undefined) metadata.namespace = options.namespace;
  if (options.labels !== undefined) metadata.labels = options.labels;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { containers: [{ name: 'main', image: options.image ?? 'busybox:1' }] },
  };
}

export function device(name: string, labels?: Record<string, string>): Device {
  const metadata: Device['metadata'] = { name };
  if (labels !== undefined) metadata.labels = labels;
  return { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata, spec: {} };
}

/** Opens a store in a directory of the test's own, closed when the test ends. */
export async function openFor(t: Test, build: BuildStore): Promise<Store> {
  const store = await build(t.testdir());
  t.teardown(() => store.close());
  return store;
}

/** Records what a watch delivers, in order. */
export function recorder(): { events: WatchEvent[]; handler: (event: WatchEvent) => void; summary: () => string[] } {
  const events: WatchEvent[] = [];
  return {
    events,
    handler: (event) => events.push(event),
    summary: () => events.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name} @${e.object.metadata.resourceVersion}`),
  };
}

function wholeWord(text: string): RegExp {
  return new RegExp(`\\b${text}\\b`);
}

function versionOf(object: { metadata: { resourceVersion?: string } }): number {
  return Number(object.metadata.resourceVersion);
}

export function storeContract(t: Test, build: BuildStore): void {
  t.test('creating and reading back', async (t) => {
    t.test('creates an object and reads the same object back by kind, namespace and name', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web', { namespace: 'plant-3', labels: { app: 'web' } }));
      const read = await store.get('Pod', 'plant-3', 'web');
      t.same(read, created);
      t.same(read?.spec, pod('web').spec);
      t.same(read?.metadata.labels, { app: 'web' });
    });

    t.test('sets uid, creationTimestamp, generation 1 and a resourceVersion on create', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web'));
      t.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
      t.ok(!Number.isNaN(Date.parse(created.metadata.creationTimestamp ?? '')), 'creationTimestamp is a date');
      t.equal(created.metadata.generation, 1);
      t.match(created.metadata.resourceVersion, /^\d+$/);
      const other = await store.create(pod('db'));
      t.not(other.metadata.uid, created.metadata.uid, 'each object has its own uid');
    });

    t.test('ignores server-owned metadata the caller sends on create', async (t) => {
      const store = await openFor(t, build);
      const sent = pod('web');
      sent.metadata.uid = 'made-up';
      sent.metadata.generation = 42;
      sent.metadata.resourceVersion = '999999';
      const created = await store.create(sent);
      t.not(created.metadata.uid, 'made-up');
      t.equal(created.metadata.generation, 1);
      t.not(created.metadata.resourceVersion, '999999');
    });

    t.test('puts a namespaced object without a namespace into "default"', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web'));
      t.equal(created.metadata.namespace, 'default');
      t.ok(await store.get('Pod', 'default', 'web'));
      t.ok(await store.get('Pod', undefined, 'web'), 'an undefined namespace means "default" on reads too');
    });

    t.test('stores a cluster-scoped object without a namespace and finds it by name', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(device('cam-1'));
      t.equal(created.metadata.namespace, undefined);
      t.same(await store.get('Device', undefined, 'cam-1'), created);
    });

    t.test('refuses a namespace on a cluster-scoped kind, naming the field, and writes nothing', async (t) => {
      const store = await openFor(t, build);
      const before = store.currentResourceVersion();
      const wrong = device('cam-1');
      wrong.metadata.namespace = 'plant-3';
      await t.rejects(store.create(wrong), {
        code: 'Invalid',
        details: [{ field: 'metadata.namespace' }],
      });
      t.equal(await store.get('Device', undefined, 'cam-1'), undefined);
      t.equal(store.currentResourceVersion(), before);
    });

    t.test('refuses an object without a name', async (t) => {
      const store = await openFor(t, build);
      await t.rejects(store.create(pod('')), { code: 'Invalid', details: [{ field: 'metadata.name' }] });
    });

    t.test('refuses to create an object whose name is taken and leaves the first one as it was', async (t) => {
      const store = await openFor(t, build);
      const first = await store.create(pod('web', { image: 'nginx:1' }));
      await t.rejects(store.create(pod('web', { image: 'nginx:2' })), {
        code: 'AlreadyExists',
        message: 'pod default/web already exists',
      });
      t.same(await store.get('Pod', 'default', 'web'), first);
    });

    t.test('allows the same name in two namespaces and for two kinds', async (t) => {
      const store = await openFor(t, build);
      await store.create(pod('web', { namespace: 'a' }));
      await store.create(pod('web', { namespace: 'b' }));
      await store.create(device('web'));
      t.equal((await store.get('Pod', 'a', 'web'))?.metadata.namespace, 'a');
      t.equal((await store.get('Pod', 'b', 'web'))?.metadata.namespace, 'b');
      t.equal((await store.get('Device', undefined, 'web'))?.kind, 'Device');
    });

    t.test('returns undefined for an object that does not exist', async (t) => {
      const store = await openFor(t, build);
      await store.create(pod('web', { namespace: 'a' }));
      t.equal(await store.get('Pod', 'default', 'web'), undefined, 'same name, other namespace');
      t.equal(await store.get('Deployment', 'a', 'web'), undefined, 'same name, other kind');
    });
    t.end();
  });

  t.test('resource versions', async (t) => {
    t.test('gives every write a higher resourceVersion than the one before', async (t) => {
      const store = await openFor(t, build);
      const start = Number(store.currentResourceVersion());
      const a = await store.create(pod('a'));
      const b = await store.create(pod('b'));
      const a2 = await store.update({ ...a, spec: pod('a', { image: 'nginx:2' }).spec });
      const gone = await store.delete('Pod', 'default', 'b');
      const versions = [start, versionOf(a), versionOf(b), versionOf(a2), versionOf(gone)];
      for (let i = 1; i < versions.length; i++) {
        t.ok(versions[i]! > versions[i - 1]!, `write ${i} (${versions[i]}) is above ${versions[i - 1]}`);
      }
      t.equal(store.currentResourceVersion(), gone.metadata.resourceVersion, 'the current version is the last write');
    });

    t.test('gives concurrent writes distinct, increasing versions in the order they were issued', async (t) => {
      const store = await openFor(t, build);
      const created = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => store.create(pod(name))));
      const versions = created.map(versionOf);
      t.same(versions, [...versions].sort((x, y) => x - y), 'issue order');
      t.equal(new Set(versions).size, versions.length, 'no version is handed out twice');
    });

    t.test("a list's resourceVersion is the store's latest", async (t) => {
      const store = await openFor(t, build);
      await store.create(pod('a'));
      const last = await store.create(device('cam-1'));
      const list = await store.list('Pod');
      t.equal(list.resourceVersion, last.metadata.resourceVersion, 'includes writes to other kinds');
    });
    t.end();
  });

  t.test('updating', async (t) => {
    t.test('an update with the current resourceVersion is applied and read back', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web'));
      const changed = { ...created, metadata: { ...created.metadata, labels: { tier: 'front' } } };
      const updated = await store.update(changed);
      t.same(updated.metadata.labels, { tier: 'front' });
      t.same(await store.get('Pod', 'default', 'web'), updated);
    });

    t.test('refuses an update carrying a stale resourceVersion, names both versions, and changes nothing', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web', { image: 'nginx:1' }));
      const current = await store.update({ ...created, spec: pod('web', { image: 'nginx:2' }).spec });
      const seen = recorder();
      t.teardown(store.watch({}, seen.handler));
      const before = store.currentResourceVersion();
      const error = await store.update({ ...created, spec: pod('web', { image: 'nginx:3' }).spec }).catch((e: unknown) => e);
      t.match(error, {
        code: 'Conflict',
        message: /pod default\/web: the object has been modified; re-read it and apply your change again/,
      });
      t.match((error as Error).message, wholeWord(current.metadata.resourceVersion!), 'names the stored version');
      t.match((error as Error).message, wholeWord(created.metadata.resourceVersion!), 'names the given version');
      t.same(await store.get('Pod', 'default', 'web'), current, 'the stored object is unchanged');
      t.equal(store.currentResourceVersion(), before, 'no version was used up');
      t.same(seen.events, [], 'watchers heard nothing');
    });

    t.test('of two updates sent with the same resourceVersion at once, exactly one wins', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web'));
      const results = await Promise.allSettled([
        store.update({ ...created, spec: pod('web', { image: 'one' }).spec }),
        store.update({ ...created, spec: pod('web', { image: 'two' }).spec }),
      ]);
      t.same(
        results.map((r) => r.status),
        ['fulfilled', 'rejected'],
      );
      t.match((results[1] as PromiseRejectedResult).reason, { code: 'Conflict' });
      t.equal((await store.get('Pod', 'default', 'web'))?.spec.containers[0]?.image, 'one');
    });

    t.test('an update without a resourceVersion is applied whatever the stored version', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web'));
      await store.update({ ...created, metadata: { ...created.metadata, labels: { a: '1' } } });
      const blind = pod('web', { image: 'nginx:9' });
      const updated = await store.update(blind);
      t.equal(updated.spec.containers[0]?.image, 'nginx:9');
    });

    t.test('fails with NotFound, naming the object, when updating one that does not exist', async (t) => {
      const store = await openFor(t, build);
      await t.rejects(store.update(pod('ghost')), { code: 'NotFound', message: 'pod default/ghost not found' });
      await t.rejects(store.update(device('cam-9')), { code: 'NotFound', message: 'device cam-9 not found' });
    });

    t.test('keeps uid and creationTimestamp across updates, even when the caller sends others', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web'));
      const updated = await store.update({
        ...created,
        metadata: { ...created.metadata, uid: 'forged', creationTimestamp: '2000-01-01T00:00:00.000Z' },
      });
      t.equal(updated.metadata.uid, created.metadata.uid);
      t.equal(updated.metadata.creationTimestamp, created.metadata.creationTimestamp);
    });

    t.test('bumps generation when the spec changes, and not for status, labels or an identical spec', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web'));
      const withStatus = await store.update({ ...created, status: { phase: 'Running' } });
      t.equal(withStatus.metadata.generation, 1, 'status write');
      const relabelled = await store.update({ ...withStatus, metadata: { ...withStatus.metadata, labels: { a: 'b' } } });
      t.equal(relabelled.metadata.generation, 1, 'label change');
      const sameSpec = await store.update({ ...relabelled, spec: structuredClone(relabelled.spec) });
      t.equal(sameSpec.metadata.generation, 1, 'identical spec');
      const newSpec = await store.update({ ...sameSpec, spec: pod('web', { image: 'nginx:2' }).spec });
      t.equal(newSpec.metadata.generation, 2, 'spec change');
      const again = await store.update({ ...newSpec, spec: pod('web', { image: 'nginx:3' }).spec });
      t.equal(again.metadata.generation, 3, 'another spec change');
    });

    t.test('does not count a reordering of spec fields as a spec change', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create({ ...pod('web'), spec: { restartPolicy: 'Always', containers: [{ name: 'm', image: 'i' }] } });
      const reordered = await store.update({ ...created, spec: { containers: [{ image: 'i', name: 'm' }], restartPolicy: 'Always' } });
      t.equal(reordered.metadata.generation, 1);
    });

    t.test('refuses a namespace on a cluster-scoped kind on update too', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(device('cam-1'));
      await t.rejects(store.update({ ...created, metadata: { ...created.metadata, namespace: 'x' } }), {
        code: 'Invalid',
        details: [{ field: 'metadata.namespace' }],
      });
    });
    t.end();
  });

  t.test('deleting', async (t) => {
    t.test('deletes an object and returns it as last stored, with the deletion as its resourceVersion', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web', { labels: { app: 'web' } }));
      const deleted = await store.delete('Pod', 'default', 'web');
      t.equal(deleted.metadata.uid, created.metadata.uid);
      t.same(deleted.metadata.labels, { app: 'web' });
      t.ok(versionOf(deleted) > versionOf(created));
      t.equal(deleted.metadata.resourceVersion, store.currentResourceVersion());
      t.equal(await store.get('Pod', 'default', 'web'), undefined);
      t.same((await store.list('Pod')).items, []);
    });

    t.test('a deleted name can be created again, as a new object', async (t) => {
      const store = await openFor(t, build);
      const first = await store.create(pod('web'));
      await store.delete('Pod', 'default', 'web');
      const second = await store.create(pod('web'));
      t.not(second.metadata.uid, first.metadata.uid);
      t.equal(second.metadata.generation, 1);
    });

    t.test('fails with NotFound when deleting an object that does not exist', async (t) => {
      const store = await openFor(t, build);
      await t.rejects(store.delete('Pod', 'default', 'ghost'), { code: 'NotFound', message: 'pod default/ghost not found' });
    });

    t.test('refuses a delete carrying a stale resourceVersion and keeps the object', async (t) => {
      const store = await openFor(t, build);
      const created = await store.create(pod('web'));
      const updated = await store.update({ ...created, status: { phase: 'Running' } });
      await t.rejects(store.delete('Pod', 'default', 'web', { resourceVersion: created.metadata.resourceVersion! }), {
        code: 'Conflict',
      });
      t.same(await store.get('Pod', 'default', 'web'), updated);
      const deleted = await store.delete('Pod', 'default', 'web', { resourceVersion: updated.metadata.resourceVersion! });
      t.equal(deleted.metadata.uid, created.metadata.uid, 'the current version deletes it');
    });
    t.end();
  });

  t.test('listing', async (t) => {
    t.test('lists one kind only, sorted by namespace and then name', async (t) => {
      const store = await openFor(t, build);
      for (const [namespace, name] of [
        ['b', 'x'],
        ['a-b', 'z'],
        ['a', 'y'],
        ['a', 'b'],
      ] as const) {
        await store.create(pod(name, { namespace }));
      }
      await store.create(device('cam-1'));
      const { items } = await store.list('Pod');
      t.same(
        items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
        ['a/b', 'a/y', 'a-b/z', 'b/x'],
      );
      t.ok(items.every((p) => p.kind === 'Pod'));
      t.same((await store.list('Deployment')).items, [], 'a kind with nothing stored lists empty');
    });

    t.test('lists only the namespace asked for', async (t) => {
      const store = await openFor(t, build);
      await store.create(pod('web', { namespace: 'plant-3' }));
      await store.create(pod('db', { namespace: 'plant-3' }));
      await store.create(pod('web', { namespace: 'plant-4' }));
      const { items } = await store.list('Pod', { namespace: 'plant-3' });
      t.same(
        items.map((p) => p.metadata.name),
        ['db', 'web'],
      );
      t.same((await store.list('Pod', { namespace: 'nowhere' })).items, []);
    });

    t.test('lists only objects whose labels match the selector', async (t) => {
      const store = await openFor(t, build);
      await store.create(device('cam-1', { role: 'camera', site: 'plant-3' }));
      await store.create(device('cam-2', { role: 'camera', site: 'plant-9' }));
      await store.create(device('cam-3', { role: 'camera', site: 'plant-4', decommissioned: 'true' }));
      await store.create(device('gw-1', { role: 'gateway', site: 'plant-3' }));
      await store.create(device('bare'));
      const selector = parseSelector('role=camera,site in (plant-3,plant-4),!decommissioned');
      const { items } = await store.list('Device', { labelSelector: selector });
      t.same(
        items.map((d) => d.metadata.name),
        ['cam-1'],
      );
      const unlabelled = await store.list('Device', { labelSelector: parseSelector('!role') });
      t.same(
        unlabelled.items.map((d) => d.metadata.name),
        ['bare'],
        'an object without labels is matched as having none',
      );
    });

    t.test('combines a namespace and a selector', async (t) => {
      const store = await openFor(t, build);
      await store.create(pod('a', { namespace: 'x', labels: { app: 'web' } }));
      await store.create(pod('b', { namespace: 'y', labels: { app: 'web' } }));
      await store.create(pod('c', { namespace: 'x', labels: { app: 'db' } }));
      const { items } = await store.list('Pod', { namespace: 'x', labelSelector: parseSelector('app=web') });
      t.same(
        items.map((p) => p.metadata.name),
        ['a'],
      );
    });
    t.end();
  });

  t.test('watching', async (t) => {
    t.test('a watcher sees ADDED, MODIFIED and DELETED in the order they were committed', async (t) => {
      const store = await openFor(t, build);
      const seen = recorder();
      t.teardown(store.watch({}, seen.handler));
      const created = await store.create(pod('web'));
      const updated = await store.update({ ...created, status: { phase: 'Running' } });
      const camera = await store.create(device('cam-1'));
      const deleted = await store.delete('Pod', 'default', 'web');
      t.same(seen.summary(), [
        `ADDED Pod web @${created.metadata.resourceVersion}`,
        `MODIFIED Pod web @${updated.metadata.resourceVersion}`,
        `ADDED Device cam-1 @${camera.metadata.resourceVersion}`,
        `DELETED Pod web @${deleted.metadata.resourceVersion}`,
      ]);
      t.same(seen.events[1]?.object, updated, 'the event carries the object as stored');
      t.same(seen.events[3]?.object, deleted, 'a DELETED event carries the object as last stored');
    });

    t.test('watch handlers have run by the time the write resolves', async (t) => {
      const store = await openFor(t, build);
      const seen = recorder();
      t.teardown(store.watch({}, seen.handler));
      const write = store.create(pod('web'));
      t.equal(seen.events.length, 0, 'nothing is announced before it is committed');
      await write;
      t.equal(seen.events.length, 1);
    });

    t.test('a watch limited to some kinds sees no others', async (t) => {
      const store = await openFor(t, build);
      const seen = recorder();
      t.teardown(store.watch({ kinds: ['Device'] }, seen.handler));
      await store.create(pod('web'));
      const camera = await store.create(device('cam-1'));
      t.same(seen.summary(), [`ADDED Device cam-1 @${camera.metadata.resourceVersion}`]);
    });

    t.test('a watcher that unsubscribed hears nothing more', async (t) => {
      const store = await openFor(t, build);
      const seen = recorder();
      const stop = store.watch({}, seen.handler);
      await store.create(pod('a'));
      stop();
      await store.create(pod('b'));
      t.same(
        seen.events.map((e) => e.object.metadata.name),
        ['a'],
      );
      stop();
      t.pass('unsubscribing twice is harmless');
    });

    t.test('a watch from a past resourceVersion replays what was missed, then continues live', async (t) => {
      const store = await openFor(t, build);
      const listedAt = (await store.list('Pod')).resourceVersion;
      const a = await store.create(pod('a'));
      await store.create(device('cam-1'));
      const b = await store.create(pod('b'));
      const seen = recorder();
      t.teardown(store.watch({ kinds: ['Pod'], fromResourceVersion: listedAt }, seen.handler));
      t.same(seen.summary(), [`ADDED Pod a @${a.metadata.resourceVersion}`, `ADDED Pod b @${b.metadata.resourceVersion}`]);
      const gone = await store.delete('Pod', 'default', 'a');
      t.equal(seen.events.length, 3);
      t.equal(seen.summary()[2], `DELETED Pod a @${gone.metadata.resourceVersion}`);
    });

    t.test('a watch from the version of an object replays only the changes after it', async (t) => {
      const store = await openFor(t, build);
      const a = await store.create(pod('a'));
      const b = await store.create(pod('b'));
      const seen = recorder();
      t.teardown(store.watch({ fromResourceVersion: a.metadata.resourceVersion! }, seen.handler));
      t.same(seen.summary(), [`ADDED Pod b @${b.metadata.resourceVersion}`]);
      const now = recorder();
      t.teardown(store.watch({ fromResourceVersion: store.currentResourceVersion() }, now.handler));
      t.same(now.events, [], 'from the current version, nothing to replay');
    });

    t.test('a watch from a version the store has not reached fails with Gone', async (t) => {
      const store = await openFor(t, build);
      await store.create(pod('a'));
      const ahead = String(Number(store.currentResourceVersion()) + 100);
      t.throws(() => store.watch({ fromResourceVersion: ahead }, () => {}), { code: 'Gone' });
    });

    t.test('refuses to watch from something that is not a resourceVersion', async (t) => {
      const store = await openFor(t, build);
      t.throws(() => store.watch({ fromResourceVersion: 'yesterday' }, () => {}), { code: 'BadRequest' });
    });

    t.test('a watch from a version older than the store remembers fails with Gone', async (t) => {
      const store = await openFor(t, build);
      const first = await store.create(pod('counter'));
      let current = first;
      // Keep writing until the first version falls out of what the store can replay.
      const limit = 50_000;
      let gone: unknown;
      for (let written = 0; written < limit && gone === undefined; written += 500) {
        for (let i = 0; i < 500; i++) current = await store.update({ ...current, status: { phase: 'Running', message: String(i) } });
        try {
          store.watch({ fromResourceVersion: first.metadata.resourceVersion! }, () => {})();
        } catch (error) {
          gone = error;
        }
      }
      t.match(gone, { code: 'Gone', message: /too old/ }, `Gone within ${limit} writes`);
    });

    t.test('a handler that throws does not fail the write nor keep other watchers from the event', async (t) => {
      const store = await openFor(t, build);
      const seen = recorder();
      t.teardown(
        store.watch({}, () => {
          throw new Error('broken handler');
        }),
      );
      t.teardown(store.watch({}, seen.handler));
      const created = await store.create(pod('web'));
      t.equal(created.metadata.name, 'web');
      t.equal(seen.events.length, 1);
      await store.update({ ...created, status: { phase: 'Running' } });
      t.equal(seen.events.length, 2, 'the store still works after the failure');
    });

    t.test('a handler may unsubscribe another watcher, which then hears nothing', async (t) => {
      const store = await openFor(t, build);
      const second = recorder();
      let stopSecond = (): void => {};
      t.teardown(store.watch({}, () => stopSecond()));
      stopSecond = store.watch({}, second.handler);
      await store.create(pod('web'));
      t.same(second.events, []);
    });
    t.end();
  });

  t.test('isolation', async (t) => {
    t.test('objects handed out are read-only: changing one throws and the store keeps what it had', async (t) => {
      const store = await openFor(t, build);
      const input = pod('web', { labels: { app: 'web' } });
      const created = await store.create(input);
      input.spec.containers[0]!.image = 'changed-input';
      t.throws(() => {
        created.spec.containers[0]!.image = 'changed-created';
      }, TypeError);
      const got = await store.get('Pod', 'default', 'web');
      t.throws(() => {
        got!.metadata.labels!['app'] = 'changed-get';
      }, TypeError);
      const listed = await store.list('Pod');
      t.throws(() => {
        listed.items[0]!.metadata.name = 'changed-list';
      }, TypeError);
      const fresh = await store.get('Pod', 'default', 'web');
      t.equal(fresh?.spec.containers[0]?.image, 'busybox:1', 'the caller\'s own object stays its own');
      t.same(fresh?.metadata.labels, { app: 'web' });
      t.equal((await store.list('Pod')).items[0]?.metadata.name, 'web');
    });

    t.test('a watcher cannot change the event another watcher, or a replay, sees', async (t) => {
      const store = await openFor(t, build);
      const failures: unknown[] = [];
      t.teardown(
        store.watch({}, (event) => {
          try {
            event.object.metadata.name = 'vandalised';
          } catch (error) {
            failures.push(error);
          }
        }),
      );
      const seen = recorder();
      t.teardown(store.watch({}, seen.handler));
      await store.create(pod('web'));
      t.type(failures[0], TypeError, 'the edit was refused');
      t.equal(seen.events[0]?.object.metadata.name, 'web');
      t.ok(await store.get('Pod', 'default', 'web'));
      const replay = recorder();
      t.teardown(store.watch({ fromResourceVersion: '0' }, replay.handler));
      t.equal(replay.events[0]?.object.metadata.name, 'web', 'the replay buffer is untouched too');
    });
    t.end();
  });

  t.test('closing', async (t) => {
    t.test('a closed store refuses every further call, saying it is closed', async (t) => {
      const store = await build(t.testdir());
      const created = await store.create(pod('web'));
      await store.close();
      await t.rejects(store.get('Pod', 'default', 'web'), { message: /closed/ });
      await t.rejects(store.list('Pod'), { message: /closed/ });
      await t.rejects(store.create(pod('db')), { message: /closed/ });
      await t.rejects(store.update(created), { message: /closed/ });
      await t.rejects(store.delete('Pod', 'default', 'web'), { message: /closed/ });
      t.throws(() => store.watch({}, () => {}), { message: /closed/ });
      await store.close();
      t.pass('closing twice is harmless');
    });

    t.test('writes issued before close are finished, not lost', async (t) => {
      const store = await build(t.testdir());
      const writes = [store.create(pod('a')), store.create(pod('b'))];
      await store.close();
      const results = await Promise.allSettled(writes);
      t.same(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled'],
      );
    });
    t.end();
  });
}
