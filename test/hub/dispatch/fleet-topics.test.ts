import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import type { Test } from 'tap';
import { Informer } from '../../../hub/controllers/informer.js';
import { podInformer } from '../../../hub/controllers/pods.js';
import { FleetTopics } from '../../../hub/dispatch/fleet-topics.js';
import { createLevelStore } from '../../../hub/store/level-store.js';
import type { Store } from '../../../hub/store/store.js';
import type { FleetDeviceHealth, FleetEvent, FleetSummary } from '../../../shared/fleet.js';
import type { Deployment, Device, DeviceState, FlotillaEvent, Pod } from '../../../shared/objects.js';
import { Topics } from '../../../shared/topics.js';

const topics = new Topics();

interface Published {
  topic: string;
  value: unknown;
  retain: boolean;
}

interface Harness {
  store: Store;
  fleet: FleetTopics;
  published: Published[];
  /** The last value published on a topic; undefined when none was. */
  last<T>(topic: string): T | undefined;
  on(topic: string): Published[];
  now: { ms: number };
}

async function harness(t: Test, options: { summaryIntervalMs?: number; deviceIntervalMs?: number; refreshMs?: number; seed?: (store: Store) => Promise<void> } = {}): Promise<Harness> {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  await options.seed?.(store);
  const devices = new Informer(store, 'Device', {});
  const pods = podInformer(store);
  const published: Published[] = [];
  const now = { ms: Date.parse('2026-03-01T10:00:00.000Z') };
  const fleet = new FleetTopics({
    topics,
    store,
    devices,
    pods,
    live: (name) => (name === 'cam-1' ? { lastSeen: new Date(now.ms).toISOString(), usage: { cpuPercent: 5, memoryUsedBytes: 1, memoryTotalBytes: 2 } } : undefined),
    publish: (topic, value, retain) => published.push({ topic, value, retain }),
    summaryIntervalMs: options.summaryIntervalMs ?? 50,
    deviceIntervalMs: options.deviceIntervalMs ?? 50,
    refreshMs: options.refreshMs ?? 1_000,
    now: () => now.ms,
  });
  await fleet.start();
  t.teardown(async () => {
    fleet.stop();
    devices.stop();
    pods.stop();
    await store.close();
  });
  const on = (topic: string) => published.filter((p) => p.topic === topic);
  return { store, fleet, published, now, on, last: <T>(topic: string) => on(topic).at(-1)?.value as T | undefined };
}

function device(name: string, state: DeviceState, labels: Record<string, string> = {}): Device {
  return { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name, labels }, spec: {}, status: { state, message: `${state} for a test` } };
}

function pod(name: string, nodeName?: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) } };
}

t.test('at start, every device and the summary are published retained, from what the store holds', async (t) => {
  const h = await harness(t, {
    seed: async (store) => {
      await store.create(device('cam-1', 'Ready', { site: 'plant-3' }));
      await store.create(device('cam-2', 'Offline', { site: 'plant-4' }));
      await store.create(pod('web-1', 'cam-1'));
    },
  });
  const cam1 = h.last<FleetDeviceHealth>(topics.fleetDevice('cam-1'));
  t.match(cam1, { schema: 'flotilla.fleet.device/v1', state: 'Ready', labels: { site: 'plant-3' }, pods: { total: 1, byPhase: { Pending: 1 } }, usage: { cpuPercent: 5 } });
  t.match(h.last<FleetDeviceHealth>(topics.fleetDevice('cam-2')), { state: 'Offline' });
  const summary = h.last<FleetSummary>(topics.fleetSummary());
  t.match(summary, { schema: 'flotilla.fleet.summary/v1', devices: { total: 2, byState: { Ready: 1, NotReady: 0, Offline: 1 } }, pods: { total: 1 } });
  t.same(summary?.groups, { site: { 'plant-3': { Ready: 1, NotReady: 0, Offline: 0 }, 'plant-4': { Ready: 0, NotReady: 0, Offline: 1 } } });
  t.ok(h.published.every((p) => p.retain), 'all retained');
});

t.test("a device's state change is published at once, and the summary follows within its interval", async (t) => {
  const h = await harness(t);
  const created = await h.store.create(device('cam-1', 'Ready'));
  t.match(h.last<FleetDeviceHealth>(topics.fleetDevice('cam-1')), { state: 'Ready' }, 'published within the write');
  await h.store.update({ ...created, status: { state: 'NotReady', message: 'connection lost (MQTT Last Will)' } });
  t.match(h.last<FleetDeviceHealth>(topics.fleetDevice('cam-1')), { state: 'NotReady', message: 'connection lost (MQTT Last Will)' });
  await delay(250);
  t.match(h.last<FleetSummary>(topics.fleetSummary()), { devices: { byState: { Ready: 0, NotReady: 1 } } });
});

t.test('a burst of changes makes one summary, and summaries come no closer together than their interval', async (t) => {
  const h = await harness(t, { summaryIntervalMs: 400 });
  const before = h.on(topics.fleetSummary()).length;
  for (let i = 0; i < 20; i++) await h.store.create(device(`dev-${i}`, 'Ready'));
  await delay(200);
  t.equal(h.on(topics.fleetSummary()).length, before, 'none yet: the start-up summary was sent less than the interval ago');
  await delay(400);
  t.equal(h.on(topics.fleetSummary()).length, before + 1, 'then one for the whole burst');
  t.equal(h.last<FleetSummary>(topics.fleetSummary())?.devices.total, 20);
});

t.test("a pod's phase on a device reaches the device's document within the device interval, in one document for many changes", async (t) => {
  const h = await harness(t, { deviceIntervalMs: 150 });
  await h.store.create(device('cam-1', 'Ready'));
  const sentBefore = h.on(topics.fleetDevice('cam-1')).length;
  for (let i = 0; i < 5; i++) await h.store.create(pod(`web-${i}`, 'cam-1'));
  t.equal(h.on(topics.fleetDevice('cam-1')).length, sentBefore, 'not at once');
  await delay(300);
  t.equal(h.on(topics.fleetDevice('cam-1')).length, sentBefore + 1, 'once for all five');
  t.match(h.last<FleetDeviceHealth>(topics.fleetDevice('cam-1')), { pods: { total: 5, byPhase: { Pending: 5 } } });
  const running = await h.store.get('Pod', 'default', 'web-0');
  await h.store.update({ ...(running as Pod), status: { phase: 'Running' } });
  await delay(300);
  t.match(h.last<FleetDeviceHealth>(topics.fleetDevice('cam-1')), { pods: { byPhase: { Pending: 4, Running: 1 } } });
});

t.test('heartbeats refresh a device document only once its figures are older than the refresh time', async (t) => {
  const h = await harness(t, { refreshMs: 30_000 });
  await h.store.create(device('cam-1', 'Ready'));
  const sent = () => h.on(topics.fleetDevice('cam-1')).length;
  const before = sent();
  h.now.ms += 10_000;
  h.fleet.heartbeat('cam-1');
  t.equal(sent(), before, 'a heartbeat 10 s later sends nothing');
  h.now.ms += 25_000;
  h.fleet.heartbeat('cam-1');
  t.equal(sent(), before + 1, 'one 35 s after the last document does');
  t.equal(h.last<FleetDeviceHealth>(topics.fleetDevice('cam-1'))?.lastSeen, new Date(h.now.ms).toISOString(), 'with the fresh last contact');
  h.fleet.heartbeat('unknown-device');
  t.equal(h.on(topics.fleetDevice('unknown-device')).length, 0, 'a device the hub does not know gets no document');
});

t.test("a removed device's retained document is cleared", async (t) => {
  const h = await harness(t);
  await h.store.create(device('cam-1', 'Ready'));
  await h.store.delete('Device', undefined, 'cam-1');
  const last = h.on(topics.fleetDevice('cam-1')).at(-1);
  t.same(last, { topic: topics.fleetDevice('cam-1'), value: null, retain: true });
});

t.test('rollouts of Deployments reach the summary from their status', async (t) => {
  const h = await harness(t);
  const web: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
    status: {
      replicas: 2,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      rollout: { revision: 3, phase: 'Paused', wave: 1, waves: 2, target: 2, updated: 1, ready: 1, failed: 0, pending: 0, message: 'waiting for rollout resume' },
    },
  };
  await h.store.create(web);
  await delay(250);
  t.match(h.last<FleetSummary>(topics.fleetSummary())?.rollouts, { byPhase: { Paused: 1 }, active: [{ kind: 'Deployment', name: 'web', revision: 3, phase: 'Paused' }] });
});

t.test('events go out on the events topic, not retained, naming the device of a pod', async (t) => {
  const h = await harness(t);
  await h.store.create(pod('web-1', 'cam-9'));
  const recorded: FlotillaEvent = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.abc', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' },
    type: 'Warning',
    reason: 'BackOff',
    message: 'back-off 10s restarting failed container main',
    count: 1,
    firstTimestamp: '2026-03-01T10:00:00.000Z',
    lastTimestamp: '2026-03-01T10:00:00.000Z',
    source: 'hub',
  };
  h.fleet.event(recorded);
  const sent = h.on(topics.fleetEvents());
  t.equal(sent.length, 1);
  t.equal(sent[0]?.retain, false);
  t.match(sent[0]?.value as FleetEvent, { schema: 'flotilla.fleet.event/v1', reason: 'BackOff', device: 'cam-9', object: { kind: 'Pod', name: 'web-1' } });
});

t.test('republishing sends every retained document again, for a broker that lost them', async (t) => {
  const h = await harness(t);
  await h.store.create(device('cam-1', 'Ready'));
  await h.store.create(device('cam-2', 'Ready'));
  h.published.length = 0;
  h.fleet.republishAll();
  t.same(h.published.map((p) => p.topic).sort(), [topics.fleetDevice('cam-1'), topics.fleetDevice('cam-2'), topics.fleetSummary()].sort());
});

t.test('after stop nothing more is published', async (t) => {
  const h = await harness(t);
  h.fleet.stop();
  h.published.length = 0;
  await h.store.create(device('cam-1', 'Ready'));
  await delay(150);
  t.same(h.published, []);
});
