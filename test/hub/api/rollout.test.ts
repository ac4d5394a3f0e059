import t from 'tap';
import { pino } from 'pino';
import { DeploymentController } from '../../../hub/controllers/deployment/index.js';
import type { ErrorBody } from '../../../shared/errors.js';
import type { Deployment } from '../../../shared/objects.js';
import { createTestApi, type TestApi } from '../../helpers/api-server.js';

async function setup(t: { teardown(fn: () => unknown): void }): Promise<{ api: TestApi; controller: DeploymentController }> {
  const api = await createTestApi();
  t.teardown(() => api.close());
  const controller = new DeploymentController({ store: api.store, events: { record: () => {} }, log: pino({ level: 'silent' }) });
  t.teardown(() => controller.stop());
  await api.store.create<Deployment>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'app:1' }] } },
      strategy: { waves: [{ size: 1, pause: {} }, { size: '100%' }] },
    },
  });
  await controller.reconcile('default/web');
  return { api, controller };
}

async function setImage(api: TestApi, controller: DeploymentController, image: string): Promise<void> {
  const stored = (await api.store.get('Deployment', 'default', 'web'))!;
  const template = structuredClone(stored.spec.template);
  template.spec.containers[0]!.image = image;
  await api.store.update({ ...stored, spec: { ...stored.spec, template } });
  await controller.reconcile('default/web');
}

function post(api: TestApi, action: string, body: object = {}, plural = 'deployments', name = 'web') {
  return api.app.inject({ method: 'POST', url: `/api/v1/namespaces/default/${plural}/${name}/rollout/${action}`, payload: body });
}

async function stored(api: TestApi): Promise<Deployment> {
  return (await api.store.get('Deployment', 'default', 'web'))!;
}

t.test('pause sets spec.paused and resume clears it, naming the wave it lets the rollout past', async (t) => {
  const { api } = await setup(t);
  const paused = await post(api, 'pause');
  t.equal(paused.statusCode, 200);
  t.match(paused.json(), { message: 'paused', changed: true, object: { spec: { paused: true } } });
  t.equal((await stored(api)).spec.paused, true);
  t.match((await post(api, 'pause')).json(), { message: 'already paused', changed: false });
  const resumed = await post(api, 'resume');
  t.match(resumed.json(), { message: 'resumed', changed: true });
  const after = await stored(api);
  t.equal(after.spec.paused, undefined);
  t.equal(after.metadata.annotations?.['flotilla.io/rollout-resume'], '1/2', 'revision 1 stands at its wave 2');
  t.match((await post(api, 'resume')).json(), { message: 'not paused', changed: false });
});

t.test('undo writes the previous revision’s template back; --to-revision picks another', async (t) => {
  const { api, controller } = await setup(t);
  await setImage(api, controller, 'app:2');
  await setImage(api, controller, 'app:3');
  const undone = await post(api, 'undo');
  t.equal(undone.statusCode, 200);
  t.match(undone.json(), { message: 'rolled back to revision 2', changed: true });
  t.equal((await stored(api)).spec.template.spec.containers[0]?.image, 'app:2');
  await controller.reconcile('default/web');
  const chosen = await post(api, 'undo', { toRevision: 1 });
  t.match(chosen.json(), { message: 'rolled back to revision 1' });
  t.equal((await stored(api)).spec.template.spec.containers[0]?.image, 'app:1');
  await controller.reconcile('default/web');
  const same = await post(api, 'undo', { toRevision: 5 });
  t.match(same.json(), { message: 'skipped rollback: the template already is revision 5', changed: false }, 'app:1 came back as revision 5');
});

t.test('undo of a revision that does not exist is a 404 that lists those that do', async (t) => {
  const { api, controller } = await setup(t);
  await setImage(api, controller, 'app:2');
  const response = await post(api, 'undo', { toRevision: 9 });
  t.equal(response.statusCode, 404);
  t.match((response.json() as ErrorBody).message, 'deployment default/web has no revision 9 (it has 1, 2)');
  t.match((response.json() as ErrorBody).hint, 'flotilla rollout history deployment/web');
});

t.test('undo clears the automatic-rollback mark: a template a person picks rolls out as an update', async (t) => {
  const { api, controller } = await setup(t);
  await setImage(api, controller, 'app:2');
  const current = await stored(api);
  await api.store.update({ ...current, metadata: { ...current.metadata, annotations: { 'flotilla.io/rolled-back-from': '3', keep: 'me' } } });
  await post(api, 'undo');
  t.same((await stored(api)).metadata.annotations, { keep: 'me' });
});

t.test('history lists the revisions oldest first with the current one', async (t) => {
  const { api, controller } = await setup(t);
  await setImage(api, controller, 'app:2');
  const response = await api.app.inject({ method: 'GET', url: '/api/v1/namespaces/default/deployments/web/rollout/history' });
  t.equal(response.statusCode, 200);
  const body = response.json() as { current: number; revisions: { revision: number; data: { template: { spec: { containers: { image: string }[] } } } }[] };
  t.equal(body.current, 2);
  t.same(body.revisions.map((r) => [r.revision, r.data.template.spec.containers[0]?.image]), [[1, 'app:1'], [2, 'app:2']]);
});

t.test('rollout actions refuse kinds without rollouts, and name a missing workload', async (t) => {
  const { api } = await setup(t);
  const pods = await post(api, 'pause', {}, 'pods', 'web-1');
  t.equal(pods.statusCode, 400);
  t.match((pods.json() as ErrorBody).message, 'pods have no rollouts: only deployments and daemonsets do');
  const missing = await post(api, 'pause', {}, 'deploy', 'ghost');
  t.equal(missing.statusCode, 404);
  t.match((missing.json() as ErrorBody).message, 'deployment default/ghost not found');
  const badBody = await post(api, 'undo', { toRevision: 0 });
  t.equal(badBody.statusCode, 400);
});

t.test('a viewer may read the history but not pause', async (t) => {
  const { api } = await setup(t);
  const { createAccessToken } = await import('../../../hub/auth/access-token.js');
  const viewer = createAccessToken({ name: 'watcher', role: 'viewer' });
  await api.store.create(viewer.object);
  const headers = { authorization: `Bearer ${viewer.text}` };
  const read = await api.app.inject({ method: 'GET', url: '/api/v1/namespaces/default/deployments/web/rollout/history', headers });
  t.equal(read.statusCode, 200);
  const write = await api.app.inject({ method: 'POST', url: '/api/v1/namespaces/default/deployments/web/rollout/pause', headers, payload: {} });
  t.equal(write.statusCode, 403);
});
