import { pino } from 'pino';
import t, { type Test } from 'tap';
import { EvictionController } from '../../../../hub/controllers/eviction/index.js';
import type { EventSink } from '../../../../hub/controllers/events.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';
import type { Store } from '../../../../hub/store/store.js';
import type { Device, ObjectReference, Pod, Toleration } from '../../../../shared/objects.js';

const silent = pino({ level: 'silent' });
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const SECOND = 1000;

async function storeFor(t: Test): Promise<Store> {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  return store;
}

function recorder(): { sink: EventSink; events: { involved: ObjectReference; type: string; reason: string; message: string }[] } {
  const events: { involved: ObjectReference; type: string; reason: string; message: string }[] = [];
  return { events, sink: { record: (involved, type, reason, message) => void events.push({ involved, type, reason, message }) } };
}

function device(name: string, state: 'Ready' | 'Offline', offlineForSeconds = 0): Device {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name },
    status: { state, ...(state === 'Offline' ? { offlineSince: new Date(NOW - offlineForSeconds * SECOND).toISOString() } : {}) },
  };
}

function pod(name: string, nodeName: string, owner?: 'Deployment' | 'DaemonSet', tolerations?: Toleration[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner, name: 'web', uid: 'u1', controller: true }] } : {}),
    },
    spec: { nodeName, containers: [{ name: 'main', image: 'busybox:1' }], ...(tolerations ? { tolerations } : {}) },
    status: { phase: 'Running' },
  };
}

async function podNames(store: Store): Promise<string[]> {
  return (await store.list('Pod')).items.map((p) => p.metadata.name);
}

t.test("evicts a Deployment's pod from a device Offline past its toleration, leaving DaemonSet and bare pods, with an Evicted Warning", async (t) => {
  const store = await storeFor(t);
  await store.create(device('cam-7', 'Offline', 400));
  await store.create(device('cam-8', 'Ready'));
  for (const p of [pod('web-1', 'cam-7', 'Deployment'), pod('agent-x', 'cam-7', 'DaemonSet'), pod('bare', 'cam-7'), pod('web-2', 'cam-8', 'Deployment')]) {
    await store.create(p);
  }
  const recorded = recorder();
  const controller = new EvictionController({ store, events: recorded.sink, log: silent, startGraceMs: 0, now: () => NOW });
  t.same(await controller.initialKeys(), ['cam-7'], 'only the Offline device is looked at on start');
  t.same(await controller.reconcile('cam-7'), undefined, 'nothing left to wait for');
  t.same(await podNames(store), ['agent-x', 'bare', 'web-2']);
  t.equal(recorded.events.length, 1);
  t.match(recorded.events[0], {
    involved: { kind: 'Pod', name: 'web-1', namespace: 'default' },
    type: 'Warning',
    reason: 'Evicted',
    message: 'evicted from device cam-7, Offline for 6m40s: longer than the pod tolerates flotilla.io/unreachable:NoExecute (300s)',
  });
  await controller.reconcile('cam-8');
  t.same(await podNames(store), ['agent-x', 'bare', 'web-2'], 'a Ready device keeps every pod');
});

t.test('a pod within its toleration stays, and the device is looked at again when the toleration runs out', async (t) => {
  const store = await storeFor(t);
  await store.create(device('cam-7', 'Offline', 100));
  await store.create(pod('web-1', 'cam-7', 'Deployment'));
  await store.create(pod('web-2', 'cam-7', 'Deployment', [{ key: 'flotilla.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 }]));
  let now = NOW;
  const recorded = recorder();
  const controller = new EvictionController({ store, events: recorded.sink, log: silent, startGraceMs: 0, now: () => now });
  t.same(await controller.reconcile('cam-7'), { requeueAfterMs: 200 * SECOND });
  t.same(await podNames(store), ['web-1', 'web-2']);
  now += 200 * SECOND;
  t.same(await controller.reconcile('cam-7'), { requeueAfterMs: 300 * SECOND }, 'then the next one');
  t.same(await podNames(store), ['web-2']);
  t.same(recorded.events.map((e) => e.involved.name), ['web-1']);
});

t.test('a hub that has just started evicts nothing until devices have had its grace period to come back', async (t) => {
  const store = await storeFor(t);
  await store.create(device('cam-7', 'Offline', 3600));
  await store.create(pod('web-1', 'cam-7', 'Deployment'));
  let now = NOW;
  const controller = new EvictionController({ store, events: recorder().sink, log: silent, startGraceMs: 90 * SECOND, now: () => now });
  t.same(await controller.reconcile('cam-7'), { requeueAfterMs: 90 * SECOND });
  t.same(await podNames(store), ['web-1']);
  now += 90 * SECOND;
  await controller.reconcile('cam-7');
  t.same(await podNames(store), []);
});

t.test('device changes, and pod changes on Offline devices only, bring a device to the queue', async (t) => {
  const store = await storeFor(t);
  const offline = await store.create(device('cam-7', 'Offline', 10));
  const ready = await store.create(device('cam-8', 'Ready'));
  const controller = new EvictionController({ store, events: recorder().sink, log: silent, startGraceMs: 0, now: () => NOW });
  await controller.initialKeys();
  t.same(controller.keysFor({ type: 'MODIFIED', object: offline }), ['cam-7']);
  t.same(controller.keysFor({ type: 'MODIFIED', object: ready }), ['cam-8'], 'a device that came back is looked at too (and keeps its pods)');
  t.same(controller.keysFor({ type: 'DELETED', object: ready }), []);
  t.same(controller.keysFor({ type: 'ADDED', object: pod('web-1', 'cam-7', 'Deployment') }), ['cam-7']);
  t.same(controller.keysFor({ type: 'MODIFIED', object: pod('web-2', 'cam-8', 'Deployment') }), [], 'a report of a pod on a Ready device costs nothing');
  t.same(controller.keysFor({ type: 'DELETED', object: pod('web-1', 'cam-7', 'Deployment') }), []);
  controller.stop();
});

t.test('a device that is gone or came back is left alone', async (t) => {
  const store = await storeFor(t);
  await store.create(pod('web-1', 'cam-9', 'Deployment'));
  const controller = new EvictionController({ store, events: recorder().sink, log: silent, startGraceMs: 0, now: () => NOW });
  t.same(await controller.reconcile('cam-9'), undefined);
  t.same(await podNames(store), ['web-1']);
});
