/**
 * Staged rollouts at the scale of a fleet: 240 hollow devices over six sites of 40, in this
 * process, against a hub whose scheduler spreads replicas across sites. What a user sees
 * through the API (status.rollout, pods, events) when a Deployment spreads, when a DaemonSet
 * rolls out in waves while some of its devices are Offline, and when a bad image trips the
 * failure threshold and the rollout goes back by itself.
 *
 * The fleet is two simulators: 234 devices that stay up, and 6 (all in sites 1 to 3) that the
 * second test stops and starts again, as a site's power cut would. Names run on from one to
 * the other (hollow-0001 … hollow-0240), so together they read as one fleet.
 */
import { pino } from 'pino';
import t from 'tap';
import { defaultHubOptions } from '../../hub/config.js';
import { startHub } from '../../hub/main.js';
import type { SchedulerConfig } from '../../hub/scheduler/config.js';
import { adminAccess, call } from '../../scripts/bench/hub-access.js';
import { startFleet, type Fleet, type FleetOptions } from '../../scripts/fleet-simulator.js';
import type { ControllerRevision, DaemonSet, DaemonSetUpdateStrategy, Deployment, Device, FlotillaEvent, Pod } from '../../shared/objects.js';
import { tempDir, waitFor } from '../helpers/fleet.js';

const SITES = ['site-1', 'site-2', 'site-3', 'site-4', 'site-5', 'site-6'];
const DEVICES = 240;
const PER_SITE = DEVICES / SITES.length;
/** Devices the second test takes away; they live in the sites its DaemonSet runs on. */
const LEAVING = 6;
const LEAVING_SITES = SITES.slice(0, 3);
const STAYING_SITES = SITES.slice(3);
/** The hollow engine fails every pull of these images, as a registry without the tag would. */
const BROKEN_IMAGE = /:[\w.]+-broken$/;
const ROLLED_BACK_FROM_ANNOTATION = 'flotilla.io/rolled-back-from';

/** As hub/scheduler/README.md's example: spreading across sites counts twice as much as the rest. */
const SPREAD_BY_SITE: SchedulerConfig = {
  scores: [
    { name: 'least-allocated', weight: 1 },
    { name: 'spread', weight: 1 },
    { name: 'label-spread', weight: 2 },
  ],
  pluginArgs: { 'label-spread': { topologyKey: 'site' } },
};

interface List<T> {
  items: T[];
}

const began = performance.now();
const hub = await startHub({
  ...defaultHubOptions,
  dataDir: await tempDir(t, 'rollout-fleet-hub'),
  httpHost: '127.0.0.1',
  httpPort: 0,
  mqttHost: '127.0.0.1',
  mqttPort: 0,
  mqttTlsPort: 0,
  plainMqtt: true,
  // Three missed heartbeats make a device NotReady, four Offline: a stopped device is Offline in seconds.
  notReadyAfterSeconds: 6,
  offlineAfterSeconds: 8,
  logLevel: 'silent',
  scheduler: SPREAD_BY_SITE,
});
t.teardown(() => hub.stop());
const access = adminAccess(hub.adminConfig);

async function get<T>(path: string): Promise<T> {
  const answer = await call<T>(access, 'GET', path);
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function apply(object: unknown): Promise<void> {
  const answer = await call(access, 'POST', '/api/v1/apply', { items: [object] });
  if (answer.status !== 200) throw new Error(`apply: ${answer.status} ${JSON.stringify(answer.body)}`);
}

const stateDir = await tempDir(t, 'rollout-fleet-devices');
const fleetOptions: Omit<FleetOptions, 'devices' | 'labels'> = {
  hubUrl: hub.mqttUrl,
  stateDir,
  heartbeatSeconds: 2,
  startDelayMs: 50,
  startJitterMs: 100,
  failImages: BROKEN_IMAGE,
  seed: 7,
  connectRatePerSecond: 200,
  log: pino({ level: 'silent' }),
};
// Sites 1 to 3 lend two devices each to the leaving fleet, so every site has 40 in all.
const staying = await startFleet({
  ...fleetOptions,
  devices: DEVICES - LEAVING,
  labels: `site=${LEAVING_SITES.map((s) => `${s}:${PER_SITE - LEAVING / LEAVING_SITES.length}`).join(',')},${STAYING_SITES.map((s) => `${s}:${PER_SITE}`).join(',')}`,
});
t.teardown(() => staying.stop());
const leavingOptions: FleetOptions = { ...fleetOptions, devices: LEAVING, firstIndex: DEVICES - LEAVING + 1, labels: `site=${LEAVING_SITES.join(',')}` };
let leaving: Fleet = await startFleet(leavingOptions);
t.teardown(() => leaving.stop());

const siteOf = new Map([...staying.devices, ...leaving.devices].map((d) => [d.name, d.labels['site'] ?? '']));
const devicesIn = (sites: readonly string[]) => new Set([...siteOf].filter(([, site]) => sites.includes(site)).map(([name]) => name));
const devicesReady = async () => (await get<List<Device>>('/api/v1/devices')).items.filter((d) => d.status?.state === 'Ready').length;
await waitFor(`${DEVICES} devices Ready`, async () => (await devicesReady()) === DEVICES, 120_000, 500);
t.comment(`${DEVICES} hollow devices Ready after ${seconds(performance.now() - began)}`);

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function podCount(count: number): string {
  return `${count} pod${count === 1 ? '' : 's'}`;
}

function bySite(pods: readonly Pod[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(SITES.map((site) => [site, 0]));
  for (const pod of pods) {
    const site = siteOf.get(pod.spec.nodeName ?? '') ?? 'unbound';
    counts[site] = (counts[site] ?? 0) + 1;
  }
  return counts;
}

function daemonSet(name: string, sites: readonly string[], image: string, updateStrategy?: DaemonSetUpdateStrategy): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      minReadySeconds: 1,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          deviceSelector: `site in (${sites.join(',')})`,
          containers: [{ name: 'main', image, resources: { requests: { cpu: '100m', memory: '32Mi' } } }],
        },
      },
      ...(updateStrategy === undefined ? {} : { updateStrategy }),
    },
  };
}

/** What a user polls while a DaemonSet rolls out. */
function daemonSetView(name: string) {
  return {
    pods: async () => (await get<List<Pod>>(`/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`)).items,
    get: () => get<DaemonSet>(`/api/v1/namespaces/default/daemonsets/${name}`),
    events: async () => (await get<List<FlotillaEvent>>(`/api/v1/namespaces/default/events?involvedKind=DaemonSet&involvedName=${name}`)).items,
  };
}

const imageOf = (pod: Pod) => pod.spec.containers[0]?.image;
const isRunning = (pod: Pod) => pod.status?.phase === 'Running';

/** Waits for the DaemonSet's only template to run, Running and available, on every one of `devices`. */
async function settled(name: string, devices: ReadonlySet<string>, image: string): Promise<void> {
  const view = daemonSetView(name);
  await waitFor(`${name} running ${image} on its ${devices.size} devices`, async () => {
    const status = (await view.get()).status;
    if (status?.rollout?.phase !== 'Complete' || status.numberAvailable !== devices.size) return false;
    const pods = await view.pods();
    return pods.length === devices.size && pods.every((p) => imageOf(p) === image && isRunning(p) && devices.has(p.spec.nodeName ?? ''));
  }, 60_000, 250);
}

t.test('a Deployment of 24 replicas over six sites of 40 devices puts 4 pods in every site when the scheduler spreads by site', async (t) => {
  const name = 'site-spread';
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 24,
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'registry.example/uplink:1.0', resources: { requests: { cpu: '100m', memory: '32Mi' } } }] },
      },
    },
  };
  await apply(deployment);
  const pods = await waitFor('24 pods Running', async () => {
    const all = (await get<List<Pod>>(`/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`)).items;
    return all.length === 24 && all.every(isRunning) && all;
  }, 60_000, 250);
  t.same(bySite(pods), Object.fromEntries(SITES.map((site) => [site, 4])), 'every site runs 4 of the 24');
  t.equal(new Set(pods.map((p) => p.spec.nodeName)).size, 24, 'and no device runs two');

  const deleted = await call(access, 'DELETE', `/api/v1/namespaces/default/deployments/${name}`);
  t.equal(deleted.status, 200, 'the Deployment is deleted');
  await waitFor('its pods gone', async () => (await get<List<Pod>>(`/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`)).items.length === 0, 60_000, 250);
});

t.test('a DaemonSet on 120 devices rolls out wave by wave, never past a wave’s size, completes with its 6 Offline devices pending, and updates them when they return', async (t) => {
  const name = 'site-gateway';
  const view = daemonSetView(name);
  const devices = devicesIn(LEAVING_SITES);
  const away = new Set(leaving.names);
  t.equal(devices.size, 120, 'three sites of 40');
  t.ok([...away].every((d) => devices.has(d)), 'the devices that will leave are among them');

  await apply(daemonSet(name, LEAVING_SITES, 'registry.example/gateway:1.0'));
  await settled(name, devices, 'registry.example/gateway:1.0');

  const stoppedAt = performance.now();
  await leaving.stop();
  await waitFor(`the ${LEAVING} stopped devices Offline`, async () => {
    const all = (await get<List<Device>>('/api/v1/devices')).items;
    return all.filter((d) => away.has(d.metadata.name) && d.status?.state === 'Offline').length === LEAVING;
  }, 30_000, 250);
  // The rollout below must start from a DaemonSet that already knows they are away.
  await waitFor('the DaemonSet to count their pods as pending', async () => (await view.get()).status?.rollout?.pending === LEAVING, 30_000, 250);
  t.comment(`${LEAVING} devices Offline ${seconds(performance.now() - stoppedAt)} after they stopped`);

  const waves = [{ size: 1 }, { size: '10%' }, { size: '50%' }, { size: '100%' }];
  const sizes = [1, 12, 60, 120];
  const next = 'registry.example/gateway:1.1';
  await apply(daemonSet(name, LEAVING_SITES, next, { rollingUpdate: { maxUnavailable: '25%' }, waves }));
  const appliedAt = Date.now();

  /** When each wave started, from the status (the hub's clock), and every pod of the new template with its creation time. */
  const waveStarts = new Map<number, number>();
  const created = new Map<string, number>();
  const noteNewPods = (pods: readonly Pod[]) => {
    for (const pod of pods) if (imageOf(pod) === next) created.set(pod.metadata.name, Date.parse(pod.metadata.creationTimestamp ?? ''));
  };
  const countedOverCap: string[] = [];
  let completedAt = 0;
  const done = await waitFor('the rollout Complete', async () => {
    const daemon = await view.get();
    noteNewPods(await view.pods());
    const rollout = daemon.status?.rollout;
    if (rollout?.revision !== 2) return false;
    if (rollout.phase === 'Complete') {
      completedAt = Date.now();
      return daemon;
    }
    if (!waveStarts.has(rollout.wave)) waveStarts.set(rollout.wave, Date.parse(rollout.waveStartedAt ?? ''));
    // One status is one pass: its count of updated pods and its wave go together.
    const counted = daemon.status?.updatedNumberScheduled ?? 0;
    const size = sizes[rollout.wave - 1] ?? 0;
    if (counted > size) countedOverCap.push(`wave ${rollout.wave} (size ${size}) counted ${counted}`);
    return false;
  }, 90_000, 100);
  noteNewPods(await view.pods());

  t.same([...waveStarts.keys()], [1, 2, 3, 4], 'every wave was seen in progress, in order');
  t.same(countedOverCap, [], "the status never counted more pods of the new template than its wave's size");
  // The status is written after a pass has made its pods, so a poll can see a wave's pods under
  // the previous wave's status; their creation times cannot mislead: a pass of wave k+1 starts
  // it, and passes of one DaemonSet run one at a time, so every pod made before wave k+1
  // started was made while wave k or an earlier one ran.
  for (const wave of [1, 2, 3, 4]) {
    const until = waveStarts.get(wave + 1) ?? Infinity;
    const made = [...created.values()].filter((at) => at < until).length;
    // The last wave's size is every device, less those away.
    const size = wave === 4 ? devices.size - LEAVING : (sizes[wave - 1] ?? 0);
    t.equal(made, size, wave === 4 ? `the last wave brought the ${size} online devices to the new template` : `${podCount(made)} of the new template made before wave ${wave + 1} started: wave ${wave}'s size, no more`);
  }
  const starts = [1, 2, 3, 4].map((wave) => waveStarts.get(wave) ?? appliedAt);
  const figures = starts.map((at, i) => `wave ${i + 1} (up to ${sizes[i]}) ${seconds((starts[i + 1] ?? completedAt) - at)}`);
  t.comment(`120-device DaemonSet, ${LEAVING} Offline: ${figures.join(', ')}; applied to Complete ${seconds(completedAt - appliedAt)}`);

  const rollout = done.status?.rollout;
  t.equal(rollout?.pending, LEAVING, `the rollout reports the ${LEAVING} Offline devices as pending`);
  t.equal(rollout?.updated, devices.size - LEAVING, 'and updated every other device');
  t.match(rollout?.message ?? '', new RegExp(`${LEAVING} pods wait for Offline devices \\((.+), (.+), (.+) and ${LEAVING - 3} more\\) and update when they return`), 'its message says what it waits for');
  const named = /\((.+?) and \d+ more\)/.exec(rollout?.message ?? '')?.[1]?.split(', ') ?? [];
  t.ok(named.length === 3 && named.every((name) => away.has(name)), `the devices it names are Offline ones: ${named.join(', ')}`);
  const pods = await view.pods();
  const stillOld = pods.filter((p) => imageOf(p) !== next);
  t.same(new Set(stillOld.map((p) => p.spec.nodeName)), away, 'the pods of the old template are those on the Offline devices');
  t.ok(
    pods.filter((p) => imageOf(p) === next).every((p) => isRunning(p) && !away.has(p.spec.nodeName ?? '')),
    'every pod of the new template is Running on a device that is online',
  );
  // Events are written a moment after what they tell of.
  const events = await waitFor('the RolloutComplete event', async () => {
    const all = await view.events();
    return all.some((e) => e.reason === 'RolloutComplete' && e.message.startsWith('revision 2 ')) && all;
  }, 10_000, 250);
  const reasons = events.map((e) => `${e.reason}: ${e.message}`);
  for (const wave of [1, 2, 3, 4]) t.ok(reasons.some((r) => r.startsWith(`WaveStarted: revision 2: wave ${wave} of 4 started`)), `a WaveStarted event for wave ${wave}`);
  t.match(
    events.find((e) => e.reason === 'RolloutComplete' && e.message.startsWith('revision 2 '))?.message,
    new RegExp(`^revision 2 rolled out: ${devices.size - LEAVING} of ${devices.size} pods available; ${LEAVING} pods wait for Offline devices`),
    'a RolloutComplete event counting the devices away',
  );

  const returnedAt = performance.now();
  leaving = await startFleet(leavingOptions);
  await waitFor('the returning devices to run the new template', async () => {
    const status = (await view.get()).status;
    if (status?.rollout?.pending !== 0 || status.updatedNumberScheduled !== devices.size || status.numberAvailable !== devices.size) return false;
    const all = await view.pods();
    return all.length === devices.size && all.every((p) => imageOf(p) === next && isRunning(p));
  }, 60_000, 250);
  t.comment(`the ${LEAVING} returning devices updated ${seconds(performance.now() - returnedAt)} after they started again`);
  const after = await view.get();
  t.equal(after.status?.rollout?.phase, 'Complete', 'the rollout stays Complete');
  t.notOk(after.status?.rollout?.message, 'with nothing left waiting');
  const final = await view.pods();
  t.same(new Set(final.map((p) => p.spec.nodeName)), devices, 'one pod on every device of the three sites, the returned ones included');
});

t.test('a bad image across 120 devices fails in its first wave, rolls back by itself, and never reaches more devices than that wave', async (t) => {
  const name = 'site-meter';
  const view = daemonSetView(name);
  const devices = devicesIn(STAYING_SITES);
  t.equal(devices.size, 120, 'three sites of 40');
  const good = 'registry.example/meter:1.0';
  const bad = 'registry.example/meter:2.0-broken';
  t.ok(BROKEN_IMAGE.test(bad) && !BROKEN_IMAGE.test(good), 'the fleet fails pulls of the bad image only');

  await apply(daemonSet(name, STAYING_SITES, good));
  await settled(name, devices, good);

  const waves = [{ size: 1 }, { size: '10%' }, { size: '100%' }];
  const sizes = [1, 12, 120];
  await apply(daemonSet(name, STAYING_SITES, bad, { rollingUpdate: { maxUnavailable: '25%' }, waves, failureThreshold: '10%', rollbackOnFailure: true }));
  const appliedAt = performance.now();

  /** Every device seen with a pod of the bad image, and the most at once. */
  const reached = new Set<string>();
  let mostAtOnce = 0;
  let rolledBackAt = 0;
  const rolledBack = await waitFor('the rollout RolledBack and the good image back on every device', async () => {
    const pods = await view.pods();
    const badPods = pods.filter((p) => imageOf(p) === bad);
    for (const pod of badPods) reached.add(pod.spec.nodeName ?? '');
    mostAtOnce = Math.max(mostAtOnce, badPods.length);
    const daemon = await view.get();
    if (daemon.status?.rollout?.phase !== 'RolledBack') return false;
    rolledBackAt ||= performance.now();
    const settledPods = pods.length === devices.size && pods.every((p) => imageOf(p) === good && isRunning(p));
    return settledPods && daemon.status.numberAvailable === devices.size && daemon;
  }, 60_000, 100);
  t.comment(`bad image over 120 devices: RolledBack ${seconds(rolledBackAt - appliedAt)} after apply, every device back on the good image after ${seconds(performance.now() - appliedAt)}`);

  const rollout = rolledBack.status?.rollout;
  t.equal(rollout?.rolledBackFrom, 2, 'the status names the revision that failed');
  t.equal(rolledBack.metadata.annotations?.[ROLLED_BACK_FROM_ANNOTATION], '2', `the DaemonSet carries ${ROLLED_BACK_FROM_ANNOTATION}`);
  t.equal(rolledBack.spec.template.spec.containers[0]?.image, good, 'its template is the good image again');
  const failedIn = /failed in wave (\d+) of 3/.exec(rollout?.message ?? '');
  t.ok(failedIn, `the message says in which wave it failed: ${rollout?.message}`);
  const wave = Number(failedIn?.[1] ?? 0);
  const size = sizes[wave - 1] ?? 0;
  t.match(rollout?.message ?? '', /ErrImagePull|ImagePullBackOff/, 'and why: the image could not be pulled');

  t.ok(reached.size >= 1, `the bad image was tried (on ${[...reached].join(', ')})`);
  t.ok(reached.size <= size, `no more devices got the bad image (${reached.size}) than wave ${wave} allows (${size})`);
  t.ok(mostAtOnce <= size, `nor were there ever more pods of it at once (${mostAtOnce})`);
  t.ok([...reached].every((d) => devices.has(d)), 'and only devices the DaemonSet runs on');

  // The hub's own account, which no poll can miss: the pods it created of the bad revision.
  const revisions = (await get<List<ControllerRevision>>('/api/v1/namespaces/default/controllerrevisions')).items;
  const badRevision = revisions.find((r) => r.metadata.name.startsWith(`${name}-`) && r.data.template.spec.containers[0]?.image === bad);
  t.ok(badRevision, 'the bad template is kept as a revision');
  const badHash = badRevision?.metadata.name.slice(name.length + 1) ?? 'none';
  const events = await waitFor('the RolledBack event', async () => {
    const all = await view.events();
    return all.some((e) => e.reason === 'RolledBack') && all;
  }, 10_000, 250);
  const created = events
    .filter((e) => e.reason === 'SuccessfulCreate' && e.message.includes(`${name}-${badHash}-`))
    .reduce((n, e) => n + e.count * (Number(/^created (\d+) pods/.exec(e.message)?.[1] ?? 1)), 0);
  t.ok(created >= 1 && created <= size, `the hub's events count ${podCount(created)} of the bad image created, within wave ${wave}'s ${size}`);
  const reasons = events.map((e) => e.reason);
  t.ok(reasons.includes('RolloutFailed'), 'a RolloutFailed event');
  t.ok(reasons.includes('RolledBack'), 'a RolledBack event');

  const final = await view.pods();
  t.same(new Set(final.map((p) => p.spec.nodeName)), devices, 'every device of the three sites ends with its pod');
  t.ok(final.every((p) => imageOf(p) === good && isRunning(p)), 'each Running the good image');
});
