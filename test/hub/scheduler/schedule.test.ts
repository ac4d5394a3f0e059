import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import {
  isFilterPlugin,
  preFilterResult,
  Status,
  type CycleContext,
  type FilterPlugin,
  type PreFilterResult,
  type ScorePlugin,
} from '../../../hub/scheduler/framework.js';
import { inTreeRegistry, Registry } from '../../../hub/scheduler/registry.js';
import { assume, createScheduler, snapshotFleet, type DeviceSnapshot, type ScheduleResult } from '../../../hub/scheduler/schedule.js';
import type { Device, Pod } from '../../../shared/objects.js';
import { device, pod } from './fixtures.js';

function bound(result: ScheduleResult): string {
  if (!result.bound) throw new Error(`expected the pod to be bound, got: ${result.message}`);
  return result.device;
}

function unbound(result: ScheduleResult): Extract<ScheduleResult, { bound: false }> {
  if (result.bound) throw new Error(`expected no device, got ${result.device}`);
  return result;
}

/** Schedules the pods one after another, counting each where it lands, as the hub's scheduling loop does. */
function scheduleAll(devices: Device[], pods: Pod[], existing: Pod[] = []): string[] {
  const scheduler = createScheduler();
  const fleet = snapshotFleet(devices, existing);
  return pods.map((p) => {
    const name = bound(scheduler.schedule(p, fleet));
    assume(fleet, p, name);
    return name;
  });
}

t.test('places a pod only on a matching Ready device with room', async (t) => {
  const devices = [
    device('cam-busy', { labels: { role: 'camera' }, capacity: { cpu: '1' } }),
    device('cam-down', { labels: { role: 'camera' }, state: 'NotReady' }),
    device('cam-ok', { labels: { role: 'camera' }, capacity: { cpu: '1' } }),
    device('sensor', { labels: { role: 'sensor' }, capacity: { cpu: '8' } }),
  ];
  const existing = [pod('hog', { nodeName: 'cam-busy', requests: { cpu: '900m' } })];
  const fleet = snapshotFleet(devices, existing);
  const result = createScheduler().schedule(pod('web', { deviceSelector: 'role=camera', requests: { cpu: '500m' } }), fleet);
  t.equal(bound(result), 'cam-ok');
});

t.test('explains in one line why no device fits, and each device in the diagnosis', async (t) => {
  const devices = [
    device('cam-1', { labels: { role: 'camera' }, state: 'NotReady' }),
    device('sensor-1', { labels: { role: 'sensor' } }),
    device('sensor-2', { labels: { role: 'sensor' } }),
  ];
  const result = unbound(createScheduler().schedule(pod('web', { deviceSelector: 'role=camera' }), snapshotFleet(devices, [])));
  t.equal(result.reason, 'Unschedulable');
  t.equal(result.message, '0/3 devices are available: 2 do not match role=camera, 1 is NotReady.');
  t.same(result.diagnosis, [
    { device: 'cam-1', plugin: 'device-ready', code: 'UnschedulableAndUnresolvable', reasons: ['device is NotReady'] },
    { device: 'sensor-1', plugin: 'device-selector', code: 'UnschedulableAndUnresolvable', reasons: ['device does not match role=camera'] },
    { device: 'sensor-2', plugin: 'device-selector', code: 'UnschedulableAndUnresolvable', reasons: ['device does not match role=camera'] },
  ]);
});

t.test('sums up 40 devices that refused a pod in one line a person can act on', async (t) => {
  const numbered = (prefix: string, count: number, options: Parameters<typeof device>[1]) =>
    Array.from({ length: count }, (_, i) => device(`${prefix}-${String(i).padStart(2, '0')}`, options));
  const devices = [
    ...numbered('gw', 25, { labels: { role: 'gateway' } }),
    ...numbered('cam-down', 10, { labels: { role: 'camera' }, state: 'NotReady' }),
    ...numbered('cam-small', 5, { labels: { role: 'camera' }, capacity: { memory: '512Mi' } }),
  ];
  const result = unbound(createScheduler().schedule(pod('web', { deviceSelector: 'role=camera', requests: { memory: '1Gi' } }), snapshotFleet(devices, [])));
  t.equal(result.message, '0/40 devices are available: 25 do not match role=camera, 10 are NotReady, 5 have too little memory.');
});

t.test('shows the amounts each device is short by', async (t) => {
  const devices = [device('pi-1', { capacity: { cpu: '1' } }), device('pi-2', { capacity: { cpu: '1' } })];
  const existing = [pod('a', { nodeName: 'pi-1', requests: { cpu: '800m' } }), pod('b', { nodeName: 'pi-2', requests: { cpu: '900m' } })];
  const result = unbound(createScheduler().schedule(pod('web', { requests: { cpu: '500m' } }), snapshotFleet(devices, existing)));
  t.equal(result.message, '0/2 devices are available: 2 have too little cpu.');
  t.same(
    result.diagnosis.map((d) => d.reasons[0]),
    ['insufficient cpu (requested 500m, 200m free of 1)', 'insufficient cpu (requested 500m, 100m free of 1)'],
  );
});

t.test('puts 3 replicas of a Deployment on 3 devices', async (t) => {
  const devices = ['a', 'b', 'c'].map((name) => device(name));
  const replicas = [1, 2, 3].map((i) => pod(`web-${i}`, { owner: 'dep-web' }));
  t.same(new Set(scheduleAll(devices, replicas)).size, 3);
});

t.test('spreads replicas away from devices that already run some, even onto busier devices', async (t) => {
  const devices = [device('a', { capacity: { cpu: '8' } }), device('b', { capacity: { cpu: '8' } })];
  const existing = [
    pod('web-1', { nodeName: 'a', owner: 'dep-web', requests: { cpu: '100m' } }),
    pod('db', { nodeName: 'b', requests: { cpu: '4' } }),
  ];
  t.same(scheduleAll(devices, [pod('web-2', { owner: 'dep-web', requests: { cpu: '100m' } })], existing), ['b']);
});

t.test('prefers the device with more room when replicas are evenly spread', async (t) => {
  const devices = [device('a'), device('b')];
  const existing = [pod('db', { nodeName: 'a', requests: { cpu: '2', memory: '4Gi' } })];
  t.same(scheduleAll(devices, [pod('web', { requests: { cpu: '100m' } })], existing), ['b']);
});

t.test('breaks ties by fewer pods, then by name, the same way every time', async (t) => {
  const devices = [device('c'), device('b'), device('a')];
  const existing = [pod('x', { nodeName: 'a' })];
  const first = scheduleAll(devices, [pod('web')], existing);
  const again = scheduleAll(devices, [pod('web')], existing);
  t.same(first, ['b']);
  t.same(again, first);
});

t.test('fills devices up to their capacity and not beyond when pods come one after another', async (t) => {
  const devices = [device('a', { capacity: { cpu: '1' } }), device('b', { capacity: { cpu: '1' } })];
  const pods = [1, 2, 3, 4].map((i) => pod(`p${i}`, { requests: { cpu: '500m' } }));
  const placed = scheduleAll(devices, pods);
  t.same(placed.filter((d) => d === 'a').length, 2);
  t.same(placed.filter((d) => d === 'b').length, 2);
  const fleet = snapshotFleet(devices, pods.map((p, i) => ({ ...p, spec: { ...p.spec, nodeName: placed[i] } })));
  t.equal(unbound(createScheduler().schedule(pod('p5', { requests: { cpu: '500m' } }), fleet)).message, '0/2 devices are available: 2 have too little cpu.');
});

t.test('honours a pod that names its device', async (t) => {
  const devices = [device('a'), device('b'), device('c')];
  t.equal(bound(createScheduler().schedule(pod('web', { nodeName: 'c' }), snapshotFleet(devices, []))), 'c');
});

t.test('refuses a pod with an unreadable selector on every device without looking at them', async (t) => {
  const result = unbound(createScheduler().schedule(pod('web', { deviceSelector: 'role in (a' }), snapshotFleet([device('a'), device('b')], [])));
  t.match(result.message, /^0\/2 devices are available: deviceSelector "role in \(a" is invalid at the end: .*\.$/);
  t.same(
    result.diagnosis.map((d) => [d.device, d.plugin]),
    [
      ['a', 'device-selector'],
      ['b', 'device-selector'],
    ],
  );
});

t.test('says no device has enrolled when the fleet is empty', async (t) => {
  const result = unbound(createScheduler().schedule(pod('web'), snapshotFleet([], [])));
  t.equal(result.message, '0/0 devices are available: no device has enrolled yet.');
  t.same(result.diagnosis, []);
});

function withPlugin(plugin: FilterPlugin | ScorePlugin, as: 'filter' | 'score') {
  const registry = inTreeRegistry();
  registry.register(plugin.name, () => plugin);
  return as === 'filter'
    ? createScheduler({ filters: ['device-ready', plugin.name] }, registry)
    : createScheduler({ scores: [{ name: plugin.name, weight: 1 }] }, registry);
}

t.test('reports a filter plugin that throws as an Error naming it, and keeps going', async (t) => {
  const exploding: FilterPlugin = {
    name: 'exploding',
    filter(_ctx, _pod, d) {
      if (d.name === 'a') throw new Error('kaboom');
      return Status.success();
    },
  };
  const scheduler = withPlugin(exploding, 'filter');
  t.equal(bound(scheduler.schedule(pod('web'), snapshotFleet([device('a'), device('b')], []))), 'b');
  const result = unbound(scheduler.schedule(pod('web'), snapshotFleet([device('a')], [])));
  t.equal(result.reason, 'SchedulerError');
  t.equal(result.message, '0/1 devices are available: 1 hit an error in plugin exploding: kaboom.');
  t.same(result.diagnosis, [{ device: 'a', plugin: 'exploding', code: 'Error', reasons: ['kaboom'] }]);
});

t.test('reports a pre-filter that throws as an Error naming it', async (t) => {
  const exploding: FilterPlugin = {
    name: 'exploding',
    preFilter() {
      throw new Error('no config');
    },
    filter: () => Status.success(),
  };
  const result = unbound(withPlugin(exploding, 'filter').schedule(pod('web'), snapshotFleet([device('a')], [])));
  t.equal(result.reason, 'SchedulerError');
  t.same(result.diagnosis, [{ device: 'a', plugin: 'exploding', code: 'Error', reasons: ['no config'] }]);
});

t.test('treats a filter that returns something other than a Status as broken', async (t) => {
  const sloppy = { name: 'sloppy', filter: () => true as unknown as Status };
  const result = unbound(withPlugin(sloppy, 'filter').schedule(pod('web'), snapshotFleet([device('a')], [])));
  t.equal(result.diagnosis[0]?.code, 'Error');
  t.match(result.diagnosis[0]?.reasons[0], /instead of a Status/);
});

t.test('reports a score plugin that throws as an Error naming it and the device', async (t) => {
  const exploding: ScorePlugin = {
    name: 'exploding',
    score(_ctx, _pod, d) {
      if (d.name === 'b') throw new Error('kaboom');
      return 50;
    },
  };
  const result = unbound(withPlugin(exploding, 'score').schedule(pod('web'), snapshotFleet([device('a'), device('b')], [])));
  t.equal(result.reason, 'SchedulerError');
  t.equal(result.message, 'scoring failed in plugin exploding on device b: kaboom');
  t.same(result.diagnosis, [{ device: 'b', plugin: 'exploding', code: 'Error', reasons: ['kaboom'] }]);
});

t.test('treats a score outside 0..100 as a broken plugin', async (t) => {
  const greedy: ScorePlugin = { name: 'greedy', score: () => 150 };
  const result = unbound(withPlugin(greedy, 'score').schedule(pod('web'), snapshotFleet([device('a')], [])));
  t.match(result.message, /plugin greedy on device a: score 150 is outside 0\.\.100/);
});

t.test('normalizes raw scores before weighing them', async (t) => {
  const registry = inTreeRegistry();
  // Raw scores 1 and 3; normalized to 0 and 100, so weight 2 makes 200.
  const raw: ScorePlugin = {
    name: 'raw',
    score: (_c, _p, d) => (d.name === 'a' ? 1 : 3),
    normalize(scores) {
      for (const entry of scores) entry.score = entry.score === 3 ? 100 : 0;
    },
  };
  registry.register('raw', () => raw);
  const scheduler = createScheduler({ scores: [{ name: 'raw', weight: 2 }] }, registry);
  t.same(scheduler.schedule(pod('web'), snapshotFleet([device('a'), device('b')], [])), { bound: true, device: 'b', score: 200 });
});

t.test('treats a normalize that reorders the scores as a broken plugin', async (t) => {
  const shuffling: ScorePlugin = {
    name: 'shuffling',
    score: (_c, _p, d) => (d.name === 'a' ? 10 : 20),
    normalize(scores) {
      scores.reverse();
    },
  };
  const result = unbound(withPlugin(shuffling, 'score').schedule(pod('web'), snapshotFleet([device('a'), device('b')], [])));
  t.equal(result.reason, 'SchedulerError');
  t.match(result.message, /plugin shuffling.*reordered/);
});

t.test('weighs each score plugin by its weight', async (t) => {
  const registry = inTreeRegistry();
  const likes = (name: string, favourite: string): ScorePlugin => ({ name, score: (_c, _p, d) => (d.name === favourite ? 100 : 0) });
  registry.register('likes-a', () => likes('likes-a', 'a'));
  registry.register('likes-b', () => likes('likes-b', 'b'));
  const fleet = snapshotFleet([device('a'), device('b')], []);
  const heavyB = createScheduler({ scores: [{ name: 'likes-a', weight: 1 }, { name: 'likes-b', weight: 3 }] }, registry);
  t.same(heavyB.schedule(pod('web'), fleet), { bound: true, device: 'b', score: 300 });
  const heavyA = createScheduler({ scores: [{ name: 'likes-a', weight: 3 }, { name: 'likes-b', weight: 1 }] }, registry);
  t.equal(bound(heavyA.schedule(pod('web'), fleet)), 'a');
});

t.test('refuses a configuration naming a plugin it does not have', async (t) => {
  t.throws(() => createScheduler({ filters: ['gpu-fit'] }), { code: 'Invalid' });
});

t.test('looks at a different part of a large fleet for each pod, and at the whole fleet when nothing fits', async (t) => {
  const devices = Array.from({ length: 1000 }, (_, i) => device(`d-${String(i).padStart(4, '0')}`));
  const fleet = snapshotFleet(devices, []);
  const scheduler = createScheduler({ scores: [] });
  // 1000 devices: 50 - 1000/125 = 42% of them, 420, are enough to pick from.
  t.equal(bound(scheduler.schedule(pod('p1'), fleet)), 'd-0000');
  t.equal(bound(scheduler.schedule(pod('p2'), fleet)), 'd-0420');
  const nowhere = unbound(scheduler.schedule(pod('p3', { deviceSelector: 'role=none' }), fleet));
  t.equal(nowhere.diagnosis.length, 1000);
  t.equal(nowhere.diagnosis[0]?.device, 'd-0000');
});

t.test('looks at every device when told to score them all', async (t) => {
  const devices = Array.from({ length: 1000 }, (_, i) => device(`d-${String(i).padStart(4, '0')}`, { capacity: { cpu: i === 999 ? '64' : '4' } }));
  const scheduler = createScheduler({ scores: [{ name: 'least-allocated', weight: 1 }], percentageOfDevicesToScore: 100 });
  t.equal(bound(scheduler.schedule(pod('web', { requests: { cpu: '1' } }), snapshotFleet(devices, []))), 'd-0999');
});

t.test('schedules 10,000 replicas onto 10,000 devices, never past capacity', async (t) => {
  const count = 10_000;
  const devices = Array.from({ length: count }, (_, i) =>
    device(`dev-${String(i).padStart(5, '0')}`, {
      labels: { role: i % 2 === 0 ? 'camera' : 'sensor', site: `site-${i % 10}` },
      capacity: { cpu: '1', memory: '1Gi', pods: 4 },
    }),
  );
  const pods = Array.from({ length: count }, (_, i) =>
    pod(`cam-${i}`, { owner: 'dep-cam', deviceSelector: 'role=camera,site in (site-0,site-2,site-4,site-6,site-8)', requests: { cpu: '250m', memory: '128Mi' } }),
  );
  const scheduler = createScheduler();
  const fleet = snapshotFleet(devices, []);
  const perDevice = new Map<string, number>();
  for (const p of pods) {
    const name = bound(scheduler.schedule(p, fleet));
    assume(fleet, p, name);
    perDevice.set(name, (perDevice.get(name) ?? 0) + 1);
  }
  t.ok([...perDevice.keys()].every((name) => Number(name.slice(4)) % 2 === 0), 'only cameras took pods');
  t.ok([...perDevice.values()].every((n) => n <= 4), 'no device holds more than its 4 pods');
  t.equal(perDevice.size, 5000, 'replicas went to every camera');
});

// ---- Pre-filter results: candidates narrow the search, never the outcome.

/**
 * The in-tree plugins with their pre-filters still run (they prepare what `filter` reads) but
 * never naming candidates nor skipping: every search goes through the whole fleet.
 */
function fullScanRegistry(): Registry {
  const inTree = inTreeRegistry();
  const registry = new Registry();
  for (const name of inTree.names()) {
    registry.register(name, (args) => {
      const plugin = inTree.create(name, args);
      if (!isFilterPlugin(plugin) || plugin.preFilter === undefined) return plugin;
      const preFilter = plugin.preFilter.bind(plugin);
      return {
        name: plugin.name,
        filter: plugin.filter.bind(plugin),
        preFilter(ctx: CycleContext) {
          const answer = preFilter(ctx);
          return answer instanceof Status && answer.code !== 'Skip' ? answer : Status.success();
        },
      } satisfies FilterPlugin;
    });
  }
  return registry;
}

/** A fleet with labels to select by, devices that are down or cordoned, and room for few pods. */
function mixedFleet(count: number): Device[] {
  return Array.from({ length: count }, (_, i) =>
    device(`dev-${String(i).padStart(4, '0')}`, {
      labels: { site: `site-${i % 7}`, role: ['camera', 'sensor', 'gateway'][i % 3] as string, ...(i % 11 === 0 ? { gpu: 'yes' } : {}) },
      state: i % 17 === 5 ? 'NotReady' : i % 23 === 7 ? 'Offline' : 'Ready',
      cordoned: i % 29 === 3,
      capacity: { cpu: '2', memory: '2Gi', pods: 2 },
    }),
  );
}

/** Pods asking in every way the plugins answer: pinned, by set, by exclusion only, by name, for nothing, for what no device has. */
function mixedPods(count: number, devices: number): Pod[] {
  return Array.from({ length: count }, (_, i) => {
    const shape = i % 8;
    const options: Parameters<typeof pod>[1] = { owner: `app-${i % 5}`, requests: { cpu: '300m', memory: '256Mi' } };
    if (shape === 0 || shape === 1) options.nodeSelector = { site: `site-${i % 7}` };
    if (shape <= 2) options.deviceSelector = 'role in (camera,sensor)';
    if (shape === 3) options.deviceSelector = 'role!=gateway,!gpu';
    if (shape === 4) options.nodeName = `dev-${String((i * 7) % (devices + 10)).padStart(4, '0')}`;
    if (shape === 5) options.deviceSelector = 'gpu';
    if (shape === 6) options.deviceSelector = 'site=site-3,role=nowhere';
    return pod(`p-${i}`, options);
  });
}

t.test('pre-filter candidates give the same bindings and the same diagnoses as a search through the whole fleet', async (t) => {
  const devices = mixedFleet(700);
  const pods = mixedPods(2000, devices.length);
  const narrowed = createScheduler();
  const fullScan = createScheduler({}, fullScanRegistry());
  const narrowedFleet = snapshotFleet(devices, []);
  const fullFleet = snapshotFleet(devices, []);
  let bound = 0;
  let differing = 0;
  for (const p of pods) {
    const fast = narrowed.schedule(p, narrowedFleet);
    const slow = fullScan.schedule(p, fullFleet);
    if (!isDeepStrictEqual(fast, slow)) {
      differing++;
      if (differing <= 3) t.same(fast, slow, `pod ${p.metadata.name}`);
    }
    if (fast.bound) {
      assume(narrowedFleet, p, fast.device);
      bound++;
    }
    if (slow.bound) assume(fullFleet, p, slow.device);
  }
  t.equal(differing, 0, 'no pod scheduled differently');
  t.ok(bound > 300 && bound < pods.length - 300, `both some pods bound and some left with a diagnosis (${bound} bound)`);
});

t.test('a pod that fits nowhere is explained for every device, also those its selector ruled out before the search', async (t) => {
  const devices = [
    device('cam-1', { labels: { role: 'camera' }, state: 'NotReady' }),
    device('cam-2', { labels: { role: 'camera' }, capacity: { cpu: '1' } }),
    device('sensor-1', { labels: { role: 'sensor' } }),
  ];
  const result = unbound(createScheduler().schedule(pod('web', { deviceSelector: 'role=camera', requests: { cpu: '2' } }), snapshotFleet(devices, [])));
  t.equal(result.message, '0/3 devices are available: 1 does not match role=camera, 1 has too little cpu, 1 is NotReady.');
  t.same(
    result.diagnosis.map((d) => `${d.device} ${d.plugin}`),
    ['cam-1 device-ready', 'cam-2 resources-fit', 'sensor-1 device-selector'],
  );
});

/** A filter plugin that counts what it is asked and answers as told. */
function countingPlugin(name: string, preFilter: (ctx: CycleContext) => Status | PreFilterResult, accepts: (d: DeviceSnapshot) => boolean) {
  const asked: string[] = [];
  const plugin: FilterPlugin = {
    name,
    preFilter,
    filter(_ctx, _pod, d) {
      asked.push(d.name);
      return accepts(d) ? Status.success() : Status.unresolvable(`device is not liked by ${name}`);
    },
  };
  return { plugin, asked };
}

function schedulerWith(...plugins: FilterPlugin[]) {
  const registry = inTreeRegistry();
  for (const plugin of plugins) registry.register(plugin.name, () => plugin);
  return createScheduler({ filters: plugins.map((p) => p.name), scores: [] }, registry);
}

const abcd = () => snapshotFleet(['a', 'b', 'c', 'd'].map((name) => device(name)), []);

t.test('looks only at the devices every pre-filter named', async (t) => {
  const first = countingPlugin('first', () => preFilterResult([0, 1, 2]), () => true);
  const second = countingPlugin('second', () => preFilterResult([1, 2, 3]), () => true);
  const result = schedulerWith(first.plugin, second.plugin).schedule(pod('web'), abcd());
  t.equal(bound(result), 'b');
  t.same(first.asked, ['b', 'c']);
  t.same(second.asked, ['b', 'c']);
});

t.test('does not ask a filter about the devices its pre-filter vouched for, nor about any when it skipped', async (t) => {
  const vouching = countingPlugin('vouching', () => preFilterResult([2, 3], { exact: true }), (d) => d.name === 'c' || d.name === 'd');
  const skipping = countingPlugin('skipping', () => Status.skip(), () => true);
  const asking = countingPlugin('asking', () => Status.success(), () => true);
  t.equal(bound(schedulerWith(vouching.plugin, skipping.plugin, asking.plugin).schedule(pod('web'), abcd())), 'c');
  t.same(vouching.asked, []);
  t.same(skipping.asked, []);
  t.same(asking.asked, ['c', 'd']);
});

t.test('asks the vouching filter about the other devices when nothing fits, so each is explained by the first filter to refuse it', async (t) => {
  const vouching = countingPlugin('vouching', () => preFilterResult([2], { exact: true }), (d) => d.name === 'c');
  const refusing = countingPlugin('refusing', () => Status.success(), () => false);
  const result = unbound(schedulerWith(vouching.plugin, refusing.plugin).schedule(pod('web'), abcd()));
  t.same(vouching.asked, ['a', 'b', 'd']);
  t.same(
    result.diagnosis.map((d) => `${d.device} ${d.plugin}`),
    ['a vouching', 'b vouching', 'c refusing', 'd vouching'],
  );
});

t.test('still places a pod on a device a pre-filter wrongly left out, when no candidate takes it', async (t) => {
  const forgetful = countingPlugin('forgetful', () => preFilterResult([0]), (d) => d.name === 'a' || d.name === 'd');
  const fussy = countingPlugin('fussy', () => Status.success(), (d) => d.name !== 'a');
  t.equal(bound(schedulerWith(forgetful.plugin, fussy.plugin).schedule(pod('web'), abcd())), 'd');
});

t.test('reports a pre-filter that names devices out of order or outside the fleet as an Error naming it', async (t) => {
  for (const indexes of [[2, 1], [0, 0], [4], [-1], [0.5]]) {
    const sloppy = countingPlugin('sloppy', () => preFilterResult(indexes), () => true);
    const result = unbound(schedulerWith(sloppy.plugin).schedule(pod('web'), abcd()));
    t.equal(result.reason, 'SchedulerError', `for [${indexes.join(', ')}]`);
    t.match(result.message, /sloppy: returned device indexes that are not ascending positions in the fleet/);
    t.equal(result.diagnosis.length, 4);
  }
});

t.test('treats a filter that answers Skip, which only a pre-filter may, as broken', async (t) => {
  const confused: FilterPlugin = { name: 'confused', filter: () => Status.skip() };
  const result = unbound(schedulerWith(confused).schedule(pod('web'), snapshotFleet([device('a')], [])));
  t.same(result.diagnosis, [{ device: 'a', plugin: 'confused', code: 'Error', reasons: ['returned Skip, which only a pre-filter may'] }]);
});

t.test('a pod naming a device not in the fleet is refused by node-name on every device', async (t) => {
  const result = unbound(createScheduler().schedule(pod('web', { nodeName: 'gone' }), snapshotFleet([device('a'), device('b')], [])));
  t.equal(result.message, "0/2 devices are available: 2 are not the pod's nodeName gone.");
});

t.test('keeps scheduling normally after a pod naming a device met a fleet with no devices at all', async (t) => {
  const scheduler = createScheduler();
  t.equal(unbound(scheduler.schedule(pod('early', { nodeName: 'a' }), snapshotFleet([], []))).message, '0/0 devices are available: no device has enrolled yet.');
  const devices = Array.from({ length: 200 }, (_, i) => device(`d-${String(i).padStart(3, '0')}`));
  t.equal(bound(scheduler.schedule(pod('later'), snapshotFleet(devices, []))), 'd-000');
});
