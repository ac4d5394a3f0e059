import t from 'tap';
import { HubMetrics, type MetricsSources } from '../../../hub/api/metrics.js';
import type { FleetRollout } from '../../../shared/fleet.js';

const rollout: FleetRollout = { kind: 'Deployment', namespace: 'shop', name: 'web', revision: 2, phase: 'Progressing', wave: 2, waves: 4, target: 8, updated: 4, ready: 3, failed: 1, pending: 0 };

function sources(overrides: Partial<MetricsSources> = {}): MetricsSources {
  return {
    devicesByState: () => ({ Ready: 3, NotReady: 1, Offline: 0 }),
    podsByPhase: () => ({ Pending: 1, Running: 5, Succeeded: 0, Failed: 0, Unknown: 0 }),
    rollouts: () => [rollout],
    ...overrides,
  };
}

/** The value of one sample line, `name{labels} value`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('devices by state and pods by phase are read from the hub when scraped', async (t) => {
  let ready = 3;
  const metrics = new HubMetrics(sources({ devicesByState: () => ({ Ready: ready, NotReady: 1, Offline: 0 }) }), { processMetrics: false });
  const first = await metrics.text();
  t.equal(sample(first, 'flotilla_devices{state="Ready"}'), 3);
  t.equal(sample(first, 'flotilla_devices{state="Offline"}'), 0, 'every state is there, zero or not');
  t.equal(sample(first, 'flotilla_pods{phase="Running"}'), 5);
  ready = 4;
  t.equal(sample(await metrics.text(), 'flotilla_devices{state="Ready"}'), 4, 'the next scrape has the new count');
  t.match(first, /# TYPE flotilla_devices gauge/);
});

t.test('heartbeats are counted, and scheduling and desired-state latencies are histograms in seconds', async (t) => {
  const metrics = new HubMetrics(sources(), { processMetrics: false });
  metrics.heartbeat();
  metrics.heartbeat();
  metrics.scheduled(0.02);
  metrics.scheduled(3);
  metrics.scheduled(Number.NaN);
  metrics.desiredPublished(0.004);
  const text = await metrics.text();
  t.equal(sample(text, 'flotilla_heartbeats_total'), 2);
  t.match(text, /# TYPE flotilla_heartbeats_total counter/);
  t.equal(sample(text, 'flotilla_scheduling_latency_seconds_count'), 2, 'a latency that is not a number is not observed');
  t.equal(sample(text, 'flotilla_scheduling_latency_seconds_bucket{le="0.025"}'), 1);
  t.equal(sample(text, 'flotilla_scheduling_latency_seconds_bucket{le="5"}'), 2);
  t.equal(sample(text, 'flotilla_desired_state_publish_latency_seconds_count'), 1);
  t.equal(sample(text, 'flotilla_desired_state_publish_latency_seconds_bucket{le="0.005"}'), 1);
});

t.test("rollout progress is a gauge per workload, and a workload's series go when it does", async (t) => {
  let rollouts: FleetRollout[] = [rollout];
  const metrics = new HubMetrics(sources({ rollouts: () => rollouts }), { processMetrics: false });
  const text = await metrics.text();
  const labels = 'kind="Deployment",namespace="shop",name="web"';
  t.equal(sample(text, `flotilla_rollout_pods{${labels},status="target"}`), 8);
  t.equal(sample(text, `flotilla_rollout_pods{${labels},status="ready"}`), 3);
  t.equal(sample(text, `flotilla_rollout_pods{${labels},status="failed"}`), 1);
  t.equal(sample(text, `flotilla_rollout_wave{${labels}}`), 2);
  t.equal(sample(text, `flotilla_rollout_waves{${labels}}`), 4);
  t.equal(sample(text, `flotilla_rollout_phase{${labels},phase="Progressing"}`), 1);
  t.equal(sample(text, `flotilla_rollout_phase{${labels},phase="Complete"}`), 0);
  rollouts = [];
  t.notMatch(await metrics.text(), /name="web"/);
});

t.test('broker connections are counted by who is connected, only with an embedded broker', async (t) => {
  const embedded = new HubMetrics(sources({ brokerConnections: () => ({ device: 7, watcher: 1, hub: 1, open: 0 }) }), { processMetrics: false });
  const text = await embedded.text();
  t.equal(sample(text, 'flotilla_broker_connections{client="device"}'), 7);
  t.equal(sample(text, 'flotilla_broker_connections{client="watcher"}'), 1);
  const external = new HubMetrics(sources(), { processMetrics: false });
  t.notMatch(await external.text(), /flotilla_broker_connections/);
});

t.test("the process's own figures come too unless turned off, and two hubs' registries are apart", async (t) => {
  const a = new HubMetrics(sources());
  const b = new HubMetrics(sources());
  a.heartbeat();
  t.match(await a.text(), /process_resident_memory_bytes/);
  t.equal(sample(await b.text(), 'flotilla_heartbeats_total'), 0);
  t.match(a.contentType, /^text\/plain/);
});
