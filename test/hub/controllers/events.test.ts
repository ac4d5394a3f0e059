import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { FlotillaEvent } from '../../../shared/objects.js';
import { agentSource, EventRecorder } from '../../../hub/controllers/events.js';
import { openStore } from '../../../hub/store/index.js';
import type { Store } from '../../../hub/store/store.js';

async function setup(t: Test): Promise<{ store: Store; recorder: EventRecorder; published: FlotillaEvent[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-events-'));
  const store = await openStore(undefined, { dataDir: dir });
  t.teardown(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const published: FlotillaEvent[] = [];
  const recorder = new EventRecorder({ store, log: pino({ level: 'silent' }), source: 'test', publish: (e) => published.push(e), ttlMs: 60_000 });
  return { store, recorder, published };
}

const pod = { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' };

t.test('a repeated event is one event with a count, and each write is published for MQTT tools', async (t) => {
  const { store, recorder, published } = await setup(t);
  recorder.record(pod, 'Warning', 'BackOff', 'restarting failed container');
  recorder.record(pod, 'Warning', 'BackOff', 'restarting failed container');
  recorder.record(pod, 'Normal', 'Scheduled', 'assigned to cam-1');
  await recorder.flushed();
  t.same(
    published.map((e) => [e.reason, e.count]),
    [['BackOff', 2], ['Scheduled', 1]],
    'repeats recorded together are published once, with their count',
  );
  recorder.record(pod, 'Warning', 'BackOff', 'restarting failed container');
  await recorder.flushed();
  const { items } = await store.list('Event');
  t.equal(items.length, 2);
  t.equal(items.find((e) => e.reason === 'BackOff')?.count, 3, 'a later repeat adds to the stored count');
  t.same(published.at(-1)?.count, 3);
});

t.test('many events recorded at once are all written', async (t) => {
  const { store, recorder } = await setup(t);
  for (let i = 0; i < 500; i++) recorder.record({ ...pod, name: `web-${i}`, uid: `u${i}` }, 'Normal', 'Scheduled', `assigned to cam-${i}`);
  await recorder.flushed();
  t.equal((await store.list('Event')).items.length, 500);
});

t.test('an event that cannot be written is logged and later events still are', async (t) => {
  const { store, recorder } = await setup(t);
  recorder.record({ kind: 'Pod', name: 'bad name/with slash', namespace: 'default' }, 'Normal', 'Scheduled', 'x');
  recorder.record(pod, 'Normal', 'Scheduled', 'assigned to cam-1');
  await recorder.flushed();
  t.same((await store.list('Event')).items.map((e) => e.involvedObject.name), ['web-1']);
});

t.test('events older than the TTL are swept away and newer ones kept', async (t) => {
  const { store, recorder } = await setup(t);
  recorder.record(pod, 'Normal', 'Scheduled', 'assigned to cam-1');
  await recorder.flushed();
  t.equal(await recorder.sweep(Date.now() + 30_000), 0, 'a young event stays');
  t.equal(await recorder.sweep(Date.now() + 61_000), 1, 'an expired event goes');
  t.same((await store.list('Event')).items, []);
});

t.test('an event a device reports names its agent as the source, and the hub is the source of the rest', async (t) => {
  const { store, recorder } = await setup(t);
  recorder.record(pod, 'Normal', 'Started', 'started container web', agentSource('cam-1'));
  recorder.record(pod, 'Normal', 'Scheduled', 'assigned to cam-1');
  await recorder.flushed();
  const { items } = await store.list('Event');
  t.same(
    Object.fromEntries(items.map((e) => [e.reason, e.source])),
    { Started: 'agent/cam-1', Scheduled: 'test' },
  );
});
