import t from 'tap';
import type { ErrorBody } from '../../../shared/errors.js';
import { createTestApi } from '../../helpers/api-server.js';
import type { TestApi } from '../../helpers/api-server.js';
import { deploymentManifest, deviceManifest, podManifest } from './fixtures.js';

async function setup(t: { teardown(fn: () => unknown): void }): Promise<TestApi> {
  const api = await createTestApi();
  t.teardown(() => api.close());
  await api.app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    payload: { items: [podManifest('solo'), deploymentManifest('web'), deviceManifest('cam-1')] },
  });
  return api;
}

t.test('deleting by path answers with the deleted object and removes it', async (t) => {
  const api = await setup(t);
  const response = await api.app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/deployments/web' });
  t.equal(response.statusCode, 200);
  t.equal(response.json().metadata.name, 'web');
  t.equal(await api.store.get('Deployment', 'default', 'web'), undefined);
});

t.test('deleting a device works at the top level', async (t) => {
  const api = await setup(t);
  const response = await api.app.inject({ method: 'DELETE', url: '/api/v1/devices/cam-1' });
  t.equal(response.statusCode, 200);
  t.equal(await api.store.get('Device', undefined, 'cam-1'), undefined);
});

t.test('deleting a missing object is a 404 naming its kind, namespace and name', async (t) => {
  const api = await setup(t);
  const response = await api.app.inject({ method: 'DELETE', url: '/api/v1/namespaces/edge/pods/solo' });
  t.equal(response.statusCode, 404);
  t.equal((response.json() as ErrorBody).message, 'pod edge/solo not found');
  t.ok(await api.store.get('Pod', 'default', 'solo'), 'the pod of the same name in another namespace stays');
});

t.test('delete by list reports each object as deleted or not found', async (t) => {
  const api = await setup(t);
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/v1/delete',
    payload: {
      items: [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo' } },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gone', namespace: 'default' } },
        { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1' } },
      ],
    },
  });
  t.equal(response.statusCode, 200);
  t.same(response.json().items, [
    { kind: 'Pod', namespace: 'default', name: 'solo', action: 'deleted' },
    { kind: 'Deployment', namespace: 'default', name: 'gone', action: 'not found' },
    { kind: 'Device', name: 'cam-1', action: 'deleted' },
  ]);
  t.same((await api.store.list('Pod')).items, []);
});

t.test('delete by list refuses an unknown kind and deletes nothing', async (t) => {
  const api = await setup(t);
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/v1/delete',
    payload: { items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo' } }, { kind: 'Widget', metadata: { name: 'w' } }] },
  });
  t.equal(response.statusCode, 422);
  t.same((response.json() as ErrorBody).details?.map((d) => d.field), ['items[1].kind']);
  t.ok(await api.store.get('Pod', 'default', 'solo'));
});
