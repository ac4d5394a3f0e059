import { pino } from 'pino';
import t, { type Test } from 'tap';
import { DeviceConditionsController } from '../../../../hub/controllers/device-conditions/index.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';
import type { Store } from '../../../../hub/store/store.js';
import type { Device, DeviceUsage, FlotillaEvent } from '../../../../shared/objects.js';

const silent = pino({ level: 'silent' });
const GIB = 1024 ** 3;
const START = Date.parse('2026-01-01T12:00:00.000Z');

function figures(memoryPercent: number): DeviceUsage {
  return { cpuPercent: 5, memoryUsedBytes: (memoryPercent / 100) * 8 * GIB, memoryTotalBytes: 8 * GIB, diskUsedBytes: 10 * GIB, diskTotalBytes: 32 * GIB };
}

async function fixture(t: Test, options: { thresholds?: { memoryPressurePercent?: number } } = {}) {
  const store: Store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  const usage = new Map<string, DeviceUsage>();
  const events: Pick<FlotillaEvent, 'type' | 'reason' | 'message'>[] = [];
  let now = START;
  const enqueued: string[] = [];
  const controller = new DeviceConditionsController({
    store,
    log: silent,
    events: { record: (_involved, type, reason, message) => void events.push({ type, reason, message }) },
    usage: (name) => usage.get(name),
    ...(options.thresholds === undefined ? {} : { thresholds: options.thresholds }),
    now: () => now,
  });
  controller.attach((key) => enqueued.push(key));
  const device: Device = { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1' }, status: { state: 'Ready', message: 'heartbeats on time' } };
  const created = await store.create(device);
  return { store, usage, events, enqueued, controller, created, tick: (ms: number) => (now += ms) };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** Feeds the stored device to the controller as its watch would, and reconciles what that enqueues. */
async function settle(f: Fixture): Promise<Device> {
  const stored = (await f.store.get('Device', undefined, 'cam-1')) as Device;
  for (const key of f.controller.keysFor({ type: 'MODIFIED', object: stored })) await f.controller.reconcile(key);
  return (await f.store.get('Device', undefined, 'cam-1')) as Device;
}

t.test('a device gets its conditions, and a heartbeat past the memory threshold puts it under pressure with a Warning', async (t) => {
  const f = await fixture(t);
  f.usage.set('cam-1', figures(40));
  const first = await settle(f);
  t.same(first.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Ready=True', 'MemoryPressure=False', 'DiskPressure=False', 'HighTemperature=False']);
  t.same(f.events, [], 'no event for a device that is fine');

  f.usage.set('cam-1', figures(95));
  f.controller.observe('cam-1');
  t.same(f.enqueued, ['cam-1'], 'the heartbeat enqueues the device');
  await f.controller.reconcile('cam-1');
  const pressed = (await f.store.get('Device', undefined, 'cam-1')) as Device;
  t.equal(pressed.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status, 'True');
  t.same(f.events, [{ type: 'Warning', reason: 'MemoryPressure', message: 'device is under memory pressure: memory 95% in use, at or above the 90% threshold' }]);
});

t.test('heartbeats that change no condition write nothing and enqueue nothing', async (t) => {
  const f = await fixture(t);
  f.usage.set('cam-1', figures(95));
  const pressed = await settle(f);
  f.enqueued.length = 0;
  for (const percent of [96, 92, 88, 91]) {
    f.usage.set('cam-1', figures(percent));
    f.controller.observe('cam-1');
  }
  t.same(f.enqueued, [], 'within the margin the pressure holds');
  await f.controller.reconcile('cam-1');
  t.equal((await f.store.get('Device', undefined, 'cam-1'))?.metadata.resourceVersion, pressed.metadata.resourceVersion, 'not written again');
});

t.test('the end of the pressure is a Normal event, and the device state drives Ready', async (t) => {
  const f = await fixture(t);
  f.usage.set('cam-1', figures(95));
  await settle(f);
  f.tick(10_000);
  f.usage.set('cam-1', figures(50));
  const relieved = await settle(f);
  t.equal(relieved.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status, 'False');
  t.same(f.events.at(-1), { type: 'Normal', reason: 'NoMemoryPressure', message: 'memory 50% in use, more than 5% below the 90% threshold' });

  await f.store.update({ ...relieved, status: { ...relieved.status!, state: 'Offline', message: 'no contact for more than 90s' } });
  const offline = await settle(f);
  t.same(offline.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Ready=Unknown', 'MemoryPressure=Unknown', 'DiskPressure=Unknown', 'HighTemperature=Unknown']);
  t.equal(f.events.length, 2, 'no event of its own for a state change: the lifecycle controller records those');
});

t.test("the hub's thresholds apply to a device that reports none, and the device's own win", async (t) => {
  const f = await fixture(t, { thresholds: { memoryPressurePercent: 60 } });
  f.usage.set('cam-1', figures(70));
  const byHub = await settle(f);
  t.equal(byHub.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status, 'True', "70% is past the hub's 60%");

  const info = { arch: 'arm64', os: 'linux', kernel: '6.1', hostname: 'cam-1', runtime: 'docker', runtimeVersion: '24', agentVersion: '0.1.0', health: { memoryPressurePercent: 80 } };
  await f.store.update({ ...byHub, status: { ...byHub.status!, info } });
  const byDevice = await settle(f);
  t.equal(byDevice.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status, 'False', "70% is more than 5 points below the device's own 80%");
});

t.test('a device written by someone else meanwhile is retried, not overwritten', async (t) => {
  const f = await fixture(t);
  f.usage.set('cam-1', figures(95));
  const stale = (await f.store.get('Device', undefined, 'cam-1')) as Device;
  const realStore = f.store;
  // The lifecycle controller writes the device between this controller's read and its write.
  const racing = Object.create(realStore) as Store;
  racing.get = (async (...args: Parameters<Store['get']>) => {
    const read = await realStore.get(...args);
    await realStore.update({ ...(read as Device), metadata: { ...(read as Device).metadata, labels: { moved: 'yes' } } });
    return read;
  }) as Store['get'];
  const controller = new DeviceConditionsController({ store: racing, log: silent, events: { record: () => undefined }, usage: () => figures(95) });
  await t.rejects(controller.reconcile('cam-1'), { code: 'Conflict' });
  t.equal((await realStore.get('Device', undefined, 'cam-1'))?.metadata.labels?.['moved'], 'yes', "the other writer's change stands");
  t.notOk(stale.status?.conditions);
});
