import t, { type Test } from 'tap';
import {
  cachedRevisions,
  ensureRevision,
  listRevisions,
  previousRevision,
  pruneRevisions,
  revisionInformer,
  templateHash,
} from '../../../../hub/controllers/rollout/revisions.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';
import type { Store } from '../../../../hub/store/store.js';
import type { Deployment, PodTemplate } from '../../../../shared/objects.js';

async function storeFor(t: Test): Promise<Store> {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  return store;
}

function template(image: string): PodTemplate {
  return { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image }] } };
}

async function web(store: Store, annotations?: Record<string, string>): Promise<Deployment> {
  return store.create<Deployment>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { replicas: 1, template: template('app:1') },
  });
}

/** Makes the revision of each image in turn, as a controller would on each new template. */
async function rollThrough(store: Store, deployment: Deployment, images: string[]) {
  let last;
  for (const image of images) last = await ensureRevision(store, deployment, template(image), templateHash(template(image)));
  return last;
}

t.test('the template hash ignores key order, so one template always has one hash', async (t) => {
  const a: PodTemplate = { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'm', image: 'x', args: ['a'] }] } };
  const b: PodTemplate = { spec: { containers: [{ args: ['a'], image: 'x', name: 'm' }] }, metadata: { labels: { tier: 'front', app: 'web' } } };
  t.equal(templateHash(a), templateHash(b));
  t.not(templateHash(a), templateHash({ ...a, spec: { containers: [{ name: 'm', image: 'y' }] } }));
  t.match(templateHash(a), /^[0-9a-f]{8}$/);
});

t.test('each distinct template gets a revision owned by its workload, named after it and numbered in order', async (t) => {
  const store = await storeFor(t);
  const deployment = await web(store, { 'kubernetes.io/change-cause': 'image app:1' });
  await rollThrough(store, deployment, ['app:1', 'app:2']);
  const revisions = await listRevisions(store, deployment);
  t.same(revisions.map((r) => [r.metadata.name, r.revision]), [[`web-${templateHash(template('app:1'))}`, 1], [`web-${templateHash(template('app:2'))}`, 2]]);
  t.same(revisions[0]?.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deployment.metadata.uid, controller: true }]);
  t.same(revisions[0]?.data.template, template('app:1'));
  t.equal(revisions[0]?.metadata.labels?.['pod-template-hash'], templateHash(template('app:1')));
  t.equal(revisions[0]?.metadata.annotations?.['kubernetes.io/change-cause'], 'image app:1', 'the change cause is kept for history');
});

t.test('the same template again changes nothing; a template that comes back gets the next number', async (t) => {
  const store = await storeFor(t);
  const deployment = await web(store);
  await rollThrough(store, deployment, ['app:1', 'app:2', 'app:2']);
  t.equal((await listRevisions(store, deployment)).length, 2);
  const back = await rollThrough(store, deployment, ['app:1']);
  t.equal(back?.current.revision, 3);
  const revisions = await listRevisions(store, deployment);
  t.same(revisions.map((r) => r.revision), [2, 3], 'one revision per template: the old one renumbered');
  t.equal(previousRevision(revisions, back!.current)?.revision, 2, 'the one before is the template it left');
});

t.test('revisions of another workload, or of an earlier one of the same name, are not its own', async (t) => {
  const store = await storeFor(t);
  const first = await web(store);
  await rollThrough(store, first, ['app:1']);
  await store.delete('Deployment', 'default', 'web');
  const second = await web(store);
  const made = await rollThrough(store, second, ['app:1']);
  t.equal(made?.current.revision, 1);
  t.equal(made?.current.metadata.ownerReferences?.[0]?.uid, second.metadata.uid, "the earlier workload's leftover was replaced");
  t.equal((await listRevisions(store, first)).length, 0);
});

t.test('a cache of revisions finds a workload’s own, oldest first', async (t) => {
  const store = await storeFor(t);
  const deployment = await web(store);
  const cache = revisionInformer(store);
  await cache.start();
  t.teardown(() => cache.stop());
  await rollThrough(store, deployment, ['app:1', 'app:2', 'app:3']);
  t.same(cachedRevisions(cache, deployment).map((r) => r.revision), [1, 2, 3]);
});

t.test('pruning keeps the limit of old revisions, the current one, and any whose pods still run', async (t) => {
  const store = await storeFor(t);
  const deployment = await web(store);
  const last = await rollThrough(store, deployment, ['app:1', 'app:2', 'app:3', 'app:4', 'app:5']);
  const current = last!.current;
  const inUse = new Set([templateHash(template('app:1'))]);
  const left = await pruneRevisions(store, last!.revisions, { limit: 2, current, inUse });
  t.same(left.map((r) => r.revision), [1, 4, 5], 'two old ones are kept: 2 and 3 go, 1 stays for its pods');
  t.same((await listRevisions(store, deployment)).map((r) => r.revision), [1, 4, 5]);
  const none = await pruneRevisions(store, left, { limit: 0, current, inUse: new Set() });
  t.same(none.map((r) => r.revision), [5], 'a limit of 0 keeps only the current one');
});
