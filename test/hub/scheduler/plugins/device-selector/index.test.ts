import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/device-selector/index.js';
import { device, filterOn, pod } from '../../fixtures.js';

const camera = device('cam-1', { labels: { role: 'camera', site: 'a' } });
const sensor = device('sensor-1', { labels: { role: 'sensor', site: 'a' } });

t.test('is registered under the name device-selector', async (t) => {
  t.equal(create().name, NAME);
  t.equal(NAME, 'device-selector');
});

t.test('lets a pod that selects nothing onto any device, labelled or not', async (t) => {
  const plugin = create();
  t.equal(filterOn(plugin, pod('web'), camera).code, 'Success');
  t.equal(filterOn(plugin, pod('web', { nodeSelector: {}, deviceSelector: '  ' }), device('bare')).code, 'Success');
});

t.test('lets a pod onto a device whose labels match its deviceSelector', async (t) => {
  const status = filterOn(create(), pod('web', { deviceSelector: 'role=camera,site in (a,b)' }), camera);
  t.equal(status.code, 'Success');
});

t.test('keeps a pod off a device whose labels do not match, quoting the selector', async (t) => {
  const status = filterOn(create(), pod('web', { deviceSelector: 'role=camera,site in (a)' }), sensor);
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.same(status.reasons, ['labels do not match selector role=camera,site in (a)']);
});

t.test('requires both nodeSelector and deviceSelector to match', async (t) => {
  const plugin = create();
  const both = pod('web', { nodeSelector: { site: 'a' }, deviceSelector: 'role=camera' });
  t.equal(filterOn(plugin, both, camera).code, 'Success');
  const otherSite = device('cam-2', { labels: { role: 'camera', site: 'b' } });
  t.same(filterOn(plugin, both, otherSite).reasons, ['labels do not match selector role=camera,site=a']);
});

t.test('honours negations and set exclusions', async (t) => {
  const plugin = create();
  const retired = device('cam-9', { labels: { role: 'camera', decommissioned: 'true' } });
  t.equal(filterOn(plugin, pod('web', { deviceSelector: 'role=camera,!decommissioned' }), retired).code, 'UnschedulableAndUnresolvable');
  t.equal(filterOn(plugin, pod('web', { deviceSelector: 'site notin (b)' }), camera).code, 'Success');
});

t.test('refuses a pod with an unreadable deviceSelector before looking at any device, saying where it breaks', async (t) => {
  const plugin = create();
  const status = filterOn(plugin, pod('web', { deviceSelector: 'site in (a' }), camera);
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.match(status.reasons[0], /^deviceSelector "site in \(a" is invalid at the end: /);
});

t.test('refuses a pod whose nodeSelector has an invalid label key', async (t) => {
  const status = filterOn(create(), pod('web', { nodeSelector: { 'bad key': 'x' } }), camera);
  t.match(status.reasons[0], /^nodeSelector is invalid: /);
});

t.test('gives every mismatching device the same status, so a large fleet costs no allocations per device', async (t) => {
  const plugin = create();
  const web = pod('web', { deviceSelector: 'role=camera' });
  t.equal(filterOn(plugin, web, sensor), filterOn(plugin, web, device('sensor-2', { labels: { role: 'sensor' } })));
});

t.test("sees a device's new labels in the next snapshot of the fleet", async (t) => {
  const plugin = create();
  const web = pod('web', { deviceSelector: 'role=camera' });
  t.equal(filterOn(plugin, web, device('dev-1', { labels: { role: 'camera' } })).code, 'Success');
  t.equal(filterOn(plugin, web, device('dev-1', { labels: { role: 'sensor' } })).code, 'UnschedulableAndUnresolvable');
});
