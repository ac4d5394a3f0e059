import t from 'tap';
import { create, MAX_PODS_PER_DEVICE_ANNOTATION, NAME } from '../../../../../hub/scheduler/plugins/pods-per-device/index.js';
import { Status } from '../../../../../hub/scheduler/framework.js';
import { createScheduler, snapshotFleet } from '../../../../../hub/scheduler/schedule.js';
import { device, filterOn, pod, preFilterOn } from '../../fixtures.js';

const cam = device('cam-1');
const limited = (name: string, most: string, nodeName?: string) =>
  pod(name, { owner: 'dep-web', annotations: { [MAX_PODS_PER_DEVICE_ANNOTATION]: most }, ...(nodeName === undefined ? {} : { nodeName }) });

t.test('is registered under the name pods-per-device', async (t) => {
  t.equal(create().name, NAME);
  t.equal(NAME, 'pods-per-device');
  t.equal(MAX_PODS_PER_DEVICE_ANNOTATION, 'flotilla.io/max-pods-per-device');
});

t.test("keeps a workload's pod off a device that already runs as many of its pods as the annotation allows", async (t) => {
  const status = filterOn(create(), limited('web-3', '2'), cam, [limited('web-1', '2', 'cam-1'), limited('web-2', '2', 'cam-1')]);
  t.equal(status.code, 'Unschedulable', 'a pod of the workload leaving would make room');
  t.same(status.reasons, ['device is at the limit of 2 pods of the workload per device']);
});

t.test('lets the pod onto a device below the limit, counting only pods of its own workload', async (t) => {
  const other = pod('db-1', { owner: 'dep-db', nodeName: 'cam-1' });
  t.equal(filterOn(create(), limited('web-2', '2'), cam, [limited('web-1', '2', 'cam-1'), other]).code, 'Success');
});

t.test('takes the limit from the settings for a workload that does not set one, and the annotation over it', async (t) => {
  const plugin = create({ defaultMaxPerDevice: 1 });
  const running = [pod('web-1', { owner: 'dep-web', nodeName: 'cam-1' })];
  t.same(filterOn(plugin, pod('web-2', { owner: 'dep-web' }), cam, running).reasons, ['device is at the limit of 1 pod of the workload per device']);
  t.equal(filterOn(plugin, limited('web-2', '3'), cam, running).code, 'Success');
});

t.test('is skipped when no limit applies: none set, or a pod without a workload', async (t) => {
  t.equal(preFilterOn(create(), pod('web', { owner: 'dep-web' }), [cam]), Status.skip());
  t.equal(preFilterOn(create({ defaultMaxPerDevice: 1 }), pod('bare'), [cam]), Status.skip());
  t.equal(preFilterOn(create({ defaultMaxPerDevice: 0 }), pod('web', { owner: 'dep-web' }), [cam]), Status.skip(), '0 is no limit');
});

t.test('is skipped while no device holds as many pods of the workload as the limit', async (t) => {
  t.equal(preFilterOn(create(), limited('web-2', '2'), [cam]), Status.skip());
});

t.test('refuses a pod whose annotation is not a whole number above 0, saying where to fix it', async (t) => {
  for (const most of ['0', 'two', '1.5', '-1']) {
    const answer = preFilterOn(create(), limited('web', most), [cam]);
    t.ok(answer instanceof Status && answer.code === 'UnschedulableAndUnresolvable', `for "${most}"`);
    t.match((answer as Status).reasons[0], `annotation flotilla.io/max-pods-per-device "${most}" is not a whole number of pods above 0`);
  }
});

t.test('refuses a default that is not a whole number of pods, naming the argument', async (t) => {
  t.throws(() => create({ defaultMaxPerDevice: -1 }), { code: 'Invalid', details: [{ field: 'defaultMaxPerDevice' }] });
  t.throws(() => create({ defaultMaxPerDevice: '2' }), { code: 'Invalid', details: [{ field: 'defaultMaxPerDevice' }] });
  t.throws(() => create({ maxPods: 2 }), { code: 'Invalid', details: [{ field: 'maxPods', message: /takes defaultMaxPerDevice/ }] });
});

t.test('spreads 4 replicas limited to 2 per device over 2 devices and leaves the fifth pending', async (t) => {
  const scheduler = createScheduler();
  const fleet = snapshotFleet([device('a'), device('b')], []);
  const placed: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const replica = limited(`web-${i}`, '2');
    const result = scheduler.schedule(replica, fleet);
    if (result.bound) {
      fleet.assume(replica, result.device);
      placed.push(result.device);
    } else {
      t.equal(i, 5);
      t.equal(result.message, '0/2 devices are available: 2 are at the limit of 2 pods of the workload per device.');
    }
  }
  t.same(placed.sort(), ['a', 'a', 'b', 'b']);
});
