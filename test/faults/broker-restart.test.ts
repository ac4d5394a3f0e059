/**
 * Fault 5: the MQTT broker restarts under load. The hub runs on an external Mosquitto with a
 * few hundred simulated devices (the real agent code on a simulated engine) and two real
 * agents on Podman. The broker stops and comes back empty (no persistence: no sessions, no
 * retained messages), and while it is away the workload changes. Afterwards every device is
 * back, every device has applied the last desired state the hub sent it (generations make
 * that checkable), the changes made during the outage arrived, and the real agents run the
 * same containers as before, once each.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { startFleet } from '../../scripts/fleet-simulator.js';
import { api, sleeperPodManifest, startAgent, startHub, tempDir, uniqueName, waitFor, type HubProcess } from '../helpers/fleet.js';
import { diffFleet, reportRecovery, settleFleet, startClock, waitForSettledFleet } from './fault-kit.js';
import { applyManifests, deploymentManifest } from './fleet-control.js';
import { retainedDesired, watchGenerations } from './generation-watch.js';
import { startMosquitto } from './mosquitto.js';

const HOLLOW_DEVICES = 300;
/** The simulated fleet's heartbeat: 150 messages a second from it alone. */
const HEARTBEAT_SECONDS = 2;
const HOLLOW_PODS = 300;
const HOLLOW_PODS_AFTER = 360;

interface DeviceList {
  items: { metadata: { name: string }; status?: { state?: string; lastSeen?: string } }[];
}
interface PodList {
  items: { metadata: { name: string }; spec: { nodeName?: string }; status?: { phase?: string } }[];
}

/** Devices Ready at the hub and heard from since `since` (epoch ms, the hub's clock is this machine's). */
async function devicesBack(hub: HubProcess, since: number): Promise<{ back: number; all: string[] }> {
  const { items } = await api<DeviceList>(hub, '/api/v1/devices');
  const back = items.filter((d) => d.status?.state === 'Ready' && Date.parse(d.status.lastSeen ?? '') > since);
  return { back: back.length, all: items.map((d) => d.metadata.name) };
}

async function runningPods(hub: HubProcess, prefix: string): Promise<{ total: number; running: number }> {
  const { items } = await api<PodList>(hub, '/api/v1/pods');
  const mine = items.filter((p) => p.metadata.name.startsWith(prefix));
  return { total: mine.length, running: mine.filter((p) => p.status?.phase === 'Running').length };
}

t.test('after a broker restart under load every device is back and has applied the last desired state, and no real container ran twice or restarted', async (t) => {
  const broker = await startMosquitto(t);
  // Watching from the start: a device reports the generation it applied only when it changes.
  const generations = await watchGenerations(t, broker.url);
  // Thresholds that let a busy machine's heartbeats be late without a device flapping.
  const hub = await startHub(t, { mqttUrl: broker.url, notReadyAfterSeconds: 10, offlineAfterSeconds: 20 });
  const fleet = await startFleet({
    hubUrl: broker.url,
    devices: HOLLOW_DEVICES,
    namePrefix: uniqueName('hollow'),
    stateDir: join(await tempDir(t, 'hollow'), 'devices'),
    heartbeatSeconds: HEARTBEAT_SECONDS,
    labels: 'role=hollow',
    log: pino({ level: 'error' }),
  });
  t.teardown(() => fleet.stop());
  const real = [await startAgent(t, hub, { labels: 'role=real' }), await startAgent(t, hub, { labels: 'role=real' })];
  const realNames = real.map((a) => a.name);
  const everyone = HOLLOW_DEVICES + real.length;
  await fleet.whenStarted();
  await waitFor(`${everyone} devices Ready`, async () => (await devicesBack(hub, 0)).back === everyone, 90_000, 500);

  await applyManifests(t, hub, [
    deploymentManifest('load', HOLLOW_PODS, { template: { nodeSelector: { role: 'hollow' } } }),
    deploymentManifest('steady', 2, { template: { nodeSelector: { role: 'real' } } }),
    sleeperPodManifest('pinned', { nodeName: realNames[0] }),
  ]);
  await waitFor('the simulated pods Running', async () => (await runningPods(hub, 'load-')).running === HOLLOW_PODS, 90_000, 500);
  const devices = (await devicesBack(hub, 0)).all;
  await waitFor('every device to have applied its desired state', () => generations.behind(devices).length === 0, 60_000, 250).catch((error: Error) => {
    throw new Error(`${error.message}: ${generations.behind(devices).slice(0, 5).join('; ')}`);
  });
  const before = await waitForSettledFleet(hub, realNames);

  await broker.stop();
  // Changes while the broker is away: more simulated pods, and a pod for a real device. The
  // hub takes them and binds them; their desired states can only go out once it is back.
  await applyManifests(t, hub, [
    deploymentManifest('load', HOLLOW_PODS_AFTER, { template: { nodeSelector: { role: 'hollow' } } }),
    sleeperPodManifest('late', { nodeName: realNames[1] }),
  ]);
  await waitFor('the new pods bound', async () => {
    const { items } = await api<PodList>(hub, '/api/v1/pods');
    const load = items.filter((p) => p.metadata.name.startsWith('load-'));
    return load.length === HOLLOW_PODS_AFTER && load.every((p) => p.spec.nodeName) && items.some((p) => p.metadata.name === 'late');
  });

  const restartedAt = Date.now();
  const recovery = startClock();
  await broker.start();
  await waitFor('every device back', async () => (await devicesBack(hub, restartedAt)).back === everyone, 90_000, 500);
  const backIn = recovery();
  let lagging: string[] = [];
  await waitFor('every device to have applied its last desired state', () => (lagging = generations.behind(devices)).length === 0, 60_000, 250).catch(() => undefined);
  t.same(lagging.slice(0, 10), [], 'every device applied the last desired state the hub sent it (the first 10 behind shown)');
  await waitFor('the simulated pods of the outage Running', async () => (await runningPods(hub, 'load-')).running === HOLLOW_PODS_AFTER, 60_000, 500).catch(() => undefined);
  t.same(await runningPods(hub, 'load-'), { total: HOLLOW_PODS_AFTER, running: HOLLOW_PODS_AFTER }, 'the scale-up made during the outage reached the simulated devices');
  const settled = await settleFleet(hub, realNames);
  const seconds = recovery(settled.at);
  t.ok(settled.snapshot.pods.some((p) => p.pod === 'default/late' && p.phase === 'Running'), 'the pod applied during the outage runs on its real device');
  t.comment(`${everyone} devices back ${backIn.toFixed(1)} s after the broker restarted`);

  // The broker came back without its retained messages: a device that subscribes afresh (a
  // new one, or one whose local state was wiped) gets its desired state only if the hub
  // published it again.
  const retained = await retainedDesired(broker.url, devices);
  const missing = devices.filter((d) => !retained.has(d));
  t.equal(missing.length, 0, `the broker holds every device's desired state again (missing for ${missing.length} of ${devices.length}, e.g. ${missing.slice(0, 3).join(', ') || 'none'})`);
  const after = settled.snapshot;
  reportRecovery(t, 'broker-restart', seconds, diffFleet(before, after), settled);
});
