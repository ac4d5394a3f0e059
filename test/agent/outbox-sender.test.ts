import t, { type Test } from 'tap';
import { Outbox } from '../../agent/outbox.js';
import { OutboxSender, SEND_WINDOW, type UplinkChannel } from '../../agent/outbox-sender.js';
import type { PodEvent } from '../../agent/reconciler/pod-events.js';
import { createLogger } from '../../shared/log.js';
import { WireError, type EventBatchMessage, type StatusReportMessage } from '../../shared/proto/codec.js';

const log = createLogger('test', 'silent');

/** Lets the sender's scheduled work run, however loaded the machine: a few turns of the event loop. */
async function turns(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function event(message: string): PodEvent {
  return { namespace: 'default', name: 'web', uid: 'uid-web', type: 'Normal', reason: 'Started', message, atMs: Date.now() };
}

/** A link whose broker acknowledges when the test says so. */
class FakeChannel implements UplinkChannel {
  connected = true;
  readonly published: string[] = [];
  readonly #pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  autoAck = true;
  failNext: Error | undefined;

  publishStatus(report: StatusReportMessage): Promise<void> {
    return this.#publish(`status ${report.observedGeneration}`);
  }

  publishEvents(batch: EventBatchMessage): Promise<void> {
    return this.#publish(`events ${batch.events.map((e) => e.message).join(',')}${batch.dropped ? ` dropped ${batch.dropped}` : ''}`);
  }

  ackAll(): void {
    for (const pending of this.#pending.splice(0)) pending.resolve();
  }

  #publish(what: string): Promise<void> {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      return Promise.reject(error);
    }
    this.published.push(what);
    if (this.autoAck) return Promise.resolve();
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }
}

function harness(t: Test) {
  const outbox = Outbox.open(t.testdir());
  const channel = new FakeChannel();
  const sender = new OutboxSender({ outbox, channel, log });
  t.teardown(() => sender.stop());
  return { outbox, channel, sender };
}

t.test('what is queued in one turn goes out together, in order', async (t) => {
  const { outbox, channel, sender } = harness(t);
  outbox.addEvent(event('exited'));
  outbox.addEvent(event('restarted'));
  outbox.addStatus({ observedGeneration: 3, pods: [] });
  sender.wake();
  await sender.idle();
  t.same(channel.published, ['events exited,restarted', 'status 3']);
  t.equal(outbox.length, 0);
});

t.test('sends nothing while the link is down, and everything in order once it is up', async (t) => {
  const { outbox, channel, sender } = harness(t);
  channel.connected = false;
  for (const message of ['a', 'b', 'c']) {
    outbox.addEvent(event(message));
    sender.wake();
  }
  await sender.idle();
  t.same(channel.published, []);
  t.equal(outbox.length, 3, 'kept in the outbox');
  channel.connected = true;
  sender.wake();
  await sender.idle();
  t.same(channel.published, ['events a,b,c']);
});

t.test('forgets a message only once the broker acknowledged it', async (t) => {
  const { outbox, channel, sender } = harness(t);
  channel.autoAck = false;
  outbox.addEvent(event('a'));
  sender.wake();
  await turns();
  t.same(channel.published, ['events a']);
  t.equal(outbox.length, 1, 'still kept while unacknowledged');
  outbox.addStatus({ observedGeneration: 2, pods: [] });
  sender.wake();
  await turns();
  t.same(channel.published, ['events a', 'status 2'], 'what follows need not wait for the acknowledgement');
  t.equal(outbox.length, 2);
  channel.ackAll();
  await sender.idle();
  t.equal(outbox.length, 0);
});

t.test('keeps at most a window of messages on their way, the rest following as acknowledgements come', async (t) => {
  const { outbox, channel, sender } = harness(t);
  channel.autoAck = false;
  // Queued one by one, each while the ones before are on their way: one message each.
  for (let i = 0; i < SEND_WINDOW + 3; i++) {
    outbox.addEvent(event(`e${i}`));
    sender.wake();
    await turns();
  }
  t.equal(channel.published.length, SEND_WINDOW);
  channel.autoAck = true;
  channel.ackAll();
  await sender.idle();
  t.equal(channel.published.length, SEND_WINDOW + 1, 'the rest in one batch');
  t.equal(channel.published.at(-1), `events e${SEND_WINDOW},e${SEND_WINDOW + 1},e${SEND_WINDOW + 2}`);
  t.equal(outbox.length, 0);
});

t.test('a message whose publish failed goes again, ahead of anything newer', async (t) => {
  const { outbox, channel, sender } = harness(t);
  channel.failNext = new Error('connection closed');
  outbox.addEvent(event('a'));
  sender.wake();
  await sender.idle();
  t.same(channel.published, []);
  outbox.addEvent(event('b'));
  sender.wake();
  await sender.idle();
  t.same(channel.published, ['events a,b']);
});

t.test('a message that cannot be encoded is dropped rather than blocking the rest', async (t) => {
  const { outbox, channel, sender } = harness(t);
  channel.failNext = new WireError('cannot encode EventBatch: events.0.sequence: integer|Long expected');
  outbox.addEvent(event('broken'));
  outbox.addStatus({ observedGeneration: 2, pods: [] });
  sender.wake();
  await sender.idle();
  t.same(channel.published, ['status 2']);
});

t.test('sends nothing more once stopped', async (t) => {
  const { outbox, channel, sender } = harness(t);
  sender.stop();
  outbox.addEvent(event('late'));
  sender.wake();
  await sender.idle();
  t.same(channel.published, []);
  t.equal(outbox.length, 1);
});
