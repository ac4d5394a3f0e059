import t, { type Test } from 'tap';
import { pino } from 'pino';
import { DeploymentController, TEMPLATE_HASH_LABEL, templateHash } from '../../../../hub/controllers/deployment/index.js';
import type { EventSink } from '../../../../hub/controllers/events.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';
import type { Store } from '../../../../hub/store/store.js';
import { FlotillaError } from '../../../../shared/errors.js';
import type { AnyObject, Deployment } from '../../../../shared/objects.js';

const silent = pino({ level: 'silent' });

/** A LevelDB store whose creates can be refused, with the error `refuse` gives. */
async function storeFor(t: Test, refuse: (object: AnyObject) => FlotillaError | undefined = () => undefined): Promise<Store> {
  const real = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => real.close());
  return {
    get: (kind, namespace, name) => real.get(kind, namespace, name),
    list: (kind, options) => real.list(kind, options),
    async create(object) {
      const refusal = refuse(object);
      if (refusal !== undefined) throw refusal;
      return real.create(object);
    },
    update: (object) => real.update(object),
    delete: (kind, namespace, name, options) => real.delete(kind, namespace, name, options),
    watch: (options, handler) => real.watch(options, handler),
    currentResourceVersion: () => real.currentResourceVersion(),
    close: () => real.close(),
  };
}

function recorder(): { sink: EventSink; messages: string[] } {
  const messages: string[] = [];
  return { messages, sink: { record: (_involved, _type, reason, message) => void messages.push(`${reason}: ${message}`) } };
}

function web(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox:1' }] } },
    },
  };
}

t.test("creates the replicas with the template's labels, its hash and an owner reference, and names them in one event", async (t) => {
  const store = await storeFor(t);
  const deployment = await store.create(web(30));
  const events = recorder();
  await new DeploymentController({ store, events: events.sink, log: silent }).reconcile('default/web');
  const { items } = await store.list('Pod');
  t.equal(items.length, 30);
  const hash = templateHash(deployment);
  t.ok(items.every((p) => p.metadata.labels?.['app'] === 'web' && p.metadata.labels[TEMPLATE_HASH_LABEL] === hash));
  t.ok(items.every((p) => p.metadata.ownerReferences?.[0]?.uid === deployment.metadata.uid));
  t.ok(items.every((p) => /^web-[0-9a-f]{8}-[bcdfghjklmnpqrstvwxz2456789]{5}$/.test(p.metadata.name)), 'generated names');
  t.equal(events.messages.length, 1);
  t.match(events.messages[0], /^SuccessfulCreate: created 30 pods: web-\S+, web-\S+, web-\S+, web-\S+, web-\S+ and 25 more$/);
  t.match((await store.get('Deployment', 'default', 'web'))?.status, { replicas: 30, updatedReplicas: 30, readyReplicas: 0 });
});

t.test('a generated name that is taken is replaced by another', async (t) => {
  let refused = 0;
  const store = await storeFor(t, (object) =>
    object.kind === 'Pod' && refused++ < 2 ? new FlotillaError('AlreadyExists', `pod default/${object.metadata.name} already exists`) : undefined,
  );
  await store.create(web(3));
  await new DeploymentController({ store, events: recorder().sink, log: silent }).reconcile('default/web');
  t.equal((await store.list('Pod')).items.length, 3);
});

t.test('a create that fails fails the reconcile only once every other create has landed, so a retry makes no extra pods', async (t) => {
  let calls = 0;
  const store = await storeFor(t, (object) => (object.kind === 'Pod' && calls++ === 3 ? new FlotillaError('Unavailable', 'the store could not write to disk') : undefined));
  await store.create(web(20));
  const controller = new DeploymentController({ store, events: recorder().sink, log: silent });
  await t.rejects(controller.reconcile('default/web'), { code: 'Unavailable' });
  t.equal((await store.list('Pod')).items.length, 19, 'the other 19 were written before the failure was reported');
  await controller.reconcile('default/web');
  t.equal((await store.list('Pod')).items.length, 20);
});

t.test('scales down and removes every pod of a deleted Deployment', async (t) => {
  const store = await storeFor(t);
  await store.create(web(5));
  const controller = new DeploymentController({ store, events: recorder().sink, log: silent });
  await controller.reconcile('default/web');
  const current = (await store.get('Deployment', 'default', 'web')) as Deployment;
  await store.update({ ...current, spec: { ...current.spec, replicas: 2 } });
  await controller.reconcile('default/web');
  t.equal((await store.list('Pod')).items.length, 2);
  await store.delete('Deployment', 'default', 'web');
  const events = recorder();
  await new DeploymentController({ store, events: events.sink, log: silent }).reconcile('default/web');
  t.same((await store.list('Pod')).items, []);
  t.match(events.messages, [/^SuccessfulDelete: deleted 2 pods: web-/]);
});
