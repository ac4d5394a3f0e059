import { pino } from 'pino';
import t from 'tap';
import { podUsageOf, PodStatsReporter } from '../../agent/pod-stats.js';
import { LABEL_CONTAINER, LABEL_DEVICE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, type ContainerStats } from '../../agent/runtime/runtime.js';
import type { PodStatsReportMessage } from '../../shared/proto/codec.js';

const silent = pino({ level: 'silent' });

function container(pod: string, uid: string, name: string, cpuMillis: number, memoryBytes: number, namespace = 'default'): ContainerStats {
  return {
    id: `${uid}-${name}`,
    labels: { [LABEL_DEVICE]: 'cam-1', [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: pod, [LABEL_POD_UID]: uid, [LABEL_CONTAINER]: name },
    cpuMillis,
    memoryBytes,
  };
}

t.test("containers are grouped into their pods by the agent's labels; a container without them is left out", async (t) => {
  const pods = podUsageOf([
    container('web', 'u1', 'main', 120, 4096),
    container('db', 'u2', 'main', 7, 1024, 'plant-3'),
    container('web', 'u1', 'sidecar', 3, 512),
    { id: 'stray', labels: { [LABEL_DEVICE]: 'cam-1' }, cpuMillis: 1, memoryBytes: 1 },
  ]);
  t.same(pods, [
    { namespace: 'default', name: 'web', uid: 'u1', containers: [{ name: 'main', cpuMillis: 120, memoryBytes: 4096 }, { name: 'sidecar', cpuMillis: 3, memoryBytes: 512 }] },
    { namespace: 'plant-3', name: 'db', uid: 'u2', containers: [{ name: 'main', cpuMillis: 7, memoryBytes: 1024 }] },
  ]);
});

function reporter(options: { sample: () => Promise<ContainerStats[]>; connected?: () => boolean }) {
  const sent: PodStatsReportMessage[] = [];
  const stats = new PodStatsReporter({
    sample: options.sample,
    publish: async (report) => void sent.push(report),
    connected: options.connected ?? (() => true),
    intervalSeconds: 30,
    log: silent,
  });
  return { stats, sent };
}

t.test('a report carries the pods and the interval its CPU figures are averaged over', async (t) => {
  const { stats, sent } = reporter({ sample: async () => [container('web', 'u1', 'main', 12, 34)] });
  await stats.report();
  t.equal(sent.length, 1);
  t.equal(sent[0]?.intervalSeconds, 30);
  t.equal(sent[0]?.pods[0]?.name, 'web');
});

t.test('nothing is sampled or sent while the link is down', async (t) => {
  let sampled = 0;
  const { stats, sent } = reporter({ sample: async () => (sampled++, []), connected: () => false });
  await stats.report();
  t.equal(sampled, 0);
  t.same(sent, []);
});

t.test('a device that stops running pods says so once, then stays quiet', async (t) => {
  let running = [container('web', 'u1', 'main', 12, 34)];
  const { stats, sent } = reporter({ sample: async () => running });
  await stats.report();
  running = [];
  await stats.report();
  await stats.report();
  t.same(sent.map((report) => report.pods.length), [1, 0]);
});

t.test('a slow engine never has two samples under way', async (t) => {
  let release = (): void => undefined;
  let sampled = 0;
  const { stats, sent } = reporter({
    sample: () => {
      sampled++;
      return new Promise((resolve) => (release = () => resolve([container('web', 'u1', 'main', 1, 1)])));
    },
  });
  const first = stats.report();
  await stats.report();
  t.equal(sampled, 1, 'the second report waits for nothing and samples nothing');
  release();
  await first;
  t.equal(sent.length, 1);
});

t.test('an engine that fails a sample costs one report, not the reporter', async (t) => {
  let fail = true;
  const { stats, sent } = reporter({ sample: async () => (fail ? Promise.reject(new Error('engine away')) : [container('web', 'u1', 'main', 1, 1)]) });
  await stats.report();
  fail = false;
  await stats.report();
  t.equal(sent.length, 1);
});
