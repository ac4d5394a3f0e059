/**
 * A DaemonSet over a simulated fleet of 240 hollow devices across six sites: selecting one
 * site puts exactly one pod on every device of that site and none elsewhere, and a new
 * template rolls out over them in waves to the end.
 */
import { pino } from 'pino';
import t from 'tap';
import { defaultHubOptions } from '../../hub/config.js';
import { startHub } from '../../hub/main.js';
import { adminAccess, call } from '../../scripts/bench/hub-access.js';
import { startFleet } from '../../scripts/fleet-simulator.js';
import type { DaemonSet, Device, FlotillaEvent, Pod } from '../../shared/objects.js';
import { tempDir, waitFor } from '../helpers/fleet.js';

const DEVICES = 240;
const SITE = 'site-3';

interface List<T> {
  items: T[];
}

function daemonSet(image: string, strategy: Record<string, unknown> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'site-agent', namespace: 'default' },
    spec: {
      minReadySeconds: 1,
      template: {
        metadata: { labels: { app: 'site-agent' } },
        spec: { nodeSelector: { site: SITE }, containers: [{ name: 'main', image, resources: { requests: { cpu: '100m', memory: '32Mi' } } }] },
      },
      ...strategy,
    },
  };
}

t.test(`a DaemonSet selecting one site of ${DEVICES} hollow devices runs exactly one pod on each of its devices, and rolls out in waves`, async (t) => {
  const hub = await startHub({
    ...defaultHubOptions,
    dataDir: await tempDir(t, 'ds-fleet-hub'),
    httpHost: '127.0.0.1',
    httpPort: 0,
    mqttHost: '127.0.0.1',
    mqttPort: 0,
    mqttTlsPort: 0,
    plainMqtt: true,
    notReadyAfterSeconds: 30,
    offlineAfterSeconds: 120,
    logLevel: 'silent',
  });
  t.teardown(() => hub.stop());
  const access = adminAccess(hub.adminConfig);
  const get = async <T>(path: string): Promise<T> => {
    const answer = await call<T>(access, 'GET', path);
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const apply = async (object: unknown) => {
    const answer = await call(access, 'POST', '/api/v1/apply', { items: [object] });
    t.equal(answer.status, 200, JSON.stringify(answer.body));
  };

  const fleet = await startFleet({
    hubUrl: hub.mqttUrl,
    devices: DEVICES,
    stateDir: await tempDir(t, 'ds-fleet-devices'),
    heartbeatSeconds: 5,
    startDelayMs: 50,
    startJitterMs: 100,
    labels: 'site=site-{1..6};role=camera:60,sensor:40',
    seed: 6,
    connectRatePerSecond: 200,
    log: pino({ level: 'silent' }),
  });
  t.teardown(() => fleet.stop());
  const onSite = new Set(fleet.devices.filter((d) => d.labels['site'] === SITE).map((d) => d.name));
  t.equal(onSite.size, DEVICES / 6, 'the distribution gives the site its share');
  await waitFor(`${DEVICES} devices Ready`, async () => (await get<List<Device>>('/api/v1/devices')).items.filter((d) => d.status?.state === 'Ready').length === DEVICES, 120_000, 500);

  const podsNow = async () => (await get<List<Pod>>('/api/v1/namespaces/default/pods?labelSelector=app%3Dsite-agent')).items;
  const status = async () => (await get<DaemonSet>('/api/v1/namespaces/default/daemonsets/site-agent')).status;

  await apply(daemonSet('registry.example/site-agent:1.0'));
  const pods = await waitFor(`a Running pod on each of the ${onSite.size} devices of ${SITE}`, async () => {
    const all = await podsNow();
    return all.length >= onSite.size && all.filter((p) => p.status?.phase === 'Running').length === onSite.size && all;
  }, 120_000, 500);
  const devices = pods.map((p) => p.spec.nodeName ?? '');
  t.equal(new Set(devices).size, pods.length, 'never two on one device');
  t.ok(devices.every((d) => onSite.has(d)), `every pod is on a device of ${SITE}`);
  t.equal(pods.length, onSite.size, 'and every device of the site has one');
  await waitFor('the status to count them', async () => {
    const s = await status();
    return s?.desiredNumberScheduled === onSite.size && s.numberAvailable === onSite.size && s.rollout?.phase === 'Complete';
  }, 60_000, 500);

  // A new template in waves: one canary, a quarter, then all.
  await apply(
    daemonSet('registry.example/site-agent:1.1', {
      updateStrategy: { rollingUpdate: { maxUnavailable: '25%' }, waves: [{ size: 1 }, { size: '25%' }, { size: '100%' }] },
    }),
  );
  let mostInWaveOne = 0;
  await waitFor('the new template on every device of the site', async () => {
    const s = await status();
    if (s?.rollout?.revision === 2 && s.rollout.wave === 1) mostInWaveOne = Math.max(mostInWaveOne, s.updatedNumberScheduled);
    return s?.rollout?.revision === 2 && s.rollout.phase === 'Complete' && s.updatedNumberScheduled === onSite.size && s.numberAvailable === onSite.size;
  }, 180_000, 200);
  t.ok(mostInWaveOne <= 1, `no more than the canary was updated while wave 1 ran (${mostInWaveOne})`);
  const after = await podsNow();
  t.equal(after.length, onSite.size, 'still one pod per device');
  t.ok(after.every((p) => p.spec.containers[0]?.image === 'registry.example/site-agent:1.1'), 'all of the new template');
  const events = await get<List<FlotillaEvent>>('/api/v1/namespaces/default/events?involvedKind=DaemonSet&involvedName=site-agent');
  const reasons = events.items.map((e) => e.reason);
  for (const reason of ['WaveStarted', 'WaveSucceeded', 'RolloutComplete']) t.ok(reasons.includes(reason), `a ${reason} event`);
  t.ok(
    events.items.some((e) => e.reason === 'WaveStarted' && /wave 3 of 3/.test(e.message)),
    'the last wave was reached through the others',
  );
});
