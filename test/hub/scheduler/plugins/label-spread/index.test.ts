import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/label-spread/index.js';
import { createScheduler, snapshotFleet } from '../../../../../hub/scheduler/schedule.js';
import { device, pod, scoresOf } from '../../fixtures.js';

const plugin = create({ topologyKey: 'site' });
const fleet = [
  device('a-1', { labels: { site: 'a' } }),
  device('a-2', { labels: { site: 'a' } }),
  device('b-1', { labels: { site: 'b' } }),
  device('c-1', { labels: { site: 'c' } }),
  device('lab', { labels: {} }),
];

t.test('is registered under the name label-spread', async (t) => {
  t.equal(plugin.name, NAME);
  t.equal(NAME, 'label-spread');
});

t.test('prefers devices of the site with the fewest pods of the workload, whatever device they are on', async (t) => {
  const running = [
    pod('web-1', { owner: 'dep-web', nodeName: 'a-1' }),
    pod('web-2', { owner: 'dep-web', nodeName: 'a-2' }),
    pod('web-3', { owner: 'dep-web', nodeName: 'b-1' }),
  ];
  const scores = scoresOf(plugin, pod('web-4', { owner: 'dep-web' }), fleet, running);
  t.same(Object.fromEntries(scores), { 'a-1': 0, 'a-2': 0, 'b-1': 50, 'c-1': 100, lab: 0 });
});

t.test('ignores pods of other workloads', async (t) => {
  const running = [pod('db-1', { owner: 'dep-db', nodeName: 'c-1' })];
  const scores = scoresOf(plugin, pod('web-1', { owner: 'dep-web' }), fleet, running);
  t.same(Object.fromEntries(scores), { 'a-1': 100, 'a-2': 100, 'b-1': 100, 'c-1': 100, lab: 0 });
});

t.test('scores a device without the label lowest, so labelled devices come first', async (t) => {
  const scores = scoresOf(plugin, pod('web-1'), fleet);
  t.equal(scores.get('lab'), 0);
  t.equal(scores.get('a-1'), 100);
});

t.test('places 6 replicas two per site across 3 sites when spreading by site weighs most', async (t) => {
  const devices = ['a', 'b', 'c'].flatMap((site) => [1, 2, 3, 4].map((i) => device(`${site}-${i}`, { labels: { site } })));
  const scheduler = createScheduler({
    scores: [
      { name: 'label-spread', weight: 3 },
      { name: 'spread', weight: 1 },
    ],
    pluginArgs: { 'label-spread': { topologyKey: 'site' } },
  });
  const snapshot = snapshotFleet(devices, []);
  const perSite = new Map<string, number>();
  for (let i = 1; i <= 6; i++) {
    const replica = pod(`web-${i}`, { owner: 'dep-web' });
    const result = scheduler.schedule(replica, snapshot);
    if (!result.bound) throw new Error(result.message);
    snapshot.assume(replica, result.device);
    const site = result.device.split('-')[0] as string;
    perSite.set(site, (perSite.get(site) ?? 0) + 1);
  }
  t.same(Object.fromEntries(perSite), { a: 2, b: 2, c: 2 });
});

t.test('refuses to start without a topology key, or with one that is not a label key', async (t) => {
  t.throws(() => create(), { code: 'Invalid', details: [{ field: 'topologyKey', message: /is required/ }] });
  t.throws(() => create({ topologyKey: 'bad key' }), { code: 'Invalid', details: [{ field: 'topologyKey' }] });
  t.throws(() => create({ topologyKey: 3 }), { code: 'Invalid', details: [{ field: 'topologyKey' }] });
  t.throws(() => create({ topologyKey: 'site', zone: 'x' }), { code: 'Invalid', details: [{ field: 'zone' }] });
});
