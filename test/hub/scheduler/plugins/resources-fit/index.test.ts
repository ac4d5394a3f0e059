import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/resources-fit/index.js';
import { CycleContext } from '../../../../../hub/scheduler/framework.js';
import { assume, forget, snapshotFleet, type DeviceSnapshot } from '../../../../../hub/scheduler/schedule.js';
import type { Pod } from '../../../../../shared/objects.js';
import { device, filterOn, pod } from '../../fixtures.js';

const plugin = create();
const small = device('pi-1', { capacity: { cpu: '1', memory: '1Gi', pods: 3 } });

t.test('is registered under the name resources-fit', async (t) => {
  t.equal(plugin.name, NAME);
  t.equal(NAME, 'resources-fit');
});

t.test('lets a pod onto a device with room for its request', async (t) => {
  const web = pod('web', { requests: { cpu: '500m', memory: '256Mi' } });
  t.equal(filterOn(plugin, web, small).code, 'Success');
});

t.test('counts what pods already on the device request, and says how much cpu is left', async (t) => {
  const busy = [pod('a', { nodeName: 'pi-1', requests: { cpu: '800m' } })];
  const status = filterOn(plugin, pod('web', { requests: { cpu: '500m' } }), small, busy);
  t.equal(status.code, 'Unschedulable');
  t.same(status.reasons, ['insufficient cpu (requested 500m, 200m free of 1)']);
  t.same(status.summaries, ['device has too little cpu']);
});

t.test('says how much memory is left when memory is short', async (t) => {
  const busy = [pod('a', { nodeName: 'pi-1', requests: { memory: '900Mi' } })];
  const status = filterOn(plugin, pod('web', { requests: { memory: '256Mi' } }), small, busy);
  t.same(status.reasons, ['insufficient memory (requested 256Mi, 124Mi free of 1Gi)']);
});

t.test('refuses a device whose pod slots are all taken', async (t) => {
  const busy = ['a', 'b', 'c'].map((name) => pod(name, { nodeName: 'pi-1' }));
  t.same(filterOn(plugin, pod('web'), small, busy).reasons, ['too many pods (3 of 3)']);
});

t.test('reports every shortfall at once', async (t) => {
  const busy = ['a', 'b', 'c'].map((name) => pod(name, { nodeName: 'pi-1', requests: { cpu: '300m', memory: '300Mi' } }));
  const status = filterOn(plugin, pod('web', { requests: { cpu: '200m', memory: '200Mi' } }), small, busy);
  t.same(status.summaries, ['device has no room for another pod', 'device has too little cpu', 'device has too little memory']);
});

t.test('uses limits as the request when a container states only limits, as Kubernetes', async (t) => {
  const status = filterOn(plugin, pod('web', { limits: { cpu: '2' } }), small);
  t.same(status.reasons, ['insufficient cpu (requested 2, 1 free of 1)']);
});

t.test('prefers requests over limits when a container states both', async (t) => {
  const status = filterOn(plugin, pod('web', { requests: { cpu: '100m' }, limits: { cpu: '2' } }), small);
  t.equal(status.code, 'Success');
});

t.test('ignores pods that have finished when counting what is used', async (t) => {
  const done = [pod('job', { nodeName: 'pi-1', requests: { cpu: '1' }, phase: 'Succeeded' })];
  t.equal(filterOn(plugin, pod('web', { requests: { cpu: '1' } }), small, done).code, 'Success');
});

t.test('lets a pod that asks for nothing onto an overcommitted device with a free slot', async (t) => {
  const hog = [pod('hog', { nodeName: 'pi-1', requests: { cpu: '3' } })];
  t.equal(filterOn(plugin, pod('web'), small, hog).code, 'Success');
});

t.test('never shows negative free room on an overcommitted device', async (t) => {
  const hog = [pod('hog', { nodeName: 'pi-1', requests: { cpu: '3' } })];
  t.same(filterOn(plugin, pod('web', { requests: { cpu: '100m' } }), small, hog).reasons, ['insufficient cpu (requested 100m, 0 free of 1)']);
});

t.test('keeps pods off a device that has not reported its capacity', async (t) => {
  const status = filterOn(plugin, pod('web'), device('new-1', { capacity: null }));
  t.equal(status.code, 'Unschedulable');
  t.same(status.reasons, ['device has not reported capacity yet']);
});

t.test('keeps pods off a device whose capacity cannot be read, naming the field', async (t) => {
  const status = filterOn(plugin, pod('web'), device('odd-1', { capacity: { cpu: 'lots' } }));
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.match(status.reasons[0], /status\.capacity\.cpu/);
  t.same(status.summaries, ['device has an unreadable capacity']);
});

t.test('refuses a pod with an unreadable quantity before any device, naming the container field', async (t) => {
  const status = filterOn(plugin, pod('web', { requests: { cpu: 'much' } }), small);
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.match(status.reasons[0], /spec\.containers\[0\]\.resources\.requests\.cpu/);
});

t.test('answers a device the same way for alike pods, and anew once its load or the request changes', async (t) => {
  const fresh = create();
  const fleet = snapshotFleet([small], [pod('a', { nodeName: 'pi-1', requests: { cpu: '800m' } })]);
  const pi = fleet.device('pi-1') as DeviceSnapshot;
  const ask = (p: Pod) => {
    const ctx = new CycleContext(p, fleet);
    fresh.preFilter(ctx);
    return fresh.filter(ctx, p, pi);
  };
  const first = ask(pod('web-1', { requests: { cpu: '500m' } }));
  t.equal(ask(pod('web-2', { requests: { cpu: '500m' } })), first, 'the same refusal for an alike pod on an unchanged device');
  t.same(ask(pod('web-3', { requests: { cpu: '300m' } })).reasons, ['insufficient cpu (requested 300m, 200m free of 1)'], 'a different request is judged anew');
  forget(fleet, pod('a', { nodeName: 'pi-1' }));
  t.equal(ask(pod('web-4', { requests: { cpu: '500m' } })).code, 'Success', 'room freed on the device is seen');
  assume(fleet, pod('b', { nodeName: 'pi-1', requests: { cpu: '900m' } }), 'pi-1');
  t.same(ask(pod('web-5', { requests: { cpu: '500m' } })).reasons, ['insufficient cpu (requested 500m, 100m free of 1)'], 'new load, new figures');
});
