import t from 'tap';
import { buildProfile, checkSchedulerConfig, DEFAULT_FILTERS, DEFAULT_SCORES } from '../../../hub/scheduler/config.js';
import { Status } from '../../../hub/scheduler/framework.js';
import { inTreeRegistry } from '../../../hub/scheduler/registry.js';

t.test('runs the built-in filters and scores when none are named', async (t) => {
  const profile = buildProfile({}, inTreeRegistry());
  t.same(
    profile.filters.map((p) => p.name),
    DEFAULT_FILTERS,
  );
  t.same(
    profile.scores.map(({ plugin, weight }) => ({ name: plugin.name, weight })),
    DEFAULT_SCORES,
  );
});

t.test('refuses an unknown plugin, naming the field and the plugins there are', async (t) => {
  t.throws(() => buildProfile({ filters: ['device-ready', 'gpu-fit'] }, inTreeRegistry()), {
    code: 'Invalid',
    details: [{ field: 'filters[1]', message: /"gpu-fit".*device-ready/ }],
  });
});

t.test('refuses a score plugin among the filters and a filter among the scores', async (t) => {
  t.throws(() => buildProfile({ filters: ['spread'], scores: [{ name: 'device-ready', weight: 1 }] }, inTreeRegistry()), {
    code: 'Invalid',
    details: [
      { field: 'filters[0]', message: '"spread" is not a filter plugin' },
      { field: 'scores[0].name', message: '"device-ready" is not a score plugin' },
    ],
  });
});

t.test('refuses a weight that is not a positive number', async (t) => {
  for (const weight of [0, -1, Number.NaN, '2']) {
    t.throws(() => buildProfile({ scores: [{ name: 'spread', weight: weight as number }] }, inTreeRegistry()), {
      code: 'Invalid',
      details: [{ field: 'scores[0].weight' }],
    });
  }
});

t.test('refuses a plugin listed twice', async (t) => {
  t.throws(() => buildProfile({ filters: ['node-name', 'node-name'] }, inTreeRegistry()), { code: 'Invalid', details: [{ field: 'filters[1]' }] });
  t.throws(
    () => buildProfile({ scores: [{ name: 'spread', weight: 1 }, { name: 'spread', weight: 2 }] }, inTreeRegistry()),
    { code: 'Invalid', details: [{ field: 'scores[1].name' }] },
  );
});

t.test('refuses arguments for a plugin that does not run or does not exist', async (t) => {
  t.throws(() => buildProfile({ filters: ['node-name'], pluginArgs: { 'device-ready': {}, gpu: {} } }, inTreeRegistry()), {
    code: 'Invalid',
    details: [
      { field: 'pluginArgs.device-ready', message: /not in filters or scores/ },
      { field: 'pluginArgs.gpu', message: /no scheduler plugin/ },
    ],
  });
});

t.test('hands each plugin its arguments and builds a plugin used twice only once', async (t) => {
  const registry = inTreeRegistry();
  const built: unknown[] = [];
  registry.register('gpu', (args) => {
    built.push(args);
    return { name: 'gpu', filter: () => Status.success(), score: () => 0 };
  });
  const profile = buildProfile({ filters: ['gpu'], scores: [{ name: 'gpu', weight: 1 }], pluginArgs: { gpu: { vendor: 'x' } } }, registry);
  t.same(built, [{ vendor: 'x' }]);
  t.equal(profile.filters[0], profile.scores[0]?.plugin);
});

t.test('reports a plugin whose factory throws as a configuration problem', async (t) => {
  const registry = inTreeRegistry();
  registry.register('picky', () => {
    throw new Error('needs a vendor');
  });
  t.throws(() => buildProfile({ filters: ['picky'] }, registry), { code: 'Invalid', details: [{ field: 'filters[0]', message: /needs a vendor/ }] });
});

t.test('refuses a share of devices to score outside 0..100', async (t) => {
  t.throws(() => buildProfile({ percentageOfDevicesToScore: 120 }, inTreeRegistry()), { code: 'Invalid', details: [{ field: 'percentageOfDevicesToScore' }] });
  t.equal(buildProfile({ percentageOfDevicesToScore: 30 }, inTreeRegistry()).percentageOfDevicesToScore, 30);
});

t.test('runs every filter but label-spread by default, platform and taints before room', async (t) => {
  t.same(DEFAULT_FILTERS, ['node-name', 'device-selector', 'device-platform', 'device-ready', 'device-pressure', 'taint-toleration', 'pods-per-device', 'resources-fit']);
});

t.test("reports a plugin's bad arguments at the arguments, field by field", async (t) => {
  t.throws(
    () =>
      buildProfile(
        { scores: [{ name: 'label-spread', weight: 1 }], pluginArgs: { 'label-spread': { topologyKey: 'not a key' }, 'pods-per-device': { defaultMaxPerDevice: -2 } } },
        inTreeRegistry(),
      ),
    {
      code: 'Invalid',
      details: [{ field: 'pluginArgs.pods-per-device.defaultMaxPerDevice' }, { field: 'pluginArgs.label-spread.topologyKey' }],
    },
  );
});

t.test('says where a plugin that needs arguments is listed when it was given none', async (t) => {
  t.throws(() => buildProfile({ scores: [{ name: 'label-spread', weight: 2 }] }, inTreeRegistry()), {
    code: 'Invalid',
    details: [{ field: 'pluginArgs.label-spread.topologyKey', message: /is required.*listed at scores\[0\]\.name/ }],
  });
});

t.test('refuses pluginArgs that is not an object of plugin names', async (t) => {
  t.throws(() => buildProfile({ pluginArgs: ['spread'] as unknown as Record<string, unknown> }, inTreeRegistry()), {
    code: 'Invalid',
    details: [{ field: 'pluginArgs' }],
  });
});

t.test('checks a settings section: its fields by name, then every plugin as it would be built', async (t) => {
  t.same(checkSchedulerConfig(undefined), {});
  const section = { scores: [{ name: 'label-spread', weight: 2 }], pluginArgs: { 'label-spread': { topologyKey: 'site' } } };
  t.same(checkSchedulerConfig(section), section);
  t.throws(() => checkSchedulerConfig({ filter: ['node-name'] }), { code: 'Invalid', details: [{ field: 'filter', message: /not a scheduler setting.*filters/ }] });
  t.throws(() => checkSchedulerConfig(['node-name']), { code: 'Invalid', details: [{ field: '' }] });
  t.throws(() => checkSchedulerConfig({ percentageOfDevicesToScore: 120 }), { code: 'Invalid', details: [{ field: 'percentageOfDevicesToScore' }] });
});
