/**
 * What devices tell about their pods (the events channel) becomes Flotilla Events on those
 * pods, in the device's order, as `describe pod` shows them; broken payloads are dropped and
 * counted like those of any other channel.
 */
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { EventSink } from '../../../hub/controllers/events.js';
import { CLOCK_SLACK_MS, deviceEventMessage, Ingest, OUTBOX_OVERFLOW_REASON, type DeviceLifecycle } from '../../../hub/dispatch/ingest.js';
import { createLevelStore } from '../../../hub/store/level-store.js';
import type { Store } from '../../../hub/store/store.js';
import type { Device, FlotillaEvent, ObjectReference, Pod } from '../../../shared/objects.js';
import { encode, type DeviceEventMessage, type EventBatchMessage, type StatusReportMessage } from '../../../shared/proto/codec.js';
import { Topics } from '../../../shared/topics.js';

interface Recorded {
  involved: ObjectReference;
  type: FlotillaEvent['type'];
  reason: string;
  message: string;
  /** When the recorder was called: its timestamps are taken then. */
  atMs: number;
}

const topics = new Topics();

interface Harness {
  store: Store;
  ingest: Ingest;
  recorded: Recorded[];
  contacts: string[];
  /** A pod bound to `device`, stored; its uid is the store's. */
  pod(name: string, device: string): Promise<Pod>;
  sendEvents(device: string, batch: Partial<EventBatchMessage>): Promise<void>;
  sendStatus(device: string, report: StatusReportMessage): Promise<void>;
}

async function harness(t: Test): Promise<Harness> {
  const store = await createLevelStore({ dataDir: t.testdir(), onCorruptEntry: () => {} });
  t.teardown(() => store.close());
  const recorded: Recorded[] = [];
  const contacts: string[] = [];
  const events: EventSink = { record: (involved, type, reason, message) => recorded.push({ involved, type, reason, message, atMs: Date.now() }) };
  const lifecycle: DeviceLifecycle = {
    onBirth: () => undefined,
    onDeath: () => true,
    onHeartbeat: () => undefined,
    onContact: (device) => void contacts.push(device),
    onStatusReport: () => undefined,
  };
  const ingest = new Ingest({ topics, store, lifecycle, log: pino({ level: 'silent' }), events });
  return {
    store,
    ingest,
    recorded,
    contacts,
    async pod(name, device) {
      return store.create<Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: { nodeName: device, containers: [{ name: 'app', image: 'localhost/busybox:test' }] },
      });
    },
    async sendEvents(device, batch) {
      ingest.handle(topics.device(device, 'events'), Buffer.from(encode('EventBatch', { stream: 's1', dropped: 0, events: [], ...batch })));
      await ingest.settled();
    },
    async sendStatus(device, report) {
      ingest.handle(topics.device(device, 'status'), Buffer.from(encode('StatusReport', report)));
      await ingest.settled();
    },
  };
}

let sequence = 0;
function about(pod: Pod, reason: string, message: string, fields: Partial<DeviceEventMessage> = {}): DeviceEventMessage {
  return {
    sequence: ++sequence,
    namespace: 'default',
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? '',
    type: 'Normal',
    reason,
    message,
    atMs: Date.now(),
    ...fields,
  };
}

t.test('records each event a device tells on its pod, in the order sent, each a millisecond after the one before', async (t) => {
  const h = await harness(t);
  const web = await h.pod('web', 'pi-1');
  await h.sendEvents('pi-1', {
    events: [
      about(web, 'Error', 'container app exited with code 137', { type: 'Warning' }),
      about(web, 'Restarted', 'restarted container app (restart 1)'),
      about(web, 'Started', 'started container sidecar'),
    ],
  });
  t.same(
    h.recorded.map((r) => [r.involved.kind, r.involved.name, r.involved.uid, r.type, r.reason, r.message]),
    [
      ['Pod', 'web', web.metadata.uid, 'Warning', 'Error', 'container app exited with code 137'],
      ['Pod', 'web', web.metadata.uid, 'Normal', 'Restarted', 'restarted container app (restart 1)'],
      ['Pod', 'web', web.metadata.uid, 'Normal', 'Started', 'started container sidecar'],
    ],
  );
  const times = h.recorded.map((r) => r.atMs);
  t.ok(times[0]! < times[1]! && times[1]! < times[2]!, `recorded at ${times.join(', ')}: describe shows them in this order`);
  t.equal(h.ingest.counters.deviceEvents, 3);
  t.same(h.contacts, ['pi-1'], 'a batch shows the device is alive');
});

t.test('shows the device’s time in the message when it is more than a few seconds off the hub’s', async (t) => {
  const h = await harness(t);
  const web = await h.pod('web', 'pi-1');
  const earlier = Date.now() - 10 * 60_000;
  await h.sendEvents('pi-1', {
    events: [about(web, 'Error', 'container app exited with code 137', { atMs: earlier }), about(web, 'Started', 'started container app')],
  });
  t.equal(h.recorded[0]?.message, `container app exited with code 137 (at ${new Date(earlier).toISOString()} on the device)`);
  t.equal(h.recorded[1]?.message, 'started container app', 'about now: the hub’s own time says it');
  t.equal(deviceEventMessage({ message: 'm', atMs: 1_000_000 + CLOCK_SLACK_MS }, 1_000_000), 'm');
  t.match(deviceEventMessage({ message: 'm', atMs: 1_000_000 + CLOCK_SLACK_MS + 1 }, 1_000_000), /on the device/, 'a clock ahead of the hub’s too');
  t.equal(deviceEventMessage({ message: 'm', atMs: 0 }, 1_000_000), 'm', 'a device that sent no time');
  t.equal(deviceEventMessage({ message: 'm', atMs: 2 ** 60 }, 1_000_000), 'm', 'a time past what a date holds');
});

t.test('skips events it has recorded already (sent again after a lost acknowledgement), until the device starts a new stream', async (t) => {
  const h = await harness(t);
  const web = await h.pod('web', 'pi-1');
  const exit = about(web, 'Error', 'container app exited with code 1', { sequence: 7, type: 'Warning' });
  const restart = about(web, 'Restarted', 'restarted container app (restart 1)', { sequence: 8 });
  await h.sendEvents('pi-1', { stream: 'a', events: [exit] });
  await h.sendEvents('pi-1', { stream: 'a', events: [exit, restart] });
  t.same(h.recorded.map((r) => r.reason), ['Error', 'Restarted']);
  t.equal(h.ingest.counters.skippedEvents, 1);
  await h.sendEvents('pi-1', { stream: 'b', events: [{ ...exit, sequence: 1 }] });
  t.same(h.recorded.map((r) => r.reason), ['Error', 'Restarted', 'Error'], 'a new stream counts from the start');
});

t.test('ignores events about pods bound elsewhere, unknown pods, and an earlier pod of the same name', async (t) => {
  const h = await harness(t);
  const theirs = await h.pod('theirs', 'pi-2');
  const mine = await h.pod('mine', 'pi-1');
  await h.sendEvents('pi-1', {
    events: [
      about(theirs, 'Started', 'started container app'),
      about(mine, 'Started', 'started container app', { uid: 'uid-of-an-earlier-mine' }),
      about(mine, 'Started', 'started container app', { name: 'gone' }),
      about(mine, 'Started', 'started container app'),
    ],
  });
  t.same(h.recorded.map((r) => r.involved.name), ['mine']);
  t.equal(h.ingest.counters.foreignPods, 3);
});

t.test('drops an events payload that does not decode and counts it, as on every channel', async (t) => {
  const h = await harness(t);
  h.ingest.handle(topics.device('pi-1', 'events'), Buffer.from('{"events": []}'));
  h.ingest.handle(topics.device('pi-1', 'events'), Buffer.alloc(300 * 1024));
  await h.ingest.settled();
  t.equal(h.ingest.counters.dropped, 2);
  t.equal(h.ingest.counters.received, 2);
  t.same(h.recorded, []);
  t.same(h.contacts, [], 'nor does it count as a sign of life');
});

t.test('skips events that make no sense and records the rest, with overlong text cut', async (t) => {
  const h = await harness(t);
  const web = await h.pod('web', 'pi-1');
  await h.sendEvents('pi-1', {
    events: [
      about(web, 'Started', 'odd', { type: 'Critical' }),
      about(web, '', 'no reason'),
      about(web, 'Started', 'nameless', { name: '' }),
      about(web, 'Started', 'x'.repeat(5_000)),
    ],
  });
  t.equal(h.ingest.counters.skippedEvents, 3);
  t.equal(h.recorded.length, 1);
  t.equal(h.recorded[0]?.message.length, 1_024);
});

t.test('a batch telling of drops while offline records a Warning on the Device before its events', async (t) => {
  const h = await harness(t);
  const device = await h.store.create<Device>({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'pi-1' }, spec: {} });
  const web = await h.pod('web', 'pi-1');
  await h.sendEvents('pi-1', { dropped: 12, events: [about(web, 'Started', 'started container app')] });
  t.same(
    h.recorded.map((r) => [r.involved.kind, r.involved.name, r.type, r.reason]),
    [
      ['Device', 'pi-1', 'Warning', OUTBOX_OVERFLOW_REASON],
      ['Pod', 'web', 'Normal', 'Started'],
    ],
  );
  t.equal(h.recorded[0]?.involved.uid, device.metadata.uid);
  t.match(h.recorded[0]?.message, /^12 status reports and events were dropped while offline/);
  await h.sendEvents('pi-1', { dropped: 1 });
  t.match(h.recorded[2]?.message, /^1 status report or event was dropped while offline/);
});

t.test('infers no events from the status of an agent that tells its own, and does from an older agent', async (t) => {
  const h = await harness(t);
  const web = await h.pod('web', 'pi-1');
  const running = (restartCount: number, startedAtMs: number, deviceEvents: boolean): StatusReportMessage => ({
    observedGeneration: 1,
    deviceEvents,
    pods: [
      {
        namespace: 'default',
        name: 'web',
        uid: web.metadata.uid ?? '',
        phase: 'Running',
        reason: '',
        message: '',
        containers: [
          { name: 'app', image: 'localhost/busybox:test', state: 'running', reason: '', message: '', exitCode: 0, restartCount, startedAtMs, finishedAtMs: 0, containerId: 'c1', ready: true },
        ],
      },
    ],
  });
  await h.sendStatus('pi-1', running(0, 1_795_000_000_000, true));
  await h.sendStatus('pi-1', running(1, 1_795_000_060_000, true));
  t.same(h.recorded, [], 'the device tells these itself');
  t.equal((await h.store.get('Pod', 'default', 'web'))?.status?.containerStatuses?.[0]?.restartCount, 1, 'the status is applied all the same');
  await h.sendStatus('pi-1', running(2, 1_795_000_120_000, false));
  t.same(h.recorded.map((r) => r.reason), ['Restarted'], 'an older agent’s restarts are inferred as before');
});

t.test('a device’s status reports and event batches are applied in the order they arrived', async (t) => {
  const h = await harness(t);
  const web = await h.pod('web', 'pi-1');
  const journal: string[] = [];
  const update = h.store.update.bind(h.store);
  h.store.update = (async (object: Pod) => {
    // Slower than recording an event: an order kept only by luck would show.
    await new Promise((resolve) => setTimeout(resolve, 20));
    journal.push('status');
    return update(object);
  }) as Store['update'];
  const status: StatusReportMessage = {
    observedGeneration: 1,
    deviceEvents: true,
    pods: [{ namespace: 'default', name: 'web', uid: web.metadata.uid ?? '', phase: 'Pending', reason: '', message: '', containers: [] }],
  };
  const events = (message: string) => Buffer.from(encode('EventBatch', { stream: 'order', events: [about(web, 'Started', message)] }));
  h.ingest.handle(topics.device('pi-1', 'events'), events('one'));
  h.ingest.handle(topics.device('pi-1', 'status'), Buffer.from(encode('StatusReport', status)));
  h.ingest.handle(topics.device('pi-1', 'events'), events('two'));
  const recordedBefore = () => h.recorded.map((r) => r.message);
  // Each status write notes which events were recorded before it.
  const statusAt: string[][] = [];
  const push = journal.push.bind(journal);
  journal.push = (...items: string[]) => {
    statusAt.push(recordedBefore());
    return push(...items);
  };
  await h.ingest.settled();
  t.same(statusAt, [['one']], 'the status was applied after the first batch and before the second');
  t.same(recordedBefore(), ['one', 'two']);
});
