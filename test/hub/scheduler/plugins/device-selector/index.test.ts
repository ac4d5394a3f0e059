import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/device-selector/index.js';
import { CycleContext } from '../../../../../hub/scheduler/framework.js';
import { snapshotFleet } from '../../../../../hub/scheduler/snapshot.js';
import type { Status } from '../../../../../hub/scheduler/framework.js';
import { device, filterOn, pod, preFilterOn } from '../../fixtures.js';

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
  t.same(status.reasons, ['device does not match role=camera,site in (a)']);
});

t.test('requires both nodeSelector and deviceSelector to match', async (t) => {
  const plugin = create();
  const both = pod('web', { nodeSelector: { site: 'a' }, deviceSelector: 'role=camera' });
  t.equal(filterOn(plugin, both, camera).code, 'Success');
  const otherSite = device('cam-2', { labels: { role: 'camera', site: 'b' } });
  t.same(filterOn(plugin, both, otherSite).reasons, ['device does not match role=camera,site=a']);
});

t.test('honours negations and set exclusions', async (t) => {
  const plugin = create();
  const retired = device('cam-9', { labels: { role: 'camera', decommissioned: 'true' } });
  t.equal(filterOn(plugin, pod('web', { deviceSelector: 'role=camera,!decommissioned' }), retired).code, 'UnschedulableAndUnresolvable');
  t.equal(filterOn(plugin, pod('web', { deviceSelector: 'site notin (b)' }), camera).code, 'Success');
});

t.test('takes every form of requirement: =, ==, !=, in, notin, exists and !key', async (t) => {
  const plugin = create();
  const gpuCam = device('cam-gpu', { labels: { role: 'camera', site: 'a', gpu: 'true' } });
  const cases: [string, boolean][] = [
    ['role=camera', true],
    ['role==camera', true],
    ['role!=camera', false],
    ['site in (a,b)', true],
    ['site in (b,c)', false],
    ['site notin (b,c)', true],
    ['site notin (a)', false],
    ['gpu', true],
    ['!gpu', false],
    ['tier notin (test)', true],
    ['tier', false],
    ['role=camera,site in (a),gpu,!retired', true],
  ];
  for (const [selector, matches] of cases) {
    t.equal(filterOn(plugin, pod('web', { deviceSelector: selector }), gpuCam).code, matches ? 'Success' : 'UnschedulableAndUnresolvable', selector);
  }
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

const site = (name: string, labels: Record<string, string>) => device(name, { labels });
const fleet = [
  site('cam-a', { role: 'camera', site: 'a' }),
  site('cam-b', { role: 'camera', site: 'b' }),
  site('gw-a', { role: 'gateway', site: 'a' }),
  site('sensor-a', { role: 'sensor', site: 'a' }),
  site('sensor-b', { role: 'sensor', site: 'b', retired: 'yes' }),
];

t.test('names exactly the matching devices before any is looked at, so the scheduler asks about no other', async (t) => {
  const plugin = create();
  t.same(preFilterOn(plugin, pod('web', { nodeSelector: { site: 'a' }, deviceSelector: 'role in (camera,sensor)' }), fleet), {
    devices: ['cam-a', 'sensor-a'],
    exact: true,
  });
  t.same(preFilterOn(plugin, pod('web', { deviceSelector: 'role in (sensor,camera),!retired' }), fleet), {
    devices: ['cam-a', 'cam-b', 'sensor-a'],
    exact: true,
  });
  t.same(preFilterOn(plugin, pod('web', { deviceSelector: 'retired' }), fleet), { devices: ['sensor-b'], exact: true });
  t.same(preFilterOn(plugin, pod('web', { deviceSelector: 'role=drone' }), fleet), { devices: [], exact: true });
});

t.test('names the matching devices for a selector that only excludes, looking at every device', async (t) => {
  t.same(preFilterOn(create(), pod('web', { deviceSelector: 'role!=camera,site notin (b)' }), fleet), {
    devices: ['gw-a', 'sensor-a'],
    exact: true,
  });
});

t.test('skips itself for a pod that selects nothing, or a selector every device matches', async (t) => {
  const plugin = create();
  t.equal((preFilterOn(plugin, pod('web'), fleet) as Status).code, 'Skip');
  t.equal((preFilterOn(plugin, pod('web', { deviceSelector: 'site' }), fleet) as Status).code, 'Skip');
});

t.test('answers its filter from what the pre-filter learnt, and the same as without it', async (t) => {
  const plugin = create();
  const web = pod('web', { deviceSelector: 'role=camera,site=a' });
  for (const d of fleet) {
    const expected = d.metadata.labels?.role === 'camera' && d.metadata.labels.site === 'a' ? 'Success' : 'UnschedulableAndUnresolvable';
    t.equal(filterOn(plugin, web, d).code, expected, `${d.metadata.name} alone`);
  }
  const snapshot = snapshotFleet(fleet, []);
  const ctx = new CycleContext(web, snapshot);
  plugin.preFilter(ctx);
  t.same(
    snapshot.devices.map((d) => plugin.filter(ctx, web, d).code),
    ['Success', 'UnschedulableAndUnresolvable', 'UnschedulableAndUnresolvable', 'UnschedulableAndUnresolvable', 'UnschedulableAndUnresolvable'],
  );
});
