import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/device-ready/index.js';
import type { Status } from '../../../../../hub/scheduler/framework.js';
import { device, filterOn, pod, preFilterOn } from '../../fixtures.js';

const plugin = create();

t.test('is registered under the name device-ready', async (t) => {
  t.equal(plugin.name, NAME);
  t.equal(NAME, 'device-ready');
});

t.test('lets a pod onto a Ready device that is not cordoned', async (t) => {
  t.equal(filterOn(plugin, pod('web'), device('cam-1')).code, 'Success');
});

t.test('keeps pods off a NotReady device, saying so', async (t) => {
  const status = filterOn(plugin, pod('web'), device('cam-1', { state: 'NotReady' }));
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.same(status.reasons, ['device is NotReady']);
});

t.test('keeps pods off an Offline device, saying so', async (t) => {
  const status = filterOn(plugin, pod('web'), device('cam-1', { state: 'Offline' }));
  t.same(status.reasons, ['device is Offline']);
});

t.test('keeps pods off a cordoned device even when it is Ready', async (t) => {
  const status = filterOn(plugin, pod('web'), device('cam-1', { cordoned: true }));
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.same(status.reasons, ['device is cordoned']);
});

t.test('keeps pods off a device that has never reported a status', async (t) => {
  const fresh = device('cam-1');
  delete fresh.status;
  t.same(filterOn(plugin, pod('web'), fresh).reasons, ['device has not connected yet']);
});

t.test('names the devices that take pods before any is looked at, vouching for each', async (t) => {
  const fresh = device('new');
  delete fresh.status;
  const fleet = [device('up'), device('down', { state: 'NotReady' }), device('drained', { cordoned: true }), fresh, device('up-too')];
  t.same(preFilterOn(create(), pod('web'), fleet), { devices: ['up', 'up-too'], exact: true });
});

t.test('skips itself when every device takes pods', async (t) => {
  t.equal((preFilterOn(create(), pod('web'), [device('a'), device('b')]) as Status).code, 'Skip');
});
