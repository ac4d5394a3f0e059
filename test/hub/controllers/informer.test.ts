import t, { type Test } from 'tap';
import { Informer } from '../../../hub/controllers/informer.js';
import { createLevelStore } from '../../../hub/store/level-store.js';
import type { Store } from '../../../hub/store/store.js';
import type { Pod } from '../../../shared/objects.js';
import { pod } from '../scheduler/fixtures.js';

async function storeFor(t: Test): Promise<Store> {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  return store;
}

const byDevice = (store: Store) => new Informer(store, 'Pod', { device: (p: Pod) => (p.spec.nodeName ? [p.spec.nodeName] : []) });
const names = (pods: Pod[]) => pods.map((p) => p.metadata.name).sort();

t.test('starts from what the store holds and follows every change after', async (t) => {
  const store = await storeFor(t);
  await store.create(pod('a', { nodeName: 'cam-1' }));
  const informer = byDevice(store);
  t.teardown(() => informer.stop());
  await informer.start();
  t.same(names(informer.byIndex('device', 'cam-1')), ['a']);
  const b = await store.create(pod('b'));
  t.equal(informer.get('default', 'b')?.metadata.resourceVersion, b.metadata.resourceVersion, 'a create is seen by the time it resolves');
  await store.update({ ...b, spec: { ...b.spec, nodeName: 'cam-1' } });
  t.same(names(informer.byIndex('device', 'cam-1')), ['a', 'b'], 'an update moves the pod into the index');
  await store.delete('Pod', 'default', 'a');
  t.same(names(informer.byIndex('device', 'cam-1')), ['b']);
  t.equal(informer.size, 1);
  t.same([...informer.indexValues('device')], [['cam-1', 1]]);
});

t.test('a pod that moves between index values is filed under the new one only', async (t) => {
  const store = await storeFor(t);
  const informer = byDevice(store);
  t.teardown(() => informer.stop());
  await informer.start();
  const a = await store.create(pod('a', { nodeName: 'cam-1' }));
  await store.update({ ...a, spec: { ...a.spec, nodeName: 'cam-2' } });
  t.same(informer.byIndex('device', 'cam-1'), []);
  t.same(names(informer.byIndex('device', 'cam-2')), ['a']);
  t.same([...informer.indexValues('device').keys()], ['cam-2'], 'an emptied value is dropped');
});

t.test('writes made while the first list is on its way are not missed', async (t) => {
  const store = await storeFor(t);
  const informer = byDevice(store);
  t.teardown(() => informer.stop());
  const started = informer.start();
  await store.create(pod('during', { nodeName: 'cam-1' }));
  await started;
  t.same(names(informer.byIndex('device', 'cam-1')), ['during']);
});

t.test('listeners hear each change with the object as it was before', async (t) => {
  const store = await storeFor(t);
  const informer = byDevice(store);
  t.teardown(() => informer.stop());
  const heard: string[] = [];
  informer.onChange((event, previous) => heard.push(`${event.type} ${event.object.spec.nodeName ?? '-'} was ${previous?.spec.nodeName ?? '-'}`));
  await informer.start();
  const a = await store.create(pod('a'));
  await store.update({ ...a, spec: { ...a.spec, nodeName: 'cam-1' } });
  await store.delete('Pod', 'default', 'a');
  t.same(heard, ['ADDED - was -', 'MODIFIED cam-1 was -', 'DELETED cam-1 was cam-1']);
});

t.test('after stop it hears nothing more', async (t) => {
  const store = await storeFor(t);
  const informer = byDevice(store);
  await informer.start();
  informer.stop();
  await store.create(pod('late'));
  t.equal(informer.size, 0);
});

t.test('a start whose list failed is tried again by the next call', async (t) => {
  const store = await storeFor(t);
  await store.create(pod('a', { nodeName: 'cam-1' }));
  let failures = 1;
  // The store, but for its first list, which fails.
  const flaky: Store = Object.assign(Object.create(store) as Store, {
    list: ((kind, options) => (failures-- > 0 ? Promise.reject(new Error('disk unreadable')) : store.list(kind, options))) as Store['list'],
  });
  const informer = byDevice(flaky);
  t.teardown(() => informer.stop());
  await t.rejects(informer.start(), /disk unreadable/);
  await informer.start();
  t.same(names(informer.byIndex('device', 'cam-1')), ['a']);
});
