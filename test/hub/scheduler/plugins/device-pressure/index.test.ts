import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/device-pressure/index.js';
import { createScheduler } from '../../../../../hub/scheduler/schedule.js';
import { DEFAULT_FILTERS } from '../../../../../hub/scheduler/config.js';
import { snapshotFleet } from '../../../../../hub/scheduler/snapshot.js';
import type { Status } from '../../../../../hub/scheduler/framework.js';
import type { Device, DeviceCondition } from '../../../../../shared/objects.js';
import { device, filterOn, pod, preFilterOn } from '../../fixtures.js';

const plugin = create();

function under(name: string, ...pressures: { type: DeviceCondition['type']; message?: string; status?: DeviceCondition['status'] }[]): Device {
  const d = device(name);
  d.status!.conditions = [
    { type: 'Ready', status: 'True', reason: 'AgentReady' },
    ...pressures.map(({ type, message, status = 'True' }) => ({ type, status, reason: 'AboveThreshold', ...(message === undefined ? {} : { message }) })),
  ];
  return d;
}

t.test('is registered under the name device-pressure', async (t) => {
  t.equal(plugin.name, NAME);
  t.equal(NAME, 'device-pressure');
});

t.test('lets a pod onto a device under no pressure, or with pressure conditions that are False or Unknown', async (t) => {
  t.equal(filterOn(plugin, pod('web'), device('cam-1')).code, 'Success', 'no conditions at all');
  t.equal(filterOn(plugin, pod('web'), under('cam-1', { type: 'MemoryPressure', status: 'False' })).code, 'Success');
  t.equal(filterOn(plugin, pod('web'), under('cam-1', { type: 'DiskPressure', status: 'Unknown' })).code, 'Success');
});

t.test('keeps a new pod off a device under memory pressure, with the figure, for now rather than for good', async (t) => {
  const status = filterOn(plugin, pod('web'), under('cam-1', { type: 'MemoryPressure', message: 'memory 93% in use, at or above the 90% threshold' }));
  t.equal(status.code, 'Unschedulable', 'pressure passes: the pod is placed when it does');
  t.same(status.reasons, ['device is under memory pressure (memory 93% in use, at or above the 90% threshold)']);
  t.same(status.summaries, ['device is under memory pressure']);
});

t.test('names every pressure a device is under, disk and heat too', async (t) => {
  const status = filterOn(plugin, pod('web'), under('cam-1', { type: 'DiskPressure' }, { type: 'HighTemperature' }));
  t.same(status.summaries, ['device is under disk pressure', 'device is too hot']);
});

t.test('names the devices without pressure before any is looked at, and skips itself when none is under pressure', async (t) => {
  const fleet = [device('calm'), under('full', { type: 'MemoryPressure' }), device('calm-too')];
  t.same(preFilterOn(create(), pod('web'), fleet), { devices: ['calm', 'calm-too'], exact: true });
  t.equal((preFilterOn(create(), pod('web'), [device('a'), device('b')]) as Status).code, 'Skip');
});

t.test('by default, a pod that fits nowhere says how many devices are under pressure', async (t) => {
  t.ok(DEFAULT_FILTERS.includes(NAME), 'it is one of the default filters');
  const scheduler = createScheduler();
  const fleet = snapshotFleet(
    [under('a', { type: 'MemoryPressure' }), under('b', { type: 'MemoryPressure' }), under('c', { type: 'MemoryPressure' }), under('d', { type: 'HighTemperature' })],
    [],
  );
  const result = scheduler.schedule(pod('web'), fleet);
  if (result.bound) throw new Error(`bound to ${result.device} under pressure`);
  t.match(result.message, /^0\/4 devices are available: 3 are under memory pressure, 1 is too hot\.$/);
});
