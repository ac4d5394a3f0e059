import t from 'tap';
import type { ErrorBody } from '../../../shared/errors.js';
import type { DaemonSet } from '../../../shared/objects.js';
import { createTestApi } from '../../helpers/api-server.js';
import type { TestApi } from '../../helpers/api-server.js';

async function setup(t: { teardown(fn: () => unknown): void }): Promise<TestApi> {
  const api = await createTestApi();
  t.teardown(() => api.close());
  return api;
}

async function apply(api: TestApi, items: unknown[]) {
  const response = await api.app.inject({ method: 'POST', url: '/api/v1/apply', payload: { items } });
  return { status: response.statusCode, body: response.json() as { items: { kind: string; name: string; action: string }[] } & ErrorBody };
}

function manifest(image: string, labels?: Record<string, string>): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'log-shipper', ...(labels ? { labels } : {}) },
    spec: { template: { metadata: { labels: { app: 'log-shipper' } }, spec: { containers: [{ name: 'ship', image }] } } },
  };
}

t.test('apply creates a DaemonSet, reports it unchanged, then configured with the new template, keeping the status the hub wrote', async (t) => {
  const api = await setup(t);
  t.same((await apply(api, [manifest('ship:1')])).body.items, [{ kind: 'DaemonSet', namespace: 'default', name: 'log-shipper', action: 'created' }]);
  t.same((await apply(api, [manifest('ship:1')])).body.items.map((i) => i.action), ['unchanged']);

  const stored = (await api.store.get('DaemonSet', 'default', 'log-shipper')) as DaemonSet;
  const status = { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3 };
  await api.store.update({ ...stored, status });

  t.same((await apply(api, [manifest('ship:2', { tier: 'infra' })])).body.items.map((i) => i.action), ['configured']);
  const after = (await api.store.get('DaemonSet', 'default', 'log-shipper')) as DaemonSet;
  t.equal(after.spec.template.spec.containers[0]?.image, 'ship:2');
  t.same(after.metadata.labels, { tier: 'infra' });
  t.same(after.status, status, 'the status stays');
  t.equal(after.metadata.generation, 2, 'a new template is a new generation');
});

t.test('an invalid DaemonSet is refused with its field path, and nothing is written', async (t) => {
  const api = await setup(t);
  const bad = manifest('ship:1') as { spec: Record<string, unknown> };
  bad.spec.updateStrategy = { waves: [{ size: '150%' }] };
  const answer = await apply(api, [bad]);
  t.equal(answer.status, 422);
  t.match(answer.body.details, [{ field: 'items[0].spec.updateStrategy.waves[0].size' }]);
  t.equal(await api.store.get('DaemonSet', 'default', 'log-shipper'), undefined);
});
