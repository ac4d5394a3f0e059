/**
 * Scheduler throughput: how many pods per second the hub binds when a burst of pending pods
 * with selectors meets a large fleet. Runs in-process on the hub's real path: a LevelDB store,
 * the SchedulingController's reconcile, and a store write per binding. Beside it, the pure
 * scheduling rate (the plugins and the snapshot only, no store) shows what the writes cost.
 *
 * A second, pure run schedules a workload that uses every placement feature against the same
 * fleet with a tenth of its devices tainted: pods that ask for an architecture, some that
 * tolerate the taint, a limit of pods per device, and the scheduler spreading by site
 * (label-spread) on top of the default plugins.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import type { Device, Labels, Pod } from '../../shared/objects.js';
import { SchedulingController } from '../../hub/controllers/scheduling/index.js';
import type { EventSink } from '../../hub/controllers/events.js';
import { MAX_PODS_PER_DEVICE_ANNOTATION } from '../../hub/scheduler/plugins/pods-per-device/index.js';
import { assume, createScheduler, snapshotFleet, type SchedulerConfig } from '../../hub/scheduler/schedule.js';
import { openStore, type Store } from '../../hub/store/index.js';
import { atLeast, round, type BenchContext, type Benchmark, type Figure } from './framework.js';

const BENCHMARK = 'scheduler';
const GOAL_PODS_PER_SECOND = 5_000;

const SITES = 20;
const ROLES = ['camera', 'sensor', 'gateway'] as const;
/** Replica sets the pods belong to, so the spread score has owners to spread. */
const OWNERS = 50;
/** Store writes in flight while filling the store; the store runs them one at a time anyway. */
const FILL_BATCH = 500;
/** In the placement run: every TAINTED_EVERY-th device is tainted, every TOLERATING_EVERY-th pod tolerates it. */
const TAINTED_EVERY = 10;
const TOLERATING_EVERY = 10;
const GPU_TAINT = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' } as const;

/** The hub's settings for the placement run: the defaults, plus spreading by site. */
const PLACEMENT_SETTINGS: SchedulerConfig = {
  scores: [
    { name: 'least-allocated', weight: 1 },
    { name: 'spread', weight: 1 },
    { name: 'label-spread', weight: 2 },
  ],
  pluginArgs: { 'label-spread': { topologyKey: 'site' }, 'pods-per-device': { defaultMaxPerDevice: 4 } },
};

interface Scale {
  devices: number;
  pods: number;
}

export const schedulerThroughput: Benchmark = {
  name: BENCHMARK,
  async run(ctx: BenchContext): Promise<Figure[]> {
    const scale: Scale = ctx.quick ? { devices: 1_000, pods: 1_000 } : { devices: 10_000, pods: 10_000 };
    const devices = Array.from({ length: scale.devices }, (_, i) => fleetDevice(i, scale.devices));
    const pods = Array.from({ length: scale.pods }, (_, i) => pendingPod(i, scale.pods));

    const pure = pureSchedulingRate(devices, pods);
    ctx.log(`pure scheduling: ${pure.bound} of ${pods.length} pods in ${round(pure.seconds, 3)} s`);

    const taintedFleet = devices.map((device, i) => (i % TAINTED_EVERY === 0 ? { ...device, spec: { taints: [GPU_TAINT] } } : device));
    const placementPods = pods.map((pod, i) => placementPod(pod, i));
    const placement = pureSchedulingRate(taintedFleet, placementPods, PLACEMENT_SETTINGS);
    ctx.log(`pure scheduling, every placement plugin: ${placement.bound} of ${pods.length} pods in ${round(placement.seconds, 3)} s`);

    const endToEnd = await reconcileRate(ctx, devices, pods);
    ctx.log(`reconcile: ${endToEnd.bound} of ${pods.length} pods bound in ${round(endToEnd.seconds, 3)} s`);

    const what = `${scale.pods.toLocaleString('en')} pods onto ${scale.devices.toLocaleString('en')} devices`;
    const endToEndRate = endToEnd.bound / endToEnd.seconds;
    const unbound = pods.length - endToEnd.bound;
    return [
      {
        benchmark: BENCHMARK,
        name: 'pods bound/s, reconcile with store writes',
        value: round(endToEndRate, 0),
        unit: 'pods/s',
        goal: `≥ ${GOAL_PODS_PER_SECOND.toLocaleString('en')} pods/s`,
        met: atLeast(endToEndRate, GOAL_PODS_PER_SECOND),
        reference: `pure scheduling ${Math.round(pure.bound / pure.seconds).toLocaleString('en')} pods/s`,
        note: `${what} with selectors, LevelDB store, one write per binding, events not recorded` + (unbound > 0 ? `; ${unbound} left unbound` : ''),
      },
      {
        benchmark: BENCHMARK,
        name: 'pods scheduled/s, plugins and snapshot only',
        value: round(pure.bound / pure.seconds, 0),
        unit: 'pods/s',
        note: `${what}: createScheduler + snapshotFleet + assume, no store`,
      },
      {
        benchmark: BENCHMARK,
        name: 'scheduling decision per pod, default plugins',
        value: round((pure.seconds * 1000) / pods.length, 3),
        unit: 'ms',
        note: `${what}: the pure run above, per pod`,
      },
      {
        benchmark: BENCHMARK,
        name: 'scheduling decision per pod, every placement plugin',
        value: round((placement.seconds * 1000) / pods.length, 3),
        unit: 'ms',
        note:
          `${what}, 1 in ${TAINTED_EVERY} devices tainted; pods asking for an arch, 1 in ${TOLERATING_EVERY} tolerating the taint, ` +
          `at most 4 per device; label-spread by site weighted 2` +
          (placement.bound < pods.length ? `; ${pods.length - placement.bound} left unbound` : ''),
      },
      {
        benchmark: BENCHMARK,
        name: 'time to bind every pod',
        value: round(endToEnd.seconds, 3),
        unit: 's',
        note: 'one reconcile of the pending key: list, snapshot, schedule and write each pod',
      },
    ];
  },
};

/** Schedules every pod against one snapshot, counting each binding as the controller does. */
function pureSchedulingRate(devices: readonly Device[], pods: readonly Pod[], config: SchedulerConfig = {}): { bound: number; seconds: number } {
  const scheduler = createScheduler(config);
  const started = performance.now();
  const fleet = snapshotFleet(devices, []);
  let bound = 0;
  for (const pod of pods) {
    const result = scheduler.schedule(pod, fleet);
    if (!result.bound) continue;
    assume(fleet, pod, result.device);
    bound++;
  }
  return { bound, seconds: (performance.now() - started) / 1000 };
}

/** One reconcile of every pending pod on a real store; filling the store is not timed. */
async function reconcileRate(ctx: BenchContext, devices: readonly Device[], pods: readonly Pod[]): Promise<{ bound: number; seconds: number }> {
  const store = await openStore(undefined, { dataDir: join(ctx.workDir, 'store') });
  try {
    const filling = performance.now();
    await createAll(store, devices);
    await createAll(store, pods);
    ctx.log(`store filled with ${devices.length} devices and ${pods.length} pods in ${round((performance.now() - filling) / 1000, 1)} s`);

    const controller = new SchedulingController({ store, events: discardEvents, log: pino({ level: 'silent' }) });
    const started = performance.now();
    await controller.reconcile();
    const seconds = (performance.now() - started) / 1000;

    const { items } = await store.list('Pod');
    const bound = items.filter((pod) => pod.spec.nodeName !== undefined).length;
    return { bound, seconds };
  } finally {
    await store.close();
  }
}

async function createAll(store: Store, objects: readonly (Device | Pod)[]): Promise<void> {
  for (let i = 0; i < objects.length; i += FILL_BATCH) {
    await Promise.all(objects.slice(i, i + FILL_BATCH).map((object) => store.create(object)));
  }
}

const discardEvents: EventSink = { record: () => undefined };

function pad(i: number, count: number): string {
  return String(i).padStart(String(count - 1).length, '0');
}

/** Devices as enrolled agents leave them: Ready, a capacity, their platform, a site and a role. */
function fleetDevice(i: number, count: number): Device {
  const arch = i % 4 === 0 ? 'amd64' : 'arm64';
  const name = `device-${pad(i, count)}`;
  const labels: Labels = { site: `site-${i % SITES}`, role: ROLES[i % ROLES.length] as string, arch };
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name, labels },
    status: {
      state: 'Ready',
      capacity: { cpu: '4', memory: '4Gi', pods: 110 },
      info: { arch, os: 'linux', kernel: '6.1.0', hostname: name, runtime: 'podman', runtimeVersion: '4.3.1', agentVersion: '0.1.0' },
    },
  };
}

/**
 * A pending pod of the default run with every placement feature used: all ask for Linux, and
 * those pinned to a site for the architecture its devices have (through the Kubernetes label;
 * every fourth site is amd64, see fleetDevice); one in ten tolerates the taint.
 */
function placementPod(pod: Pod, i: number): Pod {
  const site = pod.spec.nodeSelector?.['site'];
  const arch = site === undefined ? undefined : Number(site.slice('site-'.length)) % 4 === 0 ? 'amd64' : 'arm64';
  const platform: Labels = arch === undefined ? { 'kubernetes.io/os': 'linux' } : { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch };
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations: { [MAX_PODS_PER_DEVICE_ANNOTATION]: '4' } },
    spec: {
      ...pod.spec,
      nodeSelector: { ...pod.spec.nodeSelector, ...platform },
      ...(i % TOLERATING_EVERY === 0 ? { tolerations: [{ key: GPU_TAINT.key, operator: 'Exists' as const }] } : {}),
    },
  };
}

/**
 * Pending pods with selectors: every pod wants a camera or a sensor; two in three also pin a
 * site with nodeSelector. They belong to a few replica sets, so spreading has work to do.
 */
function pendingPod(i: number, count: number): Pod {
  const owner = i % OWNERS;
  const nodeSelector: Labels | undefined = i % 3 === 2 ? undefined : { site: `site-${i % SITES}` };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pod-${pad(i, count)}`,
      namespace: 'default',
      labels: { app: `app-${owner}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `app-${owner}`, uid: `owner-${owner}`, controller: true }],
    },
    spec: {
      deviceSelector: 'role in (camera,sensor)',
      ...(nodeSelector === undefined ? {} : { nodeSelector }),
      containers: [
        {
          name: 'main',
          image: 'localhost/busybox:test',
          command: ['sleep', '3600'],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
        },
      ],
    },
    status: { phase: 'Pending' },
  };
}
