import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/node-name/index.js';
import { device, filterOn, pod } from '../../fixtures.js';

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
