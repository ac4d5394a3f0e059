import t from 'tap';
import type { ErrorBody } from '../../../shared/errors.js';
import type { Device, FlotillaEvent } from '../../../shared/objects.js';
import { createTestApi } from '../../helpers/api-server.js';
import type { TestApi } from '../../helpers/api-server.js';
import { podManifest } from './fixtures.js';

async function setup(t: { teardown(fn: () => unknown): void }): Promise<TestApi> {
  const api = await createTestApi();
  t.teardown(() => api.close());
  return api;
}

async function get(api: TestApi, url: string) {
  const response = await api.app.inject({ url });
  return { status: response.statusCode, body: response.json() };
}

function device(name: string, labels: Record<string, string> = {}): Device {
  return { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name, labels }, status: { state: 'Ready' } };
}

function event(name: string, about: { kind: string; name: string; namespace?: string }, reason: string): FlotillaEvent {
  const now = new Date().toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: about.namespace ?? 'default' },
    involvedObject: about,
    type: 'Normal',
    reason,
    message: `${reason} ${about.name}`,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: 'test',
  };
}

t.test('healthz answers ok', async (t) => {
  const api = await setup(t);
  t.same(await get(api, '/healthz'), { status: 200, body: { ok: true } });
});

t.test('a list names its kind and carries the store version to watch from', async (t) => {
  const api = await setup(t);
  await api.app.inject({ method: 'POST', url: '/api/v1/apply', payload: { items: [podManifest('a'), podManifest('b')] } });
  const { status, body } = await get(api, '/api/v1/namespaces/default/pods');
  t.equal(status, 200);
  t.equal(body.kind, 'PodList');
  t.same(body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['a', 'b']);
  t.equal(body.resourceVersion, api.store.currentResourceVersion());
});

t.test('pods are listed across namespaces at the top level and per namespace below it', async (t) => {
  const api = await setup(t);
  const other = podManifest('elsewhere');
  (other['metadata'] as Record<string, unknown>)['namespace'] = 'edge';
  await api.app.inject({ method: 'POST', url: '/api/v1/apply', payload: { items: [podManifest('here'), other] } });
  const all = await get(api, '/api/v1/pods');
  t.same(all.body.items.map((p: { metadata: { name: string } }) => p.metadata.name).sort(), ['elsewhere', 'here']);
  const edge = await get(api, '/api/v1/namespaces/edge/pods');
  t.same(edge.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['elsewhere']);
});

t.test('singular and short resource names work like the plural', async (t) => {
  const api = await setup(t);
  await api.store.create(device('cam-1'));
  for (const name of ['devices', 'device', 'dev', 'Devices']) {
    const { status, body } = await get(api, `/api/v1/${name}`);
    t.equal(status, 200, name);
    t.equal(body.items.length, 1, name);
  }
});

t.test('an unknown resource type is a 404 that lists the known ones', async (t) => {
  const api = await setup(t);
  const { status, body } = await get(api, '/api/v1/widgets');
  t.equal(status, 404);
  t.equal((body as ErrorBody).code, 'NotFound');
  t.match((body as ErrorBody).message, /widgets/);
  t.match((body as ErrorBody).hint ?? '', /pods.*deployments.*devices.*events/);
});

t.test('an unknown route is a 404 whose hint lists the resources', async (t) => {
  const api = await setup(t);
  const { status, body } = await get(api, '/v2/things');
  t.equal(status, 404);
  t.match((body as ErrorBody).message, /GET \/v2\/things/);
  t.match((body as ErrorBody).hint ?? '', /\/api\/v1\/namespaces\/\{namespace\}/);
});

t.test('a label selector filters the list', async (t) => {
  const api = await setup(t);
  await api.store.create(device('cam-1', { role: 'camera', site: 'a' }));
  await api.store.create(device('cam-2', { role: 'camera', site: 'b' }));
  await api.store.create(device('gw-1', { role: 'gateway', site: 'a' }));
  const { body } = await get(api, `/api/v1/devices?labelSelector=${encodeURIComponent('role=camera,site in (a)')}`);
  t.same(body.items.map((d: Device) => d.metadata.name), ['cam-1']);
});

t.test('a malformed label selector is a 422 naming labelSelector', async (t) => {
  const api = await setup(t);
  const { status, body } = await get(api, `/api/v1/devices?labelSelector=${encodeURIComponent('site in (a,b')}`);
  t.equal(status, 422);
  t.equal((body as ErrorBody).code, 'Invalid');
  t.same((body as ErrorBody).details?.map((d) => d.field), ['labelSelector']);
  t.match((body as ErrorBody).message, /labelSelector/);
});

t.test('one object is read by name, and a missing one is a 404 naming kind, namespace and name', async (t) => {
  const api = await setup(t);
  await api.app.inject({ method: 'POST', url: '/api/v1/apply', payload: { items: [podManifest('a')] } });
  const found = await get(api, '/api/v1/namespaces/default/pods/a');
  t.equal(found.status, 200);
  t.equal(found.body.metadata.name, 'a');
  const missing = await get(api, '/api/v1/namespaces/default/pods/nope');
  t.equal(missing.status, 404);
  t.match((missing.body as ErrorBody).message, 'pod default/nope not found');
});

t.test('devices are read at the top level, not inside a namespace, and pods the other way round', async (t) => {
  const api = await setup(t);
  await api.store.create(device('cam-1'));
  t.equal((await get(api, '/api/v1/devices/cam-1')).status, 200);
  const devicesInNamespace = await get(api, '/api/v1/namespaces/default/devices');
  t.equal(devicesInNamespace.status, 404);
  t.match((devicesInNamespace.body as ErrorBody).hint ?? '', '/api/v1/devices');
  const podAtTop = await get(api, '/api/v1/pods/a');
  t.equal(podAtTop.status, 404);
  t.match((podAtTop.body as ErrorBody).hint ?? '', '/api/v1/namespaces/{namespace}/pods/{name}');
});

t.test('device reads carry the live heartbeat figures as status.usage', async (t) => {
  const api = await setup(t);
  await api.store.create(device('cam-1'));
  await api.store.create(device('cam-2'));
  api.usage.set('cam-1', { cpuPercent: 12.5, memoryUsedBytes: 327155712, memoryTotalBytes: 8375316480 });
  const one = await get(api, '/api/v1/devices/cam-1');
  t.same(one.body.status.usage, { cpuPercent: 12.5, memoryUsedBytes: 327155712, memoryTotalBytes: 8375316480 });
  const list = await get(api, '/api/v1/devices');
  t.equal(list.body.items[0].status.usage.cpuPercent, 12.5);
  t.equal(list.body.items[1].status.usage, undefined);
  t.equal((await api.store.get('Device', undefined, 'cam-1'))?.status?.usage, undefined, 'the store is not written');
});

t.test('events can be filtered by the object they are about', async (t) => {
  const api = await setup(t);
  await api.store.create(event('e1', { kind: 'Pod', name: 'web-1', namespace: 'default' }, 'Scheduled'));
  await api.store.create(event('e2', { kind: 'Pod', name: 'web-2', namespace: 'default' }, 'Scheduled'));
  await api.store.create(event('e3', { kind: 'Deployment', name: 'web-1', namespace: 'default' }, 'ScalingReplicaSet'));
  const { body } = await get(api, '/api/v1/events?involvedKind=Pod&involvedName=web-1&involvedNamespace=default');
  t.same(body.items.map((e: FlotillaEvent) => e.metadata.name), ['e1']);
});

t.test('a Secret is read with each key present and every value empty, in a list and alone', async (t) => {
  const api = await setup(t);
  const applied = await api.app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    payload: { items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'hunter2-distinct', user: 'app' } }] },
  });
  t.equal(applied.statusCode, 200);
  const one = await get(api, '/api/v1/namespaces/default/secrets/db');
  t.equal(one.status, 200);
  t.same(one.body.data, { password: '', user: '' });
  t.notOk('stringData' in one.body);
  t.equal(one.body.type, 'Opaque');
  for (const url of ['/api/v1/namespaces/default/secrets', '/api/v1/secrets']) {
    const list = await api.app.inject({ url });
    t.same(list.json().items.map((s: { data: unknown }) => s.data), [{ password: '', user: '' }], url);
    t.notMatch(list.body, /hunter2/, `${url} holds no value`);
    t.notMatch(list.body, new RegExp(Buffer.from('hunter2-distinct').toString('base64')), `${url} holds no base64 value`);
  }
  t.notMatch((await api.app.inject({ url: '/api/v1/namespaces/default/secrets/db' })).body, /aHVudGVyMi1kaXN0aW5jdA/);
  t.equal(Buffer.from((await api.store.get('Secret', 'default', 'db'))?.data?.['password'] ?? '', 'base64').toString(), 'hunter2-distinct', 'the store still has it');
});
