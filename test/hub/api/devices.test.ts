import t from 'tap';
import type { ErrorBody } from '../../../shared/errors.js';
import type { Device } from '../../../shared/objects.js';
import { changedLabels } from '../../../hub/api/device-edits.js';
import { createTestApi } from '../../helpers/api-server.js';
import type { TestApi } from '../../helpers/api-server.js';

async function setup(t: { teardown(fn: () => unknown): void }): Promise<TestApi> {
  const api = await createTestApi();
  t.teardown(() => api.close());
  await api.store.create<Device>({
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name: 'cam-1', labels: { role: 'camera', site: 'a' } },
    status: { state: 'Ready' },
  });
  return api;
}

function patchLabels(api: TestApi, body: unknown, name = 'cam-1') {
  return api.app.inject({ method: 'PATCH', url: `/api/v1/devices/${name}/labels`, payload: body as object });
}

t.test('a labels patch sets and removes labels and answers with the device', async (t) => {
  const api = await setup(t);
  const response = await patchLabels(api, { set: { zone: 'north' }, remove: ['site'] });
  t.equal(response.statusCode, 200);
  t.same(response.json().metadata.labels, { role: 'camera', zone: 'north' });
  t.same((await api.store.get('Device', undefined, 'cam-1'))?.metadata.labels, { role: 'camera', zone: 'north' });
});

t.test('a labels patch refuses an invalid key or value, naming it, and changes nothing', async (t) => {
  const api = await setup(t);
  const response = await patchLabels(api, { set: { 'bad key': 'x', ok: 'not ok!' } });
  t.equal(response.statusCode, 422);
  const fields = (response.json() as ErrorBody).details?.map((d) => d.field);
  t.same(fields, ['set["bad key"]', 'set["ok"]']);
  t.same((await api.store.get('Device', undefined, 'cam-1'))?.metadata.labels, { role: 'camera', site: 'a' });
});

t.test('a labels patch without overwrite refuses to change an existing value', async (t) => {
  const api = await setup(t);
  const response = await patchLabels(api, { set: { role: 'gateway' }, overwrite: false });
  t.equal(response.statusCode, 409);
  t.match((response.json() as ErrorBody).message, /role.*camera/);
  const same = await patchLabels(api, { set: { role: 'camera', extra: 'yes' }, overwrite: false });
  t.equal(same.statusCode, 200, 'setting the value it already has is fine');
});

t.test('a labels patch on a missing device is a 404', async (t) => {
  const api = await setup(t);
  const response = await patchLabels(api, { set: { a: 'b' } }, 'ghost');
  t.equal(response.statusCode, 404);
  t.match((response.json() as ErrorBody).message, 'device ghost');
});

t.test('a labels patch with a non-string value is a 400 naming the field', async (t) => {
  const api = await setup(t);
  const response = await patchLabels(api, { set: { count: 3 } });
  t.equal(response.statusCode, 400);
  t.match((response.json() as ErrorBody).message, /set\.count/);
});

t.test('a labels patch retries when the agent writes the device status in between, losing neither write', async (t) => {
  const api = await setup(t);
  const realUpdate = api.store.update.bind(api.store);
  let statusWrites = 0;
  // The first two label writes each find that the agent has just written the status.
  api.store.update = (async (object: Device) => {
    if (object.metadata.labels?.['zone'] !== undefined && statusWrites < 2) {
      statusWrites += 1;
      const current = (await api.store.get('Device', undefined, 'cam-1')) as Device;
      await realUpdate({ ...current, status: { state: 'Ready', podCount: statusWrites } });
    }
    return realUpdate(object);
  }) as typeof api.store.update;
  const response = await patchLabels(api, { set: { zone: 'north' } });
  t.equal(response.statusCode, 200);
  t.equal(statusWrites, 2);
  const stored = await api.store.get('Device', undefined, 'cam-1');
  t.same(stored?.metadata.labels, { role: 'camera', site: 'a', zone: 'north' });
  t.equal(stored?.status?.podCount, 2, "the agent's status write is kept");
});

t.test('concurrent labels patches all land', async (t) => {
  const api = await setup(t);
  const responses = await Promise.all([
    patchLabels(api, { set: { one: '1' } }),
    patchLabels(api, { set: { two: '2' } }),
    patchLabels(api, { set: { three: '3' } }),
  ]);
  t.same(responses.map((r) => r.statusCode), [200, 200, 200]);
  const labels = (await api.store.get('Device', undefined, 'cam-1'))?.metadata.labels;
  t.same(labels, { role: 'camera', site: 'a', one: '1', two: '2', three: '3' });
});

t.test('cordon marks the device unschedulable and uncordon clears it', async (t) => {
  const api = await setup(t);
  const cordoned = await api.app.inject({ method: 'PATCH', url: '/api/v1/devices/cam-1/cordon', payload: { unschedulable: true } });
  t.equal(cordoned.statusCode, 200);
  t.equal((await api.store.get('Device', undefined, 'cam-1'))?.spec?.unschedulable, true);
  await api.app.inject({ method: 'PATCH', url: '/api/v1/devices/cam-1/cordon', payload: { unschedulable: false } });
  t.equal((await api.store.get('Device', undefined, 'cam-1'))?.spec?.unschedulable, false);
});

t.test('label changes without overwrite keep values that are already equal', (t) => {
  t.same(changedLabels({ a: '1' }, { set: { a: '1', b: '2' }, overwrite: false }), { a: '1', b: '2' });
  t.throws(() => changedLabels({ a: '1' }, { set: { a: '2' }, overwrite: false }), { code: 'Conflict' });
  t.end();
});
