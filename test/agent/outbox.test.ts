import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { BATCH_LIMITS, Outbox, type Outgoing } from '../../agent/outbox.js';
import type { PodEvent } from '../../agent/reconciler/pod-events.js';
import type { StatusReportMessage } from '../../shared/proto/codec.js';

function event(message: string, pod = 'web'): PodEvent {
  return { namespace: 'default', name: pod, uid: `uid-${pod}`, type: 'Normal', reason: 'Started', message, atMs: 1_795_000_000_000 };
}

function status(generation: number, phase = 'Running'): StatusReportMessage {
  return {
    observedGeneration: generation,
    deviceEvents: true,
    pods: [{ namespace: 'default', name: 'web', uid: 'uid-web', phase, reason: '', message: '', containers: [] }],
  };
}

/** Takes everything out as a connected link would, acknowledging each message. */
function drain(outbox: Outbox): Outgoing[] {
  const sent: Outgoing[] = [];
  for (let next = outbox.next(); next !== undefined; next = outbox.next()) {
    sent.push(next);
    outbox.acknowledge(next);
  }
  return sent;
}

function messages(sent: Outgoing[]): string[] {
  return sent.flatMap((o) => (o.kind === 'status' ? [`status ${o.report.observedGeneration}`] : o.batch.events.map((e) => e.message)));
}

t.test('sends status reports and events in the order they were queued, events numbered one after another', async (t) => {
  const outbox = Outbox.open(t.testdir());
  outbox.addEvent(event('a'));
  outbox.addEvent(event('b'));
  outbox.addStatus(status(1));
  outbox.addEvent(event('c'));
  const sent = drain(outbox);
  t.same(messages(sent), ['a', 'b', 'status 1', 'c']);
  t.same(sent.map((o) => o.kind), ['events', 'status', 'events'], 'consecutive events share a batch');
  const sequences = sent.flatMap((o) => (o.kind === 'events' ? o.batch.events.map((e) => e.sequence) : []));
  t.same(sequences, [1, 2, 3]);
  t.equal(outbox.length, 0);
});

t.test('keeps only the latest status report, and never merges events', async (t) => {
  const outbox = Outbox.open(t.testdir());
  outbox.addStatus(status(1, 'Pending'));
  outbox.addEvent(event('started'));
  outbox.addStatus(status(1, 'Running'));
  outbox.addEvent(event('started'));
  outbox.addStatus(status(2, 'Running'));
  t.equal(outbox.length, 3);
  t.same(messages(drain(outbox)), ['started', 'started', 'status 2'], 'the newest status, after the events that came before it');
});

t.test('hands out what follows the messages on their way, and a released one goes again first', async (t) => {
  const outbox = Outbox.open(t.testdir());
  outbox.addEvent(event('a'));
  const first = outbox.next() as Outgoing;
  outbox.addStatus(status(1));
  const second = outbox.next() as Outgoing;
  t.same(messages([first, second]), ['a', 'status 1']);
  t.equal(outbox.next(), undefined, 'nothing more to hand out');
  outbox.release(first);
  outbox.acknowledge(second);
  t.same(messages(drain(outbox)), ['a']);
});

t.test('a status on its way is not replaced: the newer one follows it', async (t) => {
  const outbox = Outbox.open(t.testdir());
  outbox.addStatus(status(1));
  const first = outbox.next() as Outgoing;
  outbox.addStatus(status(2));
  outbox.addStatus(status(3));
  outbox.acknowledge(first);
  t.same(messages(drain(outbox)), ['status 3']);
});

t.test('when full, drops the oldest entries first and tells how many with the next batch', async (t) => {
  const outbox = Outbox.open(t.testdir(), { limits: { maxEntries: 5, maxBytes: 1024 * 1024 } });
  for (let i = 1; i <= 8; i++) outbox.addEvent(event(`e${i}`));
  t.equal(outbox.length, 5);
  t.equal(outbox.dropped, 3);
  const [batch, ...rest] = drain(outbox);
  t.equal(rest.length, 0);
  t.match(batch, { kind: 'events', batch: { dropped: 3 } });
  t.same(messages([batch as Outgoing]), ['e4', 'e5', 'e6', 'e7', 'e8'], 'the newest five are kept');
  t.equal(outbox.dropped, 0, 'a drop is told once');
});

t.test('the byte bound counts too, whichever is reached first', async (t) => {
  const big = 'x'.repeat(1000);
  const outbox = Outbox.open(t.testdir(), { limits: { maxEntries: 1000, maxBytes: 10_000 } });
  for (let i = 0; i < 20; i++) outbox.addEvent(event(`${i} ${big}`));
  t.ok(outbox.bytes <= 10_000, `${outbox.bytes} bytes kept`);
  t.ok(outbox.length < 10 && outbox.length > 5, `${outbox.length} entries kept`);
  t.equal(outbox.dropped + outbox.length, 20, 'every entry is either kept or counted as dropped');
});

t.test('the default bound is 1,000 entries', async (t) => {
  const outbox = Outbox.open(t.testdir());
  for (let i = 0; i < 1_200; i++) outbox.addEvent(event(`e${i}`));
  t.equal(outbox.length, 1_000);
  t.equal(outbox.dropped, 200);
  t.equal(outbox.entries[0]?.kind === 'event' && outbox.entries[0].event.message, 'e200');
});

t.test('a drop before a status report is told in a batch of its own, ahead of the status', async (t) => {
  const outbox = Outbox.open(t.testdir(), { limits: { maxEntries: 2, maxBytes: 1024 * 1024 } });
  outbox.addEvent(event('a'));
  outbox.addEvent(event('b'));
  outbox.addStatus(status(4));
  const sent = drain(outbox);
  t.same(sent.map((o) => o.kind), ['events', 'status']);
  t.match(sent[0], { kind: 'events', batch: { dropped: 1, events: [{ message: 'b' }] } });
  const dropOnly = Outbox.open(t.testdir(), { limits: { maxEntries: 1, maxBytes: 1024 * 1024 } });
  dropOnly.addEvent(event('a'));
  dropOnly.addStatus(status(5));
  const [first, second] = drain(dropOnly);
  t.match(first, { kind: 'events', batch: { dropped: 1, events: [] } });
  t.match(second, { kind: 'status' });
});

t.test('an entry pushed out while on its way is counted as dropped only if it was not delivered', async (t) => {
  const outbox = Outbox.open(t.testdir(), { limits: { maxEntries: 2, maxBytes: 1024 * 1024 } });
  outbox.addEvent(event('a'));
  const delivered = outbox.next() as Outgoing;
  outbox.addEvent(event('b'));
  outbox.addEvent(event('c'));
  outbox.acknowledge(delivered);
  t.equal(outbox.dropped, 0, 'delivered after all');
  const lost = outbox.next() as Outgoing;
  outbox.addEvent(event('d'));
  outbox.addEvent(event('e'));
  t.equal(lost.ids.length, 2);
  outbox.release(lost);
  t.equal(outbox.dropped, 2, 'not delivered, and no longer kept');
  t.same(messages(drain(outbox)), ['d', 'e']);
});

t.test('a batch holds at most the batch limits', async (t) => {
  const outbox = Outbox.open(t.testdir());
  for (let i = 0; i < BATCH_LIMITS.maxEvents + 20; i++) outbox.addEvent(event(`e${i}`));
  const sent = drain(outbox);
  t.same(sent.map((o) => (o.kind === 'events' ? o.batch.events.length : 0)), [BATCH_LIMITS.maxEvents, 20]);
  const large = Outbox.open(t.testdir());
  for (let i = 0; i < 10; i++) large.addEvent(event('y'.repeat(20_000)));
  for (const o of drain(large)) {
    const bytes = Buffer.byteLength(JSON.stringify(o.kind === 'events' ? o.batch.events : []));
    t.ok(bytes <= BATCH_LIMITS.maxBytes + 1024, `a batch of ${bytes} bytes`);
  }
});

t.test('what was not sent survives a restart of the agent, with its stream, numbering and drops', async (t) => {
  const dir = t.testdir();
  const before = Outbox.open(dir, { limits: { maxEntries: 3, maxBytes: 1024 * 1024 } });
  before.addEvent(event('exited'));
  before.addEvent(event('restarted'));
  before.addStatus(status(7));
  before.addEvent(event('started'));
  t.equal(before.dropped, 1);
  await before.close();
  t.ok(existsSync(join(dir, 'outbox.json')));
  t.notOk(existsSync(join(dir, 'outbox.json.tmp')), 'no temporary file is left behind');

  const after = Outbox.open(dir);
  t.equal(after.stream, before.stream, 'the same stream goes on');
  t.equal(after.dropped, 1, 'the drop not told yet is remembered');
  after.addEvent(event('later'));
  const sent = drain(after);
  t.same(messages(sent), ['restarted', 'status 7', 'started', 'later']);
  t.match(sent[0], { kind: 'events', batch: { dropped: 1 } });
  const sequences = sent.flatMap((o) => (o.kind === 'events' ? o.batch.events.map((e) => e.sequence) : []));
  t.same(sequences, [2, 3, 4], 'numbering goes on from where it was');
});

t.test('an outbox with nothing left starts a new stream after a restart', async (t) => {
  const dir = t.testdir();
  const before = Outbox.open(dir);
  before.addEvent(event('a'));
  drain(before);
  await before.close();
  const after = Outbox.open(dir);
  t.not(after.stream, before.stream);
  after.addEvent(event('b'));
  t.match(after.next(), { batch: { events: [{ sequence: 1 }] } });
});

t.test('an unreadable file is an empty outbox', async (t) => {
  const dir = t.testdir({ 'outbox.json': '{"stream": "abc", "entries": [{"kind": "event"}, 5' });
  const outbox = Outbox.open(dir);
  t.equal(outbox.length, 0);
  t.equal(outbox.next(), undefined);
  const partly = Outbox.open(
    t.testdir({
      'outbox.json': JSON.stringify({ stream: 'abc', nextSequence: 3, dropped: 0, entries: [{ kind: 'event' }, { kind: 'event', event: { ...event('ok'), sequence: 2 } }, 'junk'] }),
    }),
  );
  t.same(messages(drain(partly)), ['ok'], 'entries that make no sense are left out');
});

t.test('a device whose messages all leave at once never writes the file', async (t) => {
  const dir = t.testdir();
  const outbox = Outbox.open(dir, { persistDelayMs: 10 });
  for (let i = 0; i < 3; i++) {
    outbox.addEvent(event(`online ${i}`));
    outbox.addStatus(status(i));
    drain(outbox);
  }
  await delay(50);
  await outbox.close();
  t.notOk(existsSync(join(dir, 'outbox.json')));
});

t.test('writes the file a moment after a change, and not at all when everything left before that', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'outbox.json');
  const outbox = Outbox.open(dir, { persistDelayMs: 30 });
  outbox.addEvent(event('queued'));
  t.notOk(existsSync(file), 'not written at once');
  await delay(80);
  await outbox.flushed();
  t.match(JSON.parse(readFileSync(file, 'utf8')), { entries: [{ kind: 'event', event: { message: 'queued' } }] });
  drain(outbox);
  await delay(80);
  await outbox.flushed();
  t.same(JSON.parse(readFileSync(file, 'utf8')), { entries: [] });
  const written = statSync(file).mtimeMs;
  // Online: each entry leaves before the file is due.
  for (let i = 0; i < 5; i++) {
    outbox.addEvent(event(`online ${i}`));
    drain(outbox);
  }
  await delay(80);
  await outbox.flushed();
  t.equal(statSync(file).mtimeMs, written, 'the file is not written again');
  await outbox.close();
});

t.test('online, an entry goes to disk only once it has waited long for the broker; losing the link writes it soon', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'outbox.json');
  const outbox = Outbox.open(dir, { persistDelayMs: 20, onlinePersistDelayMs: 5_000 });
  outbox.setOnline(true);
  outbox.addEvent(event('waiting for an acknowledgement'));
  await delay(60);
  t.notOk(existsSync(file), 'not yet: online it would have left by now');
  outbox.setOnline(false);
  await delay(60);
  await outbox.flushed();
  t.match(JSON.parse(readFileSync(file, 'utf8')), { entries: [{ event: { message: 'waiting for an acknowledgement' } }] });
  await outbox.close();
});
