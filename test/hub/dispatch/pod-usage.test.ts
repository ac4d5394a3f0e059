import { pino } from 'pino';
import t from 'tap';
import { Ingest, type DeviceLifecycle } from '../../../hub/dispatch/ingest.js';
import { PodUsageBook, STALE_AFTER_INTERVALS } from '../../../hub/dispatch/pod-usage.js';
import type { Store } from '../../../hub/store/store.js';
import type { Pod } from '../../../shared/objects.js';
import { encode, type PodStatsReportMessage } from '../../../shared/proto/codec.js';
import { Topics } from '../../../shared/topics.js';

function pod(name: string, uid: string, nodeName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...(nodeName === undefined ? {} : { nodeName }) },
  };
}

function report(...pods: [string, string, number, number][]): PodStatsReportMessage {
  return {
    pods: pods.map(([name, uid, cpuMillis, memoryBytes]) => ({ namespace: 'default', name, uid, containers: [{ name: 'main', cpuMillis, memoryBytes }] })),
    intervalSeconds: 30,
    sampledAtMs: 0,
  };
}

t.test("a pod's figures are its device's last report of that very pod", async (t) => {
  let now = 1_000_000;
  const book = new PodUsageBook(() => now);
  book.record('cam-1', report(['web', 'u1', 120, 4096]));
  t.same(book.of(pod('web', 'u1', 'cam-1')), { containers: [{ name: 'main', cpuMillis: 120, memoryBytes: 4096 }], receivedAtMs: now, windowSeconds: 30 });
  t.equal(book.of(pod('web', 'u0', 'cam-1')), undefined, 'an earlier pod of the same name');
  t.equal(book.of(pod('web', 'u1', 'cam-2')), undefined, 'a pod bound elsewhere');
  t.equal(book.of(pod('web', 'u1')), undefined, 'a pod bound nowhere');

  book.record('cam-1', report(['db', 'u2', 7, 1024]));
  t.equal(book.of(pod('web', 'u1', 'cam-1')), undefined, 'the next report no longer lists it: it stopped');
  now += STALE_AFTER_INTERVALS * 30_000 + 1;
  t.equal(book.of(pod('db', 'u2', 'cam-1')), undefined, 'a device silent for three intervals has no current figures');
});

t.test('pod stats from a device reach the book through ingest, and count as contact', async (t) => {
  const topics = new Topics();
  const contacts: string[] = [];
  const lifecycle: DeviceLifecycle = {
    onBirth: () => undefined,
    onDeath: () => true,
    onHeartbeat: () => undefined,
    onContact: (device) => void contacts.push(device),
    onStatusReport: () => undefined,
  };
  const book = new PodUsageBook();
  const ingest = new Ingest({ topics, store: {} as Store, lifecycle, log: pino({ level: 'silent' }), onPodStats: (device, stats) => book.record(device, stats) });
  ingest.handle(topics.device('cam-1', 'podstats'), Buffer.from(encode('PodStatsReport', report(['web', 'u1', 12, 34]))));
  t.equal(book.of(pod('web', 'u1', 'cam-1'))?.containers[0]?.cpuMillis, 12);
  t.same(contacts, ['cam-1']);
  ingest.handle(topics.device('cam-1', 'podstats'), Buffer.from([0xff, 0xff, 0xff]));
  t.equal(ingest.counters.dropped, 1, 'a broken report is dropped and counted');
});
