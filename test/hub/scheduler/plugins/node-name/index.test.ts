import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/node-name/index.js';
import type { Status } from '../../../../../hub/scheduler/framework.js';
import { device, filterOn, pod, preFilterOn } from '../../fixtures.js';

const plugin = create();

t.test('is registered under the name node-name', async (t) => {
  t.equal(plugin.name, NAME);
  t.equal(NAME, 'node-name');
});

t.test('lets a pod without a nodeName onto any device', async (t) => {
  t.equal(filterOn(plugin, pod('web'), device('cam-1')).code, 'Success');
});

t.test('lets a pod onto the device its nodeName names', async (t) => {
  t.equal(filterOn(plugin, pod('web', { nodeName: 'cam-1' }), device('cam-1')).code, 'Success');
});

t.test('keeps a pod off every other device, naming the device it asked for', async (t) => {
  const status = filterOn(plugin, pod('web', { nodeName: 'cam-1' }), device('cam-2'));
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.same(status.reasons, ["device is not the pod's nodeName cam-1"]);
});

t.test('names the one device a pod asks for before any is looked at, and none when it is not in the fleet', async (t) => {
  const fleet = [device('cam-1'), device('cam-2')];
  t.same(preFilterOn(plugin, pod('web', { nodeName: 'cam-2' }), fleet), { devices: ['cam-2'], exact: true });
  t.same(preFilterOn(plugin, pod('web', { nodeName: 'cam-9' }), fleet), { devices: [], exact: true });
});

t.test('skips itself for a pod without a nodeName', async (t) => {
  t.equal((preFilterOn(plugin, pod('web'), [device('cam-1')]) as Status).code, 'Skip');
});
