import t from 'tap';
import type { ErrorBody } from '../../../shared/errors.js';
import type { Deployment, Device, Pod } from '../../../shared/objects.js';
import { createTestApi } from '../../helpers/api-server.js';
import type { TestApi } from '../../helpers/api-server.js';
import { deploymentManifest, deviceManifest, podManifest } from './fixtures.js';

async function setup(t: { teardown(fn: () => unknown): void }): Promise<TestApi> {
  const api = await createTestApi();
  t.teardown(() => api.close());
  return api;
}

async function apply(api: TestApi, items: unknown[]) {
  const response = await api.app.inject({ method: 'POST', url: '/api/v1/apply', payload: { items } });
  return { status: response.statusCode, body: response.json() as { items: { kind: string; namespace?: string; name: string; action: string }[] } & ErrorBody };
}

t.test('apply creates objects, then reports them unchanged, then configured when they change', async (t) => {
  const api = await setup(t);
  const first = await apply(api, [deploymentManifest('web', 2), podManifest('solo')]);
  t.equal(first.status, 200);
  t.same(first.body.items, [
    { kind: 'Deployment', namespace: 'default', name: 'web', action: 'created' },
    { kind: 'Pod', namespace: 'default', name: 'solo', action: 'created' },
  ]);

  const again = await apply(api, [deploymentManifest('web', 2), podManifest('solo')]);
  t.same(again.body.items.map((i) => i.action), ['unchanged', 'unchanged']);

  const scaled = await apply(api, [deploymentManifest('web', 5)]);
  t.same(scaled.body.items.map((i) => i.action), ['configured']);
  const stored = await api.store.get('Deployment', 'default', 'web');
  t.equal(stored?.spec.replicas, 5);
});

t.test('reapplying a deployment keeps the status the hub wrote', async (t) => {
  const api = await setup(t);
  await apply(api, [deploymentManifest('web', 2)]);
  const stored = (await api.store.get('Deployment', 'default', 'web')) as Deployment;
  await api.store.update({ ...stored, status: { replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 } });
  await apply(api, [deploymentManifest('web', 3)]);
  const after = await api.store.get('Deployment', 'default', 'web');
  t.equal(after?.spec.replicas, 3);
  t.equal(after?.status?.readyReplicas, 1);
});

t.test('an invalid manifest is refused with 422 naming the field path, and nothing is stored', async (t) => {
  const api = await setup(t);
  const bad = podManifest('broken');
  (bad['spec'] as { containers: { image?: string }[] }).containers[0]!.image = '';
  const result = await apply(api, [bad]);
  t.equal(result.status, 422);
  t.equal(result.body.code, 'Invalid');
  t.ok(result.body.details?.some((d) => d.field === 'items[0].spec.containers[0].image'), 'the detail names the image field');
  const list = await api.app.inject({ url: '/api/v1/namespaces/default/pods' });
  t.same(list.json().items, []);
});

t.test('a multi-item apply whose second item is invalid stores nothing at all', async (t) => {
  const api = await setup(t);
  const bad = deploymentManifest('api');
  (bad['spec'] as Record<string, unknown>)['replicas'] = 'three';
  const result = await apply(api, [podManifest('first'), bad, podManifest('third')]);
  t.equal(result.status, 422);
  t.match(result.body.message, /items\[1\]/);
  t.match(result.body.message, /nothing was applied/);
  t.ok(result.body.details?.every((d) => d.field.startsWith('items[1].')), 'only the second item is blamed');
  t.same((await api.store.list('Pod')).items, []);
  t.same((await api.store.list('Deployment')).items, []);
});

t.test('every invalid item is reported in one answer', async (t) => {
  const api = await setup(t);
  const result = await apply(api, [{ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'w' } }, podManifest('ok'), { kind: 'Pod' }]);
  t.equal(result.status, 422);
  t.match(result.body.message, /2 of 3 items are invalid/);
  t.ok(result.body.details?.some((d) => d.field === 'items[0].kind'));
  t.ok(result.body.details?.some((d) => d.field.startsWith('items[2].')));
});

t.test('an unknown kind is refused naming the kind field', async (t) => {
  const api = await setup(t);
  const result = await apply(api, [{ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} }]);
  t.equal(result.status, 422);
  const detail = result.body.details?.find((d) => d.field === 'items[0].kind');
  t.ok(detail, 'a detail names items[0].kind');
  t.match(detail?.message ?? '', /Pod/);
});

t.test('a changed Pod spec is refused, saying to delete and re-create or use a Deployment', async (t) => {
  const api = await setup(t);
  await apply(api, [podManifest('solo', { image: 'localhost/busybox:test' })]);
  const result = await apply(api, [podManifest('solo', { image: 'localhost/busybox:other' })]);
  t.equal(result.status, 422);
  t.same(result.body.details?.map((d) => d.field), ['items[0].spec']);
  t.match(result.body.hint ?? '', /delete/);
  t.match(result.body.hint ?? '', /Deployment/);
  const stored = await api.store.get('Pod', 'default', 'solo');
  t.equal(stored?.spec.containers[0]?.image, 'localhost/busybox:test');
});

t.test("a Pod's labels can change, and the device the scheduler chose is kept", async (t) => {
  const api = await setup(t);
  await apply(api, [podManifest('solo')]);
  const stored = (await api.store.get('Pod', 'default', 'solo')) as Pod;
  await api.store.update({ ...stored, spec: { ...stored.spec, nodeName: 'cam-1' } });
  const result = await apply(api, [podManifest('solo', { labels: { app: 'solo', tier: 'edge' } })]);
  t.same(result.body.items.map((i) => i.action), ['configured']);
  const after = await api.store.get('Pod', 'default', 'solo');
  t.same(after?.metadata.labels, { app: 'solo', tier: 'edge' });
  t.equal(after?.spec.nodeName, 'cam-1');
});

t.test('a manifest carrying a stale resourceVersion is a 409 conflict and changes nothing', async (t) => {
  const api = await setup(t);
  await apply(api, [deploymentManifest('web', 2)]);
  const read = (await api.store.get('Deployment', 'default', 'web')) as Deployment;
  await apply(api, [deploymentManifest('web', 3)]);
  const stale = deploymentManifest('web', 7);
  (stale['metadata'] as Record<string, unknown>)['resourceVersion'] = read.metadata.resourceVersion;
  const result = await apply(api, [stale]);
  t.equal(result.status, 409);
  t.equal(result.body.code, 'Conflict');
  t.equal((await api.store.get('Deployment', 'default', 'web'))?.spec.replicas, 3);
});

t.test('a manifest carrying the current resourceVersion applies', async (t) => {
  const api = await setup(t);
  await apply(api, [deploymentManifest('web', 2)]);
  const read = (await api.store.get('Deployment', 'default', 'web')) as Deployment;
  const current = deploymentManifest('web', 4);
  (current['metadata'] as Record<string, unknown>)['resourceVersion'] = read.metadata.resourceVersion;
  const result = await apply(api, [current]);
  t.equal(result.status, 200);
  t.equal((await api.store.get('Deployment', 'default', 'web'))?.spec.replicas, 4);
});

t.test('applying a Device sets its labels and cordon, keeping what the agent reported', async (t) => {
  const api = await setup(t);
  await api.store.create<Device>({
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name: 'cam-1', labels: { arch: 'arm64' } },
    status: { state: 'Ready', info: { arch: 'arm64', os: 'linux', kernel: '6.1', hostname: 'cam-1', runtime: 'podman', runtimeVersion: '4.3.1', agentVersion: '0.1.0' } },
  });
  const manifest = deviceManifest('cam-1', { arch: 'arm64', role: 'camera' });
  manifest['spec'] = { unschedulable: true };
  const result = await apply(api, [manifest]);
  t.same(result.body.items, [{ kind: 'Device', name: 'cam-1', action: 'configured' }]);
  const device = await api.store.get('Device', undefined, 'cam-1');
  t.same(device?.metadata.labels, { arch: 'arm64', role: 'camera' });
  t.equal(device?.spec?.unschedulable, true);
  t.equal(device?.status?.state, 'Ready');
  t.equal(device?.status?.info?.runtime, 'podman');
});

t.test('the same object twice in one apply is refused', async (t) => {
  const api = await setup(t);
  const result = await apply(api, [podManifest('twin'), podManifest('twin')]);
  t.equal(result.status, 422);
  t.ok(result.body.details?.some((d) => d.field === 'items[1].metadata.name'));
  t.same((await api.store.list('Pod')).items, []);
});

t.test('a body without items is a 400 naming the missing field', async (t) => {
  const api = await setup(t);
  const response = await api.app.inject({ method: 'POST', url: '/api/v1/apply', payload: { things: [] } });
  t.equal(response.statusCode, 400);
  const body = response.json() as ErrorBody;
  t.equal(body.code, 'BadRequest');
  t.ok(body.details?.some((d) => d.field === 'items'));
});

t.test('a body that is not JSON is a 400 saying so', async (t) => {
  const api = await setup(t);
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    headers: { 'content-type': 'application/json' },
    payload: '{"items": [',
  });
  t.equal(response.statusCode, 400);
  t.match((response.json() as ErrorBody).message, /not valid JSON/);
});

t.test('a body over 1 MiB is refused as too large', async (t) => {
  const api = await setup(t);
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ items: [{ padding: 'x'.repeat(1024 * 1024) }] }),
  });
  t.equal(response.statusCode, 413);
  t.equal((response.json() as ErrorBody).code, 'PayloadTooLarge');
});

t.test('an apply that races with a status write retries from a fresh read and keeps both', async (t) => {
  const api = await setup(t);
  await apply(api, [deploymentManifest('web', 2)]);
  const realUpdate = api.store.update.bind(api.store);
  let statusWrites = 0;
  // The controller writes the deployment's status just before apply's first update lands.
  api.store.update = (async (object: Deployment) => {
    if (statusWrites === 0) {
      statusWrites += 1;
      const current = (await api.store.get('Deployment', 'default', 'web')) as Deployment;
      await realUpdate({ ...current, status: { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } });
    }
    return realUpdate(object);
  }) as typeof api.store.update;
  const result = await apply(api, [deploymentManifest('web', 4)]);
  t.equal(result.status, 200);
  t.same(result.body.items.map((i) => i.action), ['configured']);
  const stored = await api.store.get('Deployment', 'default', 'web');
  t.equal(stored?.spec.replicas, 4);
  t.equal(stored?.status?.readyReplicas, 2, "the controller's status write is kept");
});

// ---- Secrets

function secretManifest(name: string, fields: { data?: Record<string, unknown>; stringData?: Record<string, unknown>; type?: string; labels?: Record<string, string> }): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name };
  if (fields.labels) metadata['labels'] = fields.labels;
  return { apiVersion: 'v1', kind: 'Secret', metadata, ...fields, labels: undefined };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

t.test('a Secret is created from stringData and data, stored with every value in data as base64', async (t) => {
  const api = await setup(t);
  const result = await apply(api, [secretManifest('db', { stringData: { password: 's3cr3t' }, data: { user: b64('app') } })]);
  t.equal(result.status, 200);
  t.same(result.body.items, [{ kind: 'Secret', namespace: 'default', name: 'db', action: 'created' }]);
  const stored = await api.store.get('Secret', 'default', 'db');
  t.same(stored?.data, { password: b64('s3cr3t'), user: b64('app') });
  t.equal(stored?.type, 'Opaque');
  t.notOk(stored && 'stringData' in stored, 'stringData is never kept');
});

t.test('reapplying a Secret changes its values and drops keys the manifest no longer has', async (t) => {
  const api = await setup(t);
  await apply(api, [secretManifest('db', { stringData: { password: 'one', old: 'x' } })]);
  t.same((await apply(api, [secretManifest('db', { stringData: { password: 'one', old: 'x' } })])).body.items.map((i) => i.action), ['unchanged']);
  const changed = await apply(api, [secretManifest('db', { stringData: { password: 'two' } })]);
  t.same(changed.body.items.map((i) => i.action), ['configured']);
  t.same((await api.store.get('Secret', 'default', 'db'))?.data, { password: b64('two') });
});

t.test('a Secret read back (values empty) and applied again keeps its values and takes the new labels', async (t) => {
  const api = await setup(t);
  await apply(api, [secretManifest('db', { stringData: { password: 's3cr3t' } })]);
  const read = (await api.app.inject({ url: '/api/v1/namespaces/default/secrets/db' })).json() as Record<string, unknown> & { metadata: Record<string, unknown> };
  t.same(read['data'], { password: '' });
  const relabelled = { ...read, metadata: { ...read.metadata, labels: { team: 'data' } } };
  const result = await apply(api, [relabelled]);
  t.same(result.body.items.map((i) => i.action), ['configured'], `applied: ${JSON.stringify(result.body)}`);
  const stored = await api.store.get('Secret', 'default', 'db');
  t.same(stored?.data, { password: b64('s3cr3t') }, 'the value is still there');
  t.same(stored?.metadata.labels, { team: 'data' });
});

t.test("a Secret's type cannot change once it exists", async (t) => {
  const api = await setup(t);
  await apply(api, [secretManifest('tls', { type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } })]);
  const result = await apply(api, [secretManifest('tls', { type: 'Opaque', stringData: { 'tls.crt': 'c' } })]);
  t.equal(result.status, 422);
  t.match(result.body.details, [{ field: 'items[0].type', message: /is immutable/ }]);
  t.equal((await api.store.get('Secret', 'default', 'tls'))?.type, 'kubernetes.io/tls');
});

t.test('an invalid Secret beside a valid Pod stores neither, and the error shows no value', async (t) => {
  const api = await setup(t);
  const result = await apply(api, [podManifest('web'), secretManifest('db', { data: { password: 'not base64 hunter2!' } })]);
  t.equal(result.status, 422);
  t.match(result.body.details, [{ field: 'items[1].data["password"]', message: /must be base64/ }]);
  t.notMatch(JSON.stringify(result.body), /hunter2/);
  t.equal(await api.store.get('Pod', 'default', 'web'), undefined);
  t.equal(await api.store.get('Secret', 'default', 'db'), undefined);
});

t.test("applying a Device sets its taints, keeps them when a later manifest leaves them out, and clears them with an empty list", async (t) => {
  const api = await setup(t);
  const tainted = deviceManifest('gpu-1', { role: 'ml' });
  tainted['spec'] = { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] };
  t.same((await apply(api, [tainted])).body.items, [{ kind: 'Device', name: 'gpu-1', action: 'created' }]);
  t.same((await api.store.get('Device', undefined, 'gpu-1'))?.spec?.taints, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);

  const cordonOnly = deviceManifest('gpu-1', { role: 'ml' });
  cordonOnly['spec'] = { unschedulable: true };
  await apply(api, [cordonOnly]);
  const cordoned = await api.store.get('Device', undefined, 'gpu-1');
  t.same(cordoned?.spec, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], unschedulable: true });

  const untainted = deviceManifest('gpu-1', { role: 'ml' });
  untainted['spec'] = { taints: [] };
  await apply(api, [untainted]);
  t.same((await api.store.get('Device', undefined, 'gpu-1'))?.spec, { unschedulable: true });
});
