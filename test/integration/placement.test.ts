/**
 * Placement through the CLI against a real hub: a hub started the way `flotilla hub --config`
 * starts it (its scheduler spreading by site), a fleet of hollow devices across sites (real
 * agents, simulated containers), and `flotilla` run as a person runs it: device selectors,
 * groups, the line that says why a pod is not placed, cordon, uncordon and drain.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { resolveHubOptions } from '../../hub/cli/options/hub-options.js';
import { defaultHubOptions } from '../../hub/config.js';
import { startHub } from '../../hub/main.js';
import { startFleet } from '../../scripts/fleet-simulator.js';
import type { Device, Pod } from '../../shared/objects.js';
import { runCli } from '../helpers/run-cli.js';
import { cli, tempDir, waitFor } from '../helpers/fleet.js';

const SETTINGS = `scheduler:
  scores:
    - {name: least-allocated, weight: 1}
    - {name: spread, weight: 1}
    - {name: label-spread, weight: 4}
  pluginArgs:
    label-spread: {topologyKey: site}
`;

interface List<T> {
  items: T[];
}

function deployment(name: string, replicas: number, selector: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      deviceSelector: "${selector}"
      containers:
        - {name: main, image: localhost/busybox:test, command: [sleep, "3600"]}
`;
}

t.test('placement through the CLI against a real hub', async (t) => {
  const dir = await tempDir(t, 'placement');
  const settingsFile = join(dir, 'hub.yaml');
  await writeFile(settingsFile, SETTINGS);
  const options = resolveHubOptions({ config: settingsFile }, {});
  const hub = await startHub({
    ...defaultHubOptions,
    scheduler: options.scheduler,
    dataDir: join(dir, 'hub'),
    httpHost: '127.0.0.1',
    httpPort: 0,
    mqttHost: '127.0.0.1',
    mqttPort: 0,
    mqttTlsPort: 0,
    plainMqtt: true,
    notReadyAfterSeconds: 2,
    offlineAfterSeconds: 3,
    logLevel: 'silent',
  });
  t.teardown(() => hub.stop());
  const flotilla = (...args: string[]) => cli(hub, args);
  const getJson = async <T>(...args: string[]): Promise<List<T>> => {
    const result = await flotilla('get', ...args, '-o', 'json');
    if (result.code !== 0) throw new Error(`flotilla get ${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as List<T>;
  };
  const apply = async (manifest: string) => {
    const file = join(dir, `manifest-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, manifest);
    const result = await flotilla('apply', '-f', file);
    if (result.code !== 0) throw new Error(`apply failed: ${result.stderr}`);
  };

  // Nine cameras and three gateways over three sites, and two sensors that will go away.
  const fleet = await startFleet({
    hubUrl: hub.mqttUrl,
    devices: 12,
    namePrefix: 'place',
    stateDir: join(dir, 'fleet'),
    heartbeatSeconds: 1,
    startDelayMs: 50,
    labels: 'site=site-1,site-2,site-3;role=camera:3,gateway:1',
    seed: 7,
    log: pino({ level: 'silent' }),
  });
  t.teardown(() => fleet.stop());
  const leaving = await startFleet({
    hubUrl: hub.mqttUrl,
    devices: 2,
    namePrefix: 'gone',
    stateDir: join(dir, 'leaving'),
    heartbeatSeconds: 1,
    labels: 'site=site-3;role=sensor',
    log: pino({ level: 'silent' }),
  });
  t.teardown(() => leaving.stop());
  await Promise.all([fleet.whenStarted(), leaving.whenStarted()]);
  await waitFor('14 devices Ready', async () => (await getJson<Device>('devices')).items.filter((d) => d.status?.state === 'Ready').length === 14);
  await leaving.stop();
  await waitFor('the two leaving devices Offline', async () => (await getJson<Device>('devices')).items.filter((d) => d.status?.state === 'Offline').length === 2);

  const labelsOf = new Map(fleet.devices.map((d) => [d.name, d.labels]));
  const expected = (match: (labels: Record<string, string>) => boolean) =>
    fleet.devices.filter((d) => match(d.labels)).map((d) => d.name).sort();

  t.test('get devices -l takes set-based selectors', async (t) => {
    const picked = await getJson<Device>('devices', '-l', 'site in (site-1,site-2),role!=gateway');
    t.same(
      picked.items.map((d) => d.metadata.name).sort(),
      expected((l) => (l['site'] === 'site-1' || l['site'] === 'site-2') && l['role'] !== 'gateway'),
    );
    const notSensors = await getJson<Device>('devices', '-l', 'role notin (sensor),!retired');
    t.equal(notSensors.items.length, 12);
    const none = await flotilla('get', 'devices', '-l', '!flotilla.io/hollow');
    t.equal(none.code, 0);
    t.equal(none.stderr, 'No resources found\n');
  });

  t.test('get devices -l refuses a selector it cannot read, naming where it breaks', async (t) => {
    const bad = await flotilla('get', 'devices', '-l', 'site in (site-1');
    t.equal(bad.code, 1);
    t.match(bad.stderr, /^error: invalid labelSelector "site in \(site-1": at the end: "\(" at character 9 is never closed/);
    const operator = await flotilla('get', 'devices', '-l', 'site > 3');
    t.match(operator.stderr, /at character 6: ">" comparisons are not supported/);
  });

  t.test('get groups --by site shows each site with its devices, their health and their pods', async (t) => {
    const table = await flotilla('get', 'groups', '--by', 'site');
    t.equal(table.code, 0, table.stderr);
    const rows = table.stdout.trim().split('\n').map((line) => line.split(/ +/));
    t.same(rows[0], ['VALUE', 'DEVICES', 'READY', 'NOT-READY', 'OFFLINE', 'PODS']);
    t.same(rows[3], ['site-3', '6', '4', '0', '2', '0'], 'the two sensors that left count as Offline');
    t.same(rows.slice(1, 3).map((row) => row.slice(0, 5)), [
      ['site-1', '4', '4', '0', '0'],
      ['site-2', '4', '4', '0', '0'],
    ]);

    const roles = await getJson<{ value: string | null; devices: number }>('groups', '--by', 'role', '-l', 'site=site-1');
    const siteOne = expected((l) => l['site'] === 'site-1').map((name) => labelsOf.get(name)?.['role'] as string);
    const perRole = [...new Set(siteOne)].sort().map((role) => [role, siteOne.filter((r) => r === role).length]);
    t.same(roles.items.map((g) => [g.value, g.devices]), perRole, '-l picks the devices to group first');
    const bySite = await flotilla('get', 'groups', '--by', 'site', '-o', 'name');
    t.equal(bySite.stdout, 'site=site-1\nsite=site-2\nsite=site-3\n');
    const missing = await flotilla('get', 'groups');
    t.equal(missing.code, 2);
    t.match(missing.stderr, /--by <label>/);
  });

  t.test("the hub's settings spread a Deployment's replicas across sites", async (t) => {
    await apply(deployment('spread', 6, 'role=camera'));
    const pods = await waitFor('6 pods of spread bound', async () => {
      const list = await getJson<Pod>('pods', '-l', 'app=spread');
      return list.items.length === 6 && list.items.every((p) => p.spec.nodeName !== undefined) && list.items;
    });
    const perSite: Record<string, number> = {};
    for (const pod of pods) {
      const site = labelsOf.get(pod.spec.nodeName as string)?.['site'] as string;
      perSite[site] = (perSite[site] ?? 0) + 1;
    }
    t.same(perSite, { 'site-1': 2, 'site-2': 2, 'site-3': 2 });
    const groups = await getJson<{ value: string; pods: number }>('groups', '--by', 'site');
    t.same(groups.items.map((g) => g.pods), [2, 2, 2], 'and get groups counts them');
  });

  t.test('describe says in one line why a pod is not placed, and describe deployment shows it too', async (t) => {
    await apply(deployment('printer', 1, 'role=printer'));
    const pod = await waitFor('the printer pod marked unschedulable', async () => {
      const list = await getJson<Pod>('pods', '-l', 'app=printer');
      const found = list.items[0];
      return found?.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') && found;
    });
    const line = '0/14 devices are available: 14 do not match role=printer.';
    const described = await flotilla('describe', 'pod', pod.metadata.name);
    t.match(described.stdout, `Scheduling:\n  ${line}\n`);
    t.match(described.stdout, new RegExp(`Warning +FailedScheduling .*${line.replace(/[./]/g, '\\$&')}`));
    const deploymentText = await flotilla('describe', 'deployment', 'printer');
    t.match(deploymentText.stdout, `Not Placed:`);
    t.match(deploymentText.stdout, `1 pod: ${line}`);
  });

  t.test('drain refuses a bare pod, then with --force evicts every pod and they are placed elsewhere; uncordon undoes the cordon', async (t) => {
    const before = await getJson<Pod>('pods', '-l', 'app=spread');
    const target = before.items[0]?.spec.nodeName as string;
    const onTarget = before.items.filter((p) => p.spec.nodeName === target).map((p) => p.metadata.name).sort();
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: pinned}
spec:
  nodeName: ${target}
  containers:
    - {name: main, image: localhost/busybox:test, command: [sleep, "3600"]}
`);

    const refused = await flotilla('drain', target);
    t.equal(refused.code, 1);
    t.equal(refused.stdout, `device/${target} cordoned\n`);
    t.match(refused.stderr, `error: cannot drain device ${target}: no Deployment or DaemonSet controls this pod, so deleting it loses it: default/pinned`);
    t.match(refused.stderr, /hint: the device stays cordoned and nothing was deleted/);
    t.equal((await getJson<Pod>('pods', '-l', 'app=spread')).items.length, 6, 'nothing was deleted');
    const cordoned = await getJson<Device>('devices', '-l', `site=${labelsOf.get(target)?.['site']}`);
    t.equal(cordoned.items.find((d) => d.metadata.name === target)?.spec?.unschedulable, true);

    const forced = await flotilla('drain', 'device', target, '--force');
    t.equal(forced.code, 0, forced.stderr);
    const lines = forced.stdout.trim().split('\n');
    t.equal(lines[0], `device/${target} already cordoned`);
    t.same(lines.filter((l) => l.endsWith(' evicted')).sort(), [...onTarget, 'pinned'].map((name) => `pod/${name} evicted`).sort());
    t.equal(lines.at(-1), `device/${target} drained`);
    t.match(forced.stderr, 'Warning: deleting pods no controller will bring back: default/pinned');

    const after = await waitFor('6 spread pods bound again, none on the drained device', async () => {
      const list = await getJson<Pod>('pods', '-l', 'app=spread');
      return list.items.length === 6 && list.items.every((p) => p.spec.nodeName !== undefined && p.spec.nodeName !== target) && list.items;
    });
    t.equal(after.length, 6);

    const uncordoned = await flotilla('uncordon', target);
    t.equal(uncordoned.stdout, `device/${target} uncordoned\n`);
    const device = (await getJson<Device>('devices')).items.find((d) => d.metadata.name === target);
    t.equal(device?.spec?.unschedulable, false);
  });

  t.test('drain of a device the hub does not know says so and changes nothing', async (t) => {
    const missing = await flotilla('drain', 'nowhere');
    t.equal(missing.code, 1);
    t.match(missing.stderr, /device.*nowhere.*not found/i);
  });
});

t.test('a hub whose settings file names a plugin it does not have does not start, naming the setting', async (t) => {
  const dir = await tempDir(t, 'bad-settings');
  const file = join(dir, 'hub.yaml');
  await writeFile(file, 'scheduler:\n  scores:\n    - {name: label-spread, weight: 2}\n  filters: [node-name, gpu-fit]\n');
  const result = await runCli(['hub', '--config', file, '--data-dir', join(dir, 'data'), '--port', '1', '--mqtt-port', '1']);
  t.equal(result.code, 2);
  t.match(result.stderr, `error: invalid settings in ${file}:\n`);
  t.match(result.stderr, '  scheduler.filters[1]: no scheduler plugin is named "gpu-fit"');
  t.match(result.stderr, '  scheduler.pluginArgs.label-spread.topologyKey: is required');
});
