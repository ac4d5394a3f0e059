import t, { type Test } from 'tap';
import { pino } from 'pino';
import { DeploymentController, TEMPLATE_HASH_LABEL, templateHash } from '../../../../hub/controllers/deployment/index.js';
import type { EventSink } from '../../../../hub/controllers/events.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';
import type { Store } from '../../../../hub/store/store.js';
import { FlotillaError } from '../../../../shared/errors.js';
import type { AnyObject, Deployment, Pod } from '../../../../shared/objects.js';

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

// ---- Staged rollouts, revisions and automatic rollback.

const START = Date.parse('2025-06-01T12:00:00.000Z');

function staged(replicas: number, image: string, strategy: Deployment['spec']['strategy']): Deployment {
  const deployment = web(replicas);
  deployment.spec.strategy = strategy;
  deployment.spec.template.spec.containers[0]!.image = image;
  return deployment;
}

/** Reports a pod as an agent would: bound to a device, its container running and Ready, or in trouble. */
async function report(store: Store, pod: Pod, how: 'ready' | 'crashing', at: number, device = 'cam-1'): Promise<void> {
  const time = new Date(at).toISOString();
  const ready = how === 'ready';
  await store.update<Pod>({
    ...pod,
    spec: { ...pod.spec, nodeName: device },
    status: {
      phase: ready ? 'Running' : 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: time },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: time },
      ],
      containerStatuses: [
        {
          name: 'main',
          image: pod.spec.containers[0]!.image,
          ready,
          restartCount: ready ? 0 : 3,
          state: ready ? { running: { startedAt: time } } : { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
        },
      ],
    },
  });
}

async function podsWithImage(store: Store, image: string): Promise<Pod[]> {
  return (await store.list('Pod')).items.filter((p) => p.spec.containers[0]?.image === image);
}

async function setImage(store: Store, image: string): Promise<void> {
  const stored = (await store.get('Deployment', 'default', 'web'))!;
  const template = structuredClone(stored.spec.template);
  template.spec.containers[0]!.image = image;
  await store.update({ ...stored, spec: { ...stored.spec, template } });
}

async function rollout(store: Store) {
  return (await store.get('Deployment', 'default', 'web'))?.status?.rollout;
}

/** A controller on a clock the test moves, with the events it records. */
function controllerAt(store: Store, clock: { now: number }) {
  const events = recorder();
  const controller = new DeploymentController({ store, events: events.sink, log: silent, now: () => clock.now });
  t.teardown(() => controller.stop());
  return { controller, events };
}

/** Starts `replicas` pods of app:1 and has them all Ready. */
async function running(store: Store, controller: DeploymentController, clock: { now: number }): Promise<Pod[]> {
  await controller.reconcile('default/web');
  for (const pod of (await store.list('Pod')).items) await report(store, pod, 'ready', clock.now);
  await controller.reconcile('default/web');
  return (await store.list('Pod')).items;
}

t.test('a staged update makes one canary pod first, then the rest once it has been Ready for minReadySeconds', async (t) => {
  const store = await storeFor(t);
  const clock = { now: START };
  const created = staged(4, 'app:1', { waves: [{ size: 1 }, { size: '100%' }], rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  created.spec.minReadySeconds = 10;
  await store.create(created);
  const { controller, events } = controllerAt(store, clock);
  await running(store, controller, clock);
  t.match(await rollout(store), { revision: 1, phase: 'Progressing', wave: 2, waves: 2 }, 'the first start skips the waves');
  clock.now += 20_000;
  await controller.reconcile('default/web');
  t.match(await rollout(store), { revision: 1, phase: 'Complete' });

  await setImage(store, 'app:2');
  await controller.reconcile('default/web');
  t.equal((await podsWithImage(store, 'app:2')).length, 1, 'one canary');
  t.match(await rollout(store), { revision: 2, phase: 'Progressing', wave: 1, waves: 2, updated: 1 });
  const [canary] = await podsWithImage(store, 'app:2');
  await report(store, canary!, 'ready', clock.now);
  const early = await controller.reconcile('default/web');
  t.equal((await podsWithImage(store, 'app:2')).length, 1, 'still one while it has not been Ready for 10 s');
  t.match(early, { requeueAfterMs: 10_050 }, 'the controller comes back when the 10 s are up');

  clock.now += 10_000;
  await controller.reconcile('default/web');
  t.match(await rollout(store), { revision: 2, wave: 2 });
  t.equal((await podsWithImage(store, 'app:1')).length, 3, 'an old pod went once the canary was available, making room');
  await controller.reconcile('default/web');
  t.ok((await podsWithImage(store, 'app:2')).length > 1, 'wave 2 makes more');
  t.match(
    events.messages.filter((m) => m.startsWith('Wave')),
    [/^WaveStarted: revision 2: wave 1 of 2/, /^WaveSucceeded: revision 2: wave 1 of 2 succeeded/, /^WaveStarted: revision 2: wave 2 of 2/],
    'each step of the rollout is an event, in order',
  );
});

t.test('a canary that crashes stops the rollout and the previous template comes back, leaving the old pods alone', async (t) => {
  const store = await storeFor(t);
  const clock = { now: START };
  await store.create(
    staged(4, 'app:1', { waves: [{ size: 1 }, { size: '100%' }], rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }, failureThreshold: 0, rollbackOnFailure: true }),
  );
  const { controller, events } = controllerAt(store, clock);
  const before = await running(store, controller, clock);
  const oldNames = before.map((p) => p.metadata.name).sort();

  await setImage(store, 'app:bad');
  await controller.reconcile('default/web');
  const [canary] = await podsWithImage(store, 'app:bad');
  t.ok(canary, 'a canary of the bad image');
  await report(store, canary!, 'crashing', clock.now);
  await controller.reconcile('default/web');

  const rolledBack = (await store.get('Deployment', 'default', 'web'))!;
  t.equal(rolledBack.spec.template.spec.containers[0]?.image, 'app:1', 'the template is the previous one again');
  t.equal(rolledBack.metadata.annotations?.['flotilla.io/rolled-back-from'], '2');
  t.match(rolledBack.status?.rollout, { phase: 'RolledBack', rolledBackFrom: 2, failed: 1 });
  t.match(rolledBack.status?.rollout?.message, /revision 2 failed in wave 1 of 2: 1 of 1 updated pod failed, more than the threshold of 0: web-\w+-\w+ on cam-1: CrashLoopBackOff; rolled back to revision 1/);
  t.match(events.messages.filter((m) => /^(RolloutFailed|RolledBack)/.test(m)), [/^RolloutFailed: /, /^RolledBack: rolling back from revision 2 to revision 1/]);

  await controller.reconcile('default/web');
  t.same((await store.list('Pod')).items.map((p) => p.metadata.name).sort(), oldNames, 'the canary is gone, the old pods were never touched');
  t.match(await rollout(store), { revision: 3, phase: 'RolledBack', rolledBackFrom: 2, updated: 4, ready: 4 });
  const revisions = (await store.list('ControllerRevision')).items.map((r) => [r.revision, r.data.template.spec.containers[0]?.image]).sort();
  t.same(revisions, [[2, 'app:bad'], [3, 'app:1']], 'the restored template is revision 3, as Kubernetes numbers it');
});

t.test('a pod on a device that went Offline is pending and the rollout completes without it', async (t) => {
  const store = await storeFor(t);
  const clock = { now: START };
  await store.create(staged(3, 'app:1', { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } }));
  await store.create({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1' }, status: { state: 'Ready' } });
  await store.create({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-2' }, status: { state: 'Offline' } });
  const { controller } = controllerAt(store, clock);
  await controller.reconcile('default/web');
  const [first, second, third] = (await store.list('Pod')).items;
  await report(store, first!, 'ready', clock.now);
  await report(store, second!, 'ready', clock.now);
  // Bound to cam-2 just before it went away: it never reported.
  await store.update<Pod>({ ...third!, spec: { ...third!.spec, nodeName: 'cam-2' } });
  await controller.reconcile('default/web');
  const status = await rollout(store);
  t.match(status, { phase: 'Complete', pending: 1, updated: 3, ready: 2 });
  t.match(status?.message, /^rolled out; 1 pod waits for an Offline device \(cam-2\) and updates when it returns$/);
});

t.test('keeps revisionHistoryLimit old revisions and deletes them all with the Deployment', async (t) => {
  const store = await storeFor(t);
  const clock = { now: START };
  const created = staged(1, 'app:1', { rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } });
  created.spec.revisionHistoryLimit = 1;
  await store.create(created);
  const { controller } = controllerAt(store, clock);
  for (const image of ['app:1', 'app:2', 'app:3']) {
    if (image !== 'app:1') await setImage(store, image);
    await controller.reconcile('default/web');
    for (const pod of await podsWithImage(store, image)) await report(store, pod, 'ready', clock.now);
    await controller.reconcile('default/web');
    await controller.reconcile('default/web');
  }
  const revisions = (await store.list('ControllerRevision')).items.map((r) => r.revision).sort();
  t.same(revisions, [2, 3]);
  await store.delete('Deployment', 'default', 'web');
  await controller.reconcile('default/web');
  t.same((await store.list('ControllerRevision')).items, []);
});

t.test('a device going Offline or coming back has the Deployments of its pods looked at again, and nothing else does', async (t) => {
  const store = await storeFor(t);
  const clock = { now: START };
  await store.create(web(1));
  const device = await store.create({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1' }, status: { state: 'Ready' } });
  const { controller } = controllerAt(store, clock);
  await controller.initialKeys();
  await controller.reconcile('default/web');
  const [pod] = (await store.list('Pod')).items;
  await report(store, pod!, 'ready', clock.now, 'cam-1');
  const offline = { ...device, status: { state: 'Offline' as const } };
  t.same(controller.keysFor({ type: 'MODIFIED', object: offline }), ['default/web']);
  t.same(controller.keysFor({ type: 'MODIFIED', object: offline }), [], 'no change of state, no work');
  t.same(controller.keysFor({ type: 'MODIFIED', object: { ...device, status: { state: 'NotReady' as const } } }), ['default/web'], 'back from Offline');
});
