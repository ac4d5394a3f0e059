import t, { type Test } from 'tap';
import { Level } from 'level';
import { pino } from 'pino';
import { BIND_CHUNK, DIAGNOSIS_LINES, SchedulingController } from '../../../../hub/controllers/scheduling/index.js';
import type { EventSink } from '../../../../hub/controllers/events.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';
import type { Store } from '../../../../hub/store/store.js';
import { FlotillaError } from '../../../../shared/errors.js';
import type { AnyObject, Device, Pod } from '../../../../shared/objects.js';
import { device, pod } from '../../scheduler/fixtures.js';

const silent = pino({ level: 'silent' });

interface Recorded {
  sink: EventSink;
  reasons: string[];
}

function events(): Recorded {
  const reasons: string[] = [];
  return { reasons, sink: { record: (involved, _type, reason) => void reasons.push(`${reason} ${involved.name}`) } };
}

/** A LevelDB store that refuses updates of the pods `refuse` names, with the error it gives. */
async function storeFor(t: Test, refuse: (object: AnyObject) => FlotillaError | undefined = () => undefined): Promise<{ store: Store; batches: number[] }> {
  const real = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => real.close());
  // Count how many batches the bindings take; no public API shows it.
  const db = (real as unknown as { db: Level<string, string> }).db;
  const batch = db.batch.bind(db) as (operations: unknown[]) => Promise<void>;
  const batches: number[] = [];
  (db as unknown as { batch: (operations: unknown[]) => Promise<void> }).batch = (operations) => {
    batches.push(operations.length - 1);
    return batch(operations);
  };
  const store: Store = {
    get: (kind, namespace, name) => real.get(kind, namespace, name),
    list: (kind, options) => real.list(kind, options),
    create: (object) => real.create(object),
    async update(object) {
      const refusal = refuse(object);
      if (refusal !== undefined) throw refusal;
      return real.update(object);
    },
    delete: (kind, namespace, name, options) => real.delete(kind, namespace, name, options),
    watch: (options, handler) => real.watch(options, handler),
    currentResourceVersion: () => real.currentResourceVersion(),
    close: () => real.close(),
  };
  return { store, batches };
}

async function fill(store: Store, devices: Device[], pods: Pod[]): Promise<void> {
  for (const d of devices) await store.create(d);
  // One at a time, so creationTimestamps follow the order given.
  for (const p of pods) await store.create(p);
}

const numbered = (count: number, options: Parameters<typeof pod>[1] = {}) =>
  Array.from({ length: count }, (_, i) => pod(`p-${String(i).padStart(4, '0')}`, options));

t.test('binds every pending pod, writing the bindings many to a batch rather than one by one', async (t) => {
  const { store, batches } = await storeFor(t);
  const devices = ['a', 'b', 'c', 'd'].map((name) => device(name, { capacity: { pods: 200 } }));
  await fill(store, devices, numbered(600));
  batches.length = 0;
  const recorded = events();
  const controller = new SchedulingController({ store, events: recorded.sink, log: silent });
  t.equal(await controller.reconcile(), undefined, 'nothing left to retry');
  const { items } = await store.list('Pod');
  t.ok(items.every((p) => p.spec.nodeName !== undefined && p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True')));
  const perDevice = new Map<string, number>();
  for (const p of items) perDevice.set(p.spec.nodeName as string, (perDevice.get(p.spec.nodeName as string) ?? 0) + 1);
  t.same([...perDevice.values()].sort(), [150, 150, 150, 150], 'spread evenly, within capacity');
  t.equal(batches.reduce((sum, n) => sum + n, 0), 600, 'one write per binding');
  t.ok(batches.length <= Math.ceil(600 / BIND_CHUNK) + 1, `in few batches (${batches.join(', ')})`);
  t.equal(recorded.reasons.filter((r) => r.startsWith('Scheduled ')).length, 600, 'an event per binding');
});

t.test('takes back a pod whose binding lost a race, so the pods after it can have its room', async (t) => {
  // Room for every pod but one; the first pod's write loses a race, so the last pod still fits.
  const pending = 2 * BIND_CHUNK + 2;
  const { store } = await storeFor(t, (object) =>
    object.metadata.name === 'p-0000' ? new FlotillaError('Conflict', 'pod default/p-0000: the object has been modified') : undefined,
  );
  await fill(store, [device('a', { capacity: { pods: pending - 1 } })], numbered(pending));
  const recorded = events();
  const result = await new SchedulingController({ store, events: recorded.sink, log: silent }).reconcile();
  t.equal(result, undefined, 'no pod was left unschedulable');
  const { items } = await store.list('Pod');
  t.equal(items.find((p) => p.metadata.name === 'p-0000')?.spec.nodeName, undefined, 'the pod that lost the race stays pending for the next pass');
  t.equal(items.filter((p) => p.spec.nodeName === 'a').length, pending - 1);
  t.notOk(recorded.reasons.includes('Scheduled p-0000'), 'and no Scheduled event claims otherwise');
});

t.test('fails the pass on a store failure other than a lost race, once every write it issued has settled', async (t) => {
  const { store } = await storeFor(t, (object) =>
    object.kind === 'Pod' && object.metadata.name === 'p-0001' ? new FlotillaError('Unavailable', 'the store could not write to disk') : undefined,
  );
  const pending = 3 * BIND_CHUNK;
  await fill(store, [device('a', { capacity: { pods: 1000 } })], numbered(pending));
  await t.rejects(new SchedulingController({ store, events: events().sink, log: silent }).reconcile(), { code: 'Unavailable' });
  const { items } = await store.list('Pod');
  const bound = items.filter((p) => p.spec.nodeName !== undefined).map((p) => p.metadata.name);
  // The first chunk, but for the pod that failed, and the chunk scheduled while it was being written.
  t.equal(bound.length, 2 * BIND_CHUNK - 1);
  t.notOk(bound.includes('p-0001'));
  t.notOk(bound.includes(`p-${String(pending - 1).padStart(4, '0')}`), 'nothing is scheduled after the failure is known');
});

t.test('marks a pod that fits nowhere with the reason for every device, and asks to be tried again', async (t) => {
  const { store } = await storeFor(t);
  await fill(store, [device('cam', { labels: { role: 'camera' }, state: 'NotReady' }), device('sensor', { labels: { role: 'sensor' } })], [pod('web', { deviceSelector: 'role=camera' })]);
  const recorded = events();
  const result = await new SchedulingController({ store, events: recorded.sink, log: silent }).reconcile();
  t.match(result, { requeueAfterMs: Number });
  const web = await store.get('Pod', 'default', 'web');
  t.match(web?.status?.conditions?.find((c) => c.type === 'PodScheduled'), {
    status: 'False',
    reason: 'Unschedulable',
    message: '0/2 devices are available: 1 does not match role=camera, 1 is NotReady.\n  cam: device is NotReady\n  sensor: device does not match role=camera',
  });
  t.same(recorded.reasons, ['FailedScheduling web']);
});

t.test('says in one line why a pod fits nowhere, in its PodScheduled condition and in a FailedScheduling Warning', async (t) => {
  const { store } = await storeFor(t);
  const devices = [
    device('gw-1', { labels: { role: 'gateway' } }),
    device('gw-2', { labels: { role: 'gateway' } }),
    device('cam-1', { labels: { role: 'camera' }, taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }),
  ];
  await fill(store, devices, [pod('web', { deviceSelector: 'role=camera' })]);
  const warnings: string[] = [];
  const sink: EventSink = { record: (_involved, type, reason, message) => void warnings.push(`${type} ${reason}: ${message}`) };
  await new SchedulingController({ store, events: sink, log: silent }).reconcile();
  const line = '0/3 devices are available: 2 do not match role=camera, 1 has the taint maintenance:NoSchedule, which the pod does not tolerate.';
  const condition = (await store.get('Pod', 'default', 'web'))?.status?.conditions?.find((c) => c.type === 'PodScheduled');
  t.equal(condition?.message?.split('\n')[0], line);
  t.same(warnings, [`Warning FailedScheduling: ${line}`]);
});

t.test('does not hand a pod of another workload the answer of a look-alike pod held back by its own per-device limit', async (t) => {
  const { store } = await storeFor(t);
  const once = { annotations: { 'flotilla.io/max-pods-per-device': '1' } };
  await fill(store, [device('a')], [pod('a-1', { ...once, owner: 'dep-a' }), pod('a-2', { ...once, owner: 'dep-a' }), pod('b-1', { ...once, owner: 'dep-b' })]);
  await new SchedulingController({ store, events: events().sink, log: silent }).reconcile();
  const { items } = await store.list('Pod');
  t.same(items.filter((p) => p.spec.nodeName === 'a').map((p) => p.metadata.name).sort(), ['a-1', 'b-1']);
});

t.test('names the first 20 devices in the message of a pod that fits nowhere, and counts the rest', async (t) => {
  const { store } = await storeFor(t);
  const fleet = Array.from({ length: 25 }, (_, i) => device(`cam-${String(i).padStart(2, '0')}`, { state: 'NotReady' }));
  await fill(store, fleet, [pod('web')]);
  await new SchedulingController({ store, events: events().sink, log: silent }).reconcile();
  const message = (await store.get('Pod', 'default', 'web'))?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '';
  const lines = message.split('\n');
  t.equal(lines[0], '0/25 devices are available: 25 are NotReady.');
  t.equal(lines.length, 1 + DIAGNOSIS_LINES + 1);
  t.equal(lines[1], '  cam-00: device is NotReady');
  t.equal(lines.at(-1), '  … and 5 more devices');
});

t.test('pods alike to one that fit nowhere are marked the same, and pods unlike it are still placed', async (t) => {
  const { store } = await storeFor(t);
  const big = { requests: { cpu: '3' } };
  // Two devices take one big pod each; the third and fourth big pods fit nowhere.
  await fill(store, [device('a'), device('b')], [...numbered(4, big), pod('small', { requests: { cpu: '500m' } })]);
  await new SchedulingController({ store, events: events().sink, log: silent }).reconcile();
  const { items } = await store.list('Pod');
  const scheduled = (p: Pod | undefined) => p?.status?.conditions?.find((c) => c.type === 'PodScheduled');
  t.same(items.filter((p) => p.spec.nodeName).map((p) => p.metadata.name).sort(), ['p-0000', 'p-0001', 'small']);
  const [third, fourth] = [items.find((p) => p.metadata.name === 'p-0002'), items.find((p) => p.metadata.name === 'p-0003')];
  t.match(scheduled(third), { status: 'False', reason: 'Unschedulable', message: /^0\/2 devices are available: 2 have too little cpu/ });
  t.equal(scheduled(fourth)?.message, scheduled(third)?.message);
});

t.test('one controller across passes sees room freed by a deleted pod and a device that joined since', async (t) => {
  const { store } = await storeFor(t);
  const big = { requests: { cpu: '3' } };
  await fill(store, [device('a')], [pod('first', big)]);
  const controller = new SchedulingController({ store, events: events().sink, log: silent });
  t.teardown(() => controller.stop());
  await controller.reconcile();
  t.equal((await store.get('Pod', 'default', 'first'))?.spec.nodeName, 'a');

  await store.create(pod('second', big));
  t.match(await controller.reconcile(), { requeueAfterMs: Number }, 'no room while first runs');
  await store.delete('Pod', 'default', 'first');
  await controller.reconcile();
  t.equal((await store.get('Pod', 'default', 'second'))?.spec.nodeName, 'a', 'the room first left is used');

  await store.create(pod('third', big));
  await store.create(device('b'));
  await controller.reconcile();
  t.equal((await store.get('Pod', 'default', 'third'))?.spec.nodeName, 'b', 'the new device is used');
});

t.test('each binding that lands is told, with the pod as it was created, for the scheduling latency', async (t) => {
  const { store } = await storeFor(t, (object) => (object.metadata.name === 'refused' ? new FlotillaError('Conflict', 'changed meanwhile') : undefined));
  await fill(store, [device('a', { capacity: { pods: 10 } })], [pod('first'), pod('refused')]);
  const bound: string[] = [];
  const controller = new SchedulingController({
    store,
    events: events().sink,
    log: silent,
    onBound: (p, deviceName) => void bound.push(`${p.metadata.name}@${deviceName}:${p.metadata.creationTimestamp === undefined ? 'no time' : 'created'}`),
  });
  await controller.reconcile();
  t.same(bound, ['first@a:created'], 'a binding lost to a conflict is not told');
});
