import { pino } from 'pino';
import t from 'tap';
import { DeviceConditionsController } from '../../../../hub/controllers/device-conditions/index.js';
import { BACK_ONLINE_REASON, DeviceLifecycleController } from '../../../../hub/controllers/device-lifecycle/index.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';
import type { BirthMessage } from '../../../../shared/proto/codec.js';

const silent = pino({ level: 'silent' });
const START = Date.parse('2026-01-01T12:00:00.000Z');
const thresholds = { notReadyAfterMs: 30_000, offlineAfterMs: 90_000 };

function birth(bdSeq: number): BirthMessage {
  return { bdSeq, info: null, capacity: null, labels: { role: 'camera' }, status: null };
}

t.test('a device that goes Offline is stamped with when, keeps that time while Offline, and loses it when it comes back', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  let now = START;
  const lifecycle = new DeviceLifecycleController({ store, thresholds, events: { record: () => undefined }, log: silent, now: () => now });
  t.teardown(() => lifecycle.stop());
  lifecycle.onBirth('cam-7', birth(1));
  await lifecycle.reconcile('cam-7');
  const ready = await store.get('Device', undefined, 'cam-7');
  t.equal(ready?.status?.state, 'Ready');
  t.notOk(ready?.status && 'offlineSince' in ready.status, 'a Ready device has no offlineSince');

  now += 95_000;
  await lifecycle.reconcile('cam-7');
  const offline = await store.get('Device', undefined, 'cam-7');
  t.equal(offline?.status?.state, 'Offline');
  t.equal(offline?.status?.offlineSince, new Date(now).toISOString(), 'the hub time it was found Offline');

  now += 600_000;
  await lifecycle.reconcile('cam-7');
  const still = await store.get('Device', undefined, 'cam-7');
  t.equal(still?.status?.offlineSince, offline?.status?.offlineSince, 'unchanged while it stays Offline');
  t.equal(still?.metadata.resourceVersion, offline?.metadata.resourceVersion, 'and not written again');

  lifecycle.onBirth('cam-7', birth(2));
  await lifecycle.reconcile('cam-7');
  const back = await store.get('Device', undefined, 'cam-7');
  t.equal(back?.status?.state, 'Ready');
  t.notOk(back?.status && 'offlineSince' in back.status, 'coming back clears it');
});

t.test('a hub that restarts keeps the time a device went Offline, and stamps one that has none', async (t) => {
  const dataDir = t.testdir();
  const store = await createLevelStore({ dataDir, onWatcherError: () => {} });
  t.teardown(() => store.close());
  const since = new Date(START - 3_600_000).toISOString();
  const lastSeen = new Date(START - 3_700_000).toISOString();
  await store.create({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'kept' }, status: { state: 'Offline', message: 'no contact for more than 90s', lastSeen, bdSeq: 1, offlineSince: since } });
  await store.create({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'older' }, status: { state: 'Offline', message: 'no contact for more than 90s', lastSeen, bdSeq: 1 } });
  const lifecycle = new DeviceLifecycleController({ store, thresholds, events: { record: () => undefined }, log: silent, now: () => START });
  t.teardown(() => lifecycle.stop());
  for (const key of await lifecycle.initialKeys()) await lifecycle.reconcile(key);
  t.equal((await store.get('Device', undefined, 'kept'))?.status?.offlineSince, since);
  t.equal((await store.get('Device', undefined, 'older'))?.status?.offlineSince, new Date(START).toISOString());
});

t.test('events tell a device joining, going NotReady and Offline, and coming back apart', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  let now = START;
  const recorded: string[] = [];
  const events = { record: (_involved: unknown, type: string, reason: string, message: string) => void recorded.push(`${type} ${reason}: ${message}`) };
  const lifecycle = new DeviceLifecycleController({ store, thresholds, events, log: silent, now: () => now });
  t.teardown(() => lifecycle.stop());
  lifecycle.onBirth('cam-7', birth(1));
  await lifecycle.reconcile('cam-7');
  lifecycle.onDeath('cam-7', { bdSeq: 1, graceful: false });
  await lifecycle.reconcile('cam-7');
  now += 95_000;
  await lifecycle.reconcile('cam-7');
  lifecycle.onBirth('cam-7', birth(2));
  await lifecycle.reconcile('cam-7');
  t.same(recorded, [
    'Normal Registered: device cam-7 joined the fleet',
    'Normal Ready: device is Ready: heartbeats on time',
    'Warning NotReady: device is NotReady: connection lost (MQTT Last Will)',
    'Warning Offline: device is Offline: no contact for more than 90s',
    `Normal ${BACK_ONLINE_REASON}: device is back (was Offline): heartbeats on time`,
  ]);
});

t.test('an enrolled device connecting for the first time is Ready, not back', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  await store.create({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-8' }, status: { state: 'NotReady', message: 'enrolled; waiting for its agent to connect' } });
  const reasons: string[] = [];
  const lifecycle = new DeviceLifecycleController({ store, thresholds, events: { record: (_i, _t, reason) => void reasons.push(reason) }, log: silent, now: () => START });
  t.teardown(() => lifecycle.stop());
  lifecycle.onBirth('cam-8', birth(1));
  await lifecycle.reconcile('cam-8');
  t.same(reasons, ['Ready']);
});

t.test('a change of state writes the Ready condition with it: one write, nothing left for the conditions controller', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  let now = START;
  const conditions = new DeviceConditionsController({ store, events: { record: () => undefined }, log: silent, usage: () => undefined, now: () => now });
  const lifecycle = new DeviceLifecycleController({ store, thresholds, events: { record: () => undefined }, conditions, log: silent, now: () => now });
  t.teardown(() => lifecycle.stop());
  lifecycle.onBirth('cam-7', birth(1));
  const before = Number(store.currentResourceVersion());
  await lifecycle.reconcile('cam-7');
  const ready = await store.get('Device', undefined, 'cam-7');
  t.equal(Number(store.currentResourceVersion()), before + 1, 'the device was written once');
  t.equal(ready?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  t.same(conditions.keysFor({ type: 'ADDED', object: ready! }), [], 'the conditions controller finds nothing to change');

  now += 95_000;
  await lifecycle.reconcile('cam-7');
  const offline = await store.get('Device', undefined, 'cam-7');
  t.equal(offline?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'Unknown', 'an Offline device is not known to be Ready');
  t.same(conditions.keysFor({ type: 'MODIFIED', object: offline! }), []);
});
