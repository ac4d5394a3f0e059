import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { Dispatcher, SECRET_MISSING_REASON } from '../../../hub/dispatch/dispatcher.js';
import type { DesiredPublisher } from '../../../hub/dispatch/dispatcher.js';
import type { EventSink } from '../../../hub/controllers/events.js';
import { createLevelStore } from '../../../hub/store/level-store.js';
import type { Store } from '../../../hub/store/store.js';
import type { Device, EnvVar, FlotillaEvent, ObjectReference, Pod, Secret } from '../../../shared/objects.js';
import type { DesiredStateMessage } from '../../../shared/proto/codec.js';

interface Recorded {
  involved: ObjectReference;
  type: FlotillaEvent['type'];
  reason: string;
  message: string;
}

interface Harness {
  store: Store;
  dispatcher: Dispatcher;
  /** Every document published, in order, per device. */
  published: Map<string, DesiredStateMessage[]>;
  events: Recorded[];
  /** Waits out the dispatcher's batching. */
  settle(): Promise<void>;
  /** The env of the pod's first container in the device's last document; undefined when the pod is not in it. */
  envOf(device: string, pod: string): Record<string, string> | undefined;
}

async function harness(t: Test): Promise<Harness> {
  const store = await createLevelStore({ dataDir: t.testdir(), onCorruptEntry: () => {} });
  const published = new Map<string, DesiredStateMessage[]>();
  const events: Recorded[] = [];
  const publisher: DesiredPublisher = {
    publishDesired: (device, desired) => published.set(device, [...(published.get(device) ?? []), structuredClone(desired)]),
    clearDesired: () => {},
  };
  const sink: EventSink = { record: (involved, type, reason, message) => events.push({ involved, type, reason, message }) };
  const dispatcher = new Dispatcher({ store, publisher, log: pino({ level: 'silent' }), events: sink });
  t.teardown(async () => {
    await dispatcher.stop();
    await store.close();
  });
  const settle = () => delay(60);
  const envOf = (device: string, name: string) => {
    const last = published.get(device)?.at(-1);
    const pod = last?.pods.find((p) => p.name === name);
    if (pod === undefined) return undefined;
    return Object.fromEntries((pod.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  };
  return { store, dispatcher, published, events, settle, envOf };
}

function device(name: string): Device {
  return { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name }, spec: {} };
}

function pod(name: string, nodeName: string, env: EnvVar[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'main', image: 'localhost/busybox:test', env }] },
  };
}

function secret(name: string, values: Record<string, string>): Secret {
  const data = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, type: 'Opaque', data };
}

const fromSecret = (name: string, secretName: string, key: string, optional?: boolean): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: optional === undefined ? { name: secretName, key } : { name: secretName, key, optional } },
});

function payloadText(h: Harness, device: string): string {
  return JSON.stringify(h.published.get(device) ?? []);
}

t.test("a Secret's value goes into the document of the pod's own device, and no other device's", async (t) => {
  const h = await harness(t);
  await h.store.create(device('a'));
  await h.store.create(device('b'));
  await h.store.create(secret('db', { password: 'only-for-a' }));
  await h.store.create(pod('app', 'a', [{ name: 'PLAIN', value: 'x' }, fromSecret('DB_PASSWORD', 'db', 'password')]));
  await h.store.create(pod('other', 'b', [{ name: 'PLAIN', value: 'y' }]));
  await h.dispatcher.start();
  await h.settle();
  t.same(h.envOf('a', 'app'), { PLAIN: 'x', DB_PASSWORD: 'only-for-a' });
  t.same(h.envOf('b', 'other'), { PLAIN: 'y' });
  t.notMatch(payloadText(h, 'b'), /only-for-a/, "device b's documents never hold the value");
});

t.test('a changed Secret re-sends the documents of exactly the devices whose pods use it', async (t) => {
  const h = await harness(t);
  for (const name of ['a', 'b', 'c']) await h.store.create(device(name));
  await h.store.create(secret('db', { password: 'first' }));
  await h.store.create(secret('unrelated', { token: 'z' }));
  await h.store.create(pod('app-a', 'a', [fromSecret('DB_PASSWORD', 'db', 'password')]));
  await h.store.create(pod('app-b', 'b', [fromSecret('DB_PASSWORD', 'db', 'password')]));
  await h.store.create(pod('app-c', 'c', [{ name: 'PLAIN', value: 'c' }]));
  await h.dispatcher.start();
  await h.settle();
  const before = new Map([...h.published].map(([name, docs]) => [name, docs.length]));

  const stored = await h.store.get('Secret', 'default', 'db');
  await h.store.update({ ...(stored as Secret), data: { password: Buffer.from('second').toString('base64') } });
  await h.settle();
  t.equal(h.published.get('a')?.length, (before.get('a') ?? 0) + 1, 'device a gets one new document');
  t.equal(h.published.get('b')?.length, (before.get('b') ?? 0) + 1, 'device b gets one new document');
  t.equal(h.published.get('c')?.length, before.get('c'), 'device c, whose pod uses no Secret, gets none');
  t.same(h.envOf('a', 'app-a'), { DB_PASSWORD: 'second' });
  t.same(h.envOf('b', 'app-b'), { DB_PASSWORD: 'second' });

  const unrelated = await h.store.get('Secret', 'default', 'unrelated');
  await h.store.update({ ...(unrelated as Secret), data: { token: Buffer.from('zz').toString('base64') } });
  await h.settle();
  t.equal(h.published.get('a')?.length, (before.get('a') ?? 0) + 1, 'a Secret no pod uses sends nothing');
});

t.test('a pod whose Secret is missing is held back with a Warning naming it, and goes out when the Secret appears', async (t) => {
  const h = await harness(t);
  await h.store.create(device('a'));
  await h.dispatcher.start();
  const created = await h.store.create(pod('app', 'a', [fromSecret('DB_PASSWORD', 'db', 'password')]));
  await h.settle();
  t.equal(h.envOf('a', 'app'), undefined, 'the pod is not in the document');
  t.equal(h.events.length, 1);
  t.match(h.events[0], {
    involved: { kind: 'Pod', name: 'app', namespace: 'default', uid: created.metadata.uid },
    type: 'Warning',
    reason: SECRET_MISSING_REASON,
    message: 'held back from device a: Secret default/db not found (env DB_PASSWORD of container main)',
  });

  // Status writes to the waiting pod do not repeat the Warning.
  await h.store.update({ ...created, status: { phase: 'Pending' } });
  await h.settle();
  t.equal(h.events.length, 1, 'one Warning, not one per write');

  await h.store.create(secret('db', { other: 'x' }));
  await h.settle();
  t.equal(h.envOf('a', 'app'), undefined, 'still held back: the key is missing');
  t.equal(h.events.at(-1)?.message, 'held back from device a: key "password" not found in Secret default/db (env DB_PASSWORD of container main)');

  const stored = await h.store.get('Secret', 'default', 'db');
  await h.store.update({ ...(stored as Secret), data: { password: Buffer.from('now-here').toString('base64') } });
  await h.settle();
  t.same(h.envOf('a', 'app'), { DB_PASSWORD: 'now-here' }, 'the pod goes out once its value exists');
  t.same([...h.dispatcher.heldBack().keys()], []);
});

t.test('a deleted Secret takes its pods out of their documents again', async (t) => {
  const h = await harness(t);
  await h.store.create(device('a'));
  await h.store.create(secret('db', { password: 'p' }));
  await h.store.create(pod('app', 'a', [fromSecret('DB_PASSWORD', 'db', 'password')]));
  await h.dispatcher.start();
  await h.settle();
  t.same(h.envOf('a', 'app'), { DB_PASSWORD: 'p' });
  await h.store.delete('Secret', 'default', 'db');
  await h.settle();
  t.equal(h.envOf('a', 'app'), undefined);
  t.match(h.dispatcher.heldBack().get('default/app'), /Secret default\/db not found/);
});

t.test('an optional reference to a missing Secret or key leaves the variable unset and holds nothing back', async (t) => {
  const h = await harness(t);
  await h.store.create(device('a'));
  await h.store.create(secret('present', { a: '1' }));
  await h.store.create(
    pod('app', 'a', [fromSecret('GONE', 'absent', 'k', true), fromSecret('NO_KEY', 'present', 'missing', true), fromSecret('A', 'present', 'a', true)]),
  );
  await h.dispatcher.start();
  await h.settle();
  t.same(h.envOf('a', 'app'), { A: '1' });
  t.same(h.events, []);
});

t.test('a Secret in another namespace does not satisfy a pod: references are to its own namespace', async (t) => {
  const h = await harness(t);
  await h.store.create(device('a'));
  await h.store.create({ ...secret('db', { password: 'elsewhere' }), metadata: { name: 'db', namespace: 'other' } });
  await h.store.create(pod('app', 'a', [fromSecret('DB_PASSWORD', 'db', 'password')]));
  await h.dispatcher.start();
  await h.settle();
  t.equal(h.envOf('a', 'app'), undefined);
  t.match(h.events[0]?.message, /Secret default\/db not found/);
});

t.test('a pod moved to another device takes its value with it, and the first device keeps no copy in its next document', async (t) => {
  const h = await harness(t);
  await h.store.create(device('a'));
  await h.store.create(device('b'));
  await h.store.create(secret('db', { password: 'moving' }));
  await h.dispatcher.start();
  const created = await h.store.create(pod('app', 'a', [fromSecret('DB_PASSWORD', 'db', 'password')]));
  await h.settle();
  t.same(h.envOf('a', 'app'), { DB_PASSWORD: 'moving' });
  await h.store.update({ ...created, spec: { ...created.spec, nodeName: 'b' } });
  await h.settle();
  t.same(h.envOf('b', 'app'), { DB_PASSWORD: 'moving' });
  t.notMatch(JSON.stringify(h.published.get('a')?.at(-1)), /moving/);
});

t.test("the time from a device's pods changing to the broker acknowledging its new document is told, once per document", async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), onCorruptEntry: () => {} });
  const acks: (() => void)[] = [];
  const publisher: DesiredPublisher = {
    publishDesired: (_device, _desired, sent) => void (sent && acks.push(() => sent())),
    clearDesired: () => {},
  };
  const latencies: number[] = [];
  const dispatcher = new Dispatcher({ store, publisher, log: pino({ level: 'silent' }), events: { record: () => undefined }, onPublished: (seconds) => latencies.push(seconds) });
  t.teardown(async () => {
    await dispatcher.stop();
    await store.close();
  });
  await dispatcher.start();
  await store.create(device('cam-1'));
  await delay(60);
  acks.splice(0).forEach((ack) => ack());
  latencies.length = 0;
  await store.create(pod('a', 'cam-1', []));
  await store.create(pod('b', 'cam-1', []));
  await delay(60);
  t.equal(acks.length, 1, 'both pods went out in one document');
  t.same(latencies, [], 'nothing is told before the broker acknowledges');
  await delay(30);
  acks.splice(0).forEach((ack) => ack());
  t.equal(latencies.length, 1);
  t.ok((latencies[0] ?? 0) >= 0.08, `measured from the first change, through the acknowledgement (${latencies[0]} s)`);
});
