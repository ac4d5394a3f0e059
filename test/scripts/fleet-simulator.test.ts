/**
 * The fleet simulator against a real hub, in process: hollow devices enrol with the labels
 * their distribution gave them, report heartbeats, run the pods the scheduler binds to them,
 * and go NotReady when stopped. Plus the label distribution's parser and apportionment.
 */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { defaultHubOptions } from '../../hub/config.js';
import { startHub, type RunningHub } from '../../hub/main.js';
import { adminAccess, call } from '../../scripts/bench/hub-access.js';
import type { Device, Pod } from '../../shared/objects.js';
import {
  assignLabels,
  deviceNames,
  HOLLOW_LABEL,
  parseLabelDistribution,
  runFleetSimulator,
  startFleet,
} from '../../scripts/fleet-simulator.js';
import { invalidMessage } from '../helpers/errors.js';
import { tempDir, waitFor } from '../helpers/fleet.js';

const SPEC = 'site=site-{1..4};role=camera:60,sensor:30,gateway:10;arch=arm64:70,amd64:30';

function counts(values: string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const value of values) result[value] = (result[value] ?? 0) + 1;
  return result;
}

t.test('label distributions', async (t) => {
  t.test('reads weighted values and ranges, weight 1 when none is given', async (t) => {
    t.same(parseLabelDistribution(SPEC), {
      site: { 'site-1': 1, 'site-2': 1, 'site-3': 1, 'site-4': 1 },
      role: { camera: 60, sensor: 30, gateway: 10 },
      arch: { arm64: 70, amd64: 30 },
    });
    t.same(parseLabelDistribution(' zone = z{08..10} : 2 , other '), { zone: { z08: 2, z09: 2, z10: 2, other: 1 } }, 'a leading zero pads the range; spaces are ignored');
    t.same(parseLabelDistribution('tier=a:0.25,b:75%'), { tier: { a: 0.25, b: 75 } }, 'fractions and a trailing % are weights too');
    t.same(parseLabelDistribution(''), {}, 'no text, no labels');
  });

  t.test('refuses a bad distribution, saying what is wrong and how to write it', async (t) => {
    const cases: [string, RegExp][] = [
      ['role', /"role" has no "="/],
      ['role=camera:lots', /the weight "lots" of "camera" in label "role" is not a number greater than 0/],
      ['role=camera:0', /weight "0"/],
      ['role=camera:', /weight ""/],
      ['role=camera;role=sensor', /label "role" is given twice/],
      ['role=camera,camera', /label "role" has the value "camera" twice/],
      ['site=s{3..1}', /the range \{3\.\.1\} runs backwards/],
      ['site=s{1..2}{1..2}', /only one \{first\.\.last\} range per value/],
      ['site=s{1-5}', /a range is written \{first\.\.last\}/],
      ['site=s{1..1000000}', /more than 100000 values/],
      ['role=camera;;arch=arm64', /empty entry between ";"/],
      ['role=camera,,sensor', /label "role" has an empty value between ","/],
      ['-bad=x', /label key "-bad"/],
      ['role=not valid', /label value "not valid"/],
      ['role=a:1:2', /more than one ":"/],
    ];
    for (const [spec, expected] of cases) {
      t.match(invalidMessage(() => parseLabelDistribution(spec)), expected, spec);
    }
    const error = (() => {
      try {
        parseLabelDistribution('role');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    t.match(error, { code: 'Invalid', message: /^invalid label distribution "role": /, hint: /site=site-\{1\.\.20\};role=camera:60/ }, 'the message quotes the text; the hint shows an example');
  });

  t.test('gives each value its exact share of the devices, shuffled by the seed', async (t) => {
    const distribution = parseLabelDistribution(SPEC);
    const labels = assignLabels(distribution, 20, 7);
    t.same(counts(labels.map((l) => l['role'] ?? '')), { camera: 12, sensor: 6, gateway: 2 });
    t.same(counts(labels.map((l) => l['arch'] ?? '')), { arm64: 14, amd64: 6 });
    t.same(counts(labels.map((l) => l['site'] ?? '')), { 'site-1': 5, 'site-2': 5, 'site-3': 5, 'site-4': 5 });
    t.same(assignLabels(distribution, 20, 7), labels, 'the same seed gives the same fleet');
    t.not(JSON.stringify(assignLabels(distribution, 20, 8)), JSON.stringify(labels), 'another seed another arrangement');
    const roles = labels.map((l) => l['role']).join(',');
    t.not(roles, [...Array(12).fill('camera'), ...Array(6).fill('sensor'), ...Array(2).fill('gateway')].join(','), 'not in blocks');
  });

  t.test('shares out uneven splits by largest remainder, never losing a device', async (t) => {
    const sites = assignLabels(parseLabelDistribution('site=s{1..20}'), 30, 1).map((l) => l['site'] ?? '');
    t.equal(sites.length, 30);
    const perSite = Object.values(counts(sites));
    t.equal(perSite.length, 20, 'every site gets a device');
    t.ok(perSite.every((n) => n === 1 || n === 2), 'no site gets more than its share rounded up');
    const few = assignLabels(parseLabelDistribution('role=camera:60,sensor:30,gateway:10'), 3, 1).map((l) => l['role']);
    t.same(counts(few as string[]), { camera: 2, sensor: 1 }, '3 devices at 60/30/10');
  });

  t.test('names devices with a zero-padded index, so they sort in order', async (t) => {
    t.same(deviceNames('hollow', 1, 3), ['hollow-0001', 'hollow-0002', 'hollow-0003']);
    t.same(deviceNames('sim', 99_999, 2), ['sim-099999', 'sim-100000'], 'padded to the widest index');
  });
});

t.test('refuses fleet options that cannot make a fleet, naming the option', async (t) => {
  const dir = await tempDir(t, 'fleet-options');
  const base = { hubUrl: 'mqtt://127.0.0.1:1', stateDir: dir, log: pino({ level: 'silent' }) };
  await t.rejects(startFleet({ ...base, devices: 0 }), /invalid fleet option devices: 0 is not a whole number greater than 0/);
  await t.rejects(startFleet({ ...base, devices: 2, namePrefix: 'Not_A_Name' }), /invalid fleet option namePrefix: the device name "Not_A_Name-0001"/);
  await t.rejects(startFleet({ ...base, devices: 2, labels: 'role' }), /invalid label distribution "role"/);
  await t.rejects(startFleet({ ...base, devices: 2, labels: { role: { camera: -1 } } }), /labels\.role\.camera: weight -1/);
  await t.rejects(startFleet({ ...base, devices: 2, connectRatePerSecond: 0 }), /connectRatePerSecond/);
});

t.test('the command line refuses a bad flag with a usage error', async (t) => {
  const lines: string[] = [];
  await t.rejects(runFleetSimulator(['--devices', 'many'], (line) => lines.push(line)), /invalid --devices "many": expected a whole number/);
  await t.rejects(runFleetSimulator(['--labels', 'role=a:x', '--devices', '1', '--state-dir', await tempDir(t, 'cli')]), /invalid label distribution/);
  await t.rejects(runFleetSimulator(['--memory', 'lots']), /invalid --memory "lots"/);
  t.same(lines, [], 'nothing started, nothing printed');
});

t.test('holds the ramp while too many devices wait for a session, instead of piling on CONNECTs', async (t) => {
  // Nothing listens on the port: no device ever gets a session.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const address = closed.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const fleet = await startFleet({
    hubUrl: `mqtt://127.0.0.1:${port}`,
    devices: 10,
    stateDir: await tempDir(t, 'fleet-held'),
    connectRatePerSecond: 1000,
    maxPendingConnects: 3,
    log: pino({ level: 'silent' }),
  });
  t.teardown(() => fleet.stop());
  // On a loaded machine the first three may take a while; then the ramp must stay there.
  await waitFor('three devices started', () => fleet.started() >= 3, 30_000);
  await sleep(500);
  t.equal(fleet.started(), 3, 'three started, then the ramp waits');
  t.equal(fleet.connected(), 0);
  await fleet.stop();
  await t.resolves(fleet.whenStarted(), 'stopping ends the ramp');
  t.equal(fleet.started(), 3, 'and starts nothing more');
});

interface List<T> {
  items: T[];
}

async function get<T>(hub: RunningHub, path: string): Promise<T> {
  const answer = await call<T>(adminAccess(hub.adminConfig), 'GET', path);
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

t.test('a hollow fleet against a real hub', async (t) => {
  const hub = await startHub({
    ...defaultHubOptions,
    dataDir: await tempDir(t, 'fleet-hub'),
    httpHost: '127.0.0.1',
    httpPort: 0,
    mqttHost: '127.0.0.1',
    mqttPort: 0,
    mqttTlsPort: 0,
    // Hollow agents, like development agents, connect without certificates.
    plainMqtt: true,
    notReadyAfterSeconds: 10,
    offlineAfterSeconds: 60,
    logLevel: 'silent',
  });
  t.teardown(() => hub.stop());
  const fleet = await startFleet({
    hubUrl: hub.mqttUrl,
    devices: 20,
    stateDir: await tempDir(t, 'fleet-state'),
    heartbeatSeconds: 1,
    startDelayMs: 100,
    startJitterMs: 100,
    labels: SPEC,
    seed: 42,
    connectRatePerSecond: 100,
    log: pino({ level: 'silent' }),
  });
  t.teardown(() => fleet.stop());
  const rampBegan = Date.now();
  await fleet.whenStarted();
  const rampMs = Date.now() - rampBegan;
  const expected = new Map(fleet.devices.map((d) => [d.name, d]));

  t.test('every device enrols and goes Ready, with the labels its distribution gave it', async (t) => {
    const devices = await waitFor('20 hollow devices Ready', async () => {
      const list = await get<List<Device>>(hub, '/api/v1/devices');
      return list.items.filter((d) => d.status?.state === 'Ready').length === 20 && list.items;
    });
    t.same(devices.map((d) => d.metadata.name).sort(), [...fleet.names].sort());
    for (const device of devices) {
      const given = expected.get(device.metadata.name);
      t.match(device.metadata.labels, given?.labels, `${device.metadata.name} has its labels`);
      t.equal(device.metadata.labels?.[HOLLOW_LABEL], 'true', 'marked as hollow');
      t.equal(device.metadata.labels?.['flotilla.io/arch'], given?.labels['arch'], 'its engine reports the arch of its label');
      t.equal(device.status?.info?.runtime, 'hollow', 'its engine is named for what it is');
    }
    t.same(counts(devices.map((d) => d.metadata.labels?.['role'] ?? '')), { camera: 12, sensor: 6, gateway: 2 });
    t.same(counts(devices.map((d) => d.metadata.labels?.['arch'] ?? '')), { arm64: 14, amd64: 6 });
    await waitFor('the simulator to count 20 connected', async () => fleet.connected() === 20);
    t.equal(fleet.started(), 20);
    t.ok(rampMs >= 150, `20 devices at 100 a second take about 0.2 s to start, not all at once (${rampMs} ms)`);
  });

  t.test('devices report heartbeats with plausible figures', async (t) => {
    const devices = await waitFor('usage on every device', async () => {
      const list = await get<List<Device>>(hub, '/api/v1/devices');
      return list.items.every((d) => d.status?.usage !== undefined) && list.items;
    });
    for (const device of devices) {
      const usage = device.status?.usage;
      t.ok(usage && usage.cpuPercent > 0 && usage.cpuPercent <= 100, `${device.metadata.name} CPU ${usage?.cpuPercent}%`);
      t.equal(usage?.memoryTotalBytes, 4 * 1024 ** 3, 'memory total is the announced capacity');
    }
    t.equal(devices[0]?.status?.capacity?.cpu, '4', 'capacity 4 cores');
  });

  t.test('a Deployment selecting role=camera runs its pods only on camera devices', async (t) => {
    const apply = await call(adminAccess(hub.adminConfig), 'POST', '/api/v1/apply', {
        items: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'camera-feed', namespace: 'default' },
            spec: {
              replicas: 8,
              selector: { matchLabels: { app: 'camera-feed' } },
              template: {
                metadata: { labels: { app: 'camera-feed' } },
                spec: { deviceSelector: 'role=camera', containers: [{ name: 'feed', image: 'registry.example/camera-feed:1.4' }] },
              },
            },
          },
        ],
    });
    t.equal(apply.status, 200, JSON.stringify(apply.body));
    const pods = await waitFor('8 camera-feed pods Running', async () => {
      const list = await get<List<Pod>>(hub, '/api/v1/namespaces/default/pods?labelSelector=app%3Dcamera-feed');
      return list.items.length === 8 && list.items.every((p) => p.status?.phase === 'Running') && list.items;
    });
    for (const pod of pods) {
      const device = pod.spec.nodeName ?? '';
      t.equal(expected.get(device)?.labels['role'], 'camera', `${pod.metadata.name} runs on ${device}, a camera`);
      t.match(pod.status?.containerStatuses?.[0]?.containerID, /[0-9a-f]{64}/, 'with a container id from the hollow engine');
    }
  });

  t.test('stopping the fleet takes every device NotReady, as agents that stopped', async (t) => {
    t.same(await fleet.stop(), { uncleanStops: 0 }, 'every agent stopped cleanly');
    t.equal(fleet.connected(), 0, 'the simulator counts none connected');
    const devices = await waitFor('20 devices NotReady', async () => {
      const list = await get<List<Device>>(hub, '/api/v1/devices');
      return list.items.every((d) => d.status?.state === 'NotReady') && list.items;
    }, 10_000);
    t.same(new Set(devices.map((d) => d.status?.message)), new Set(['agent stopped']), 'a graceful stop, not a lost connection');
  });
});
