import t from 'tap';
import { defaultAgentOptions } from '../../../../agent/config.js';
import { allocatable, loadFirmwareProfile, profileDefaults } from '../../../../agent/profile.js';
import { deviceNameFromHostname, resolveAgentOptions } from '../../../../hub/cli/options/agent-options.js';

t.test('the device name defaults to the host name made into a DNS label', (t) => {
  t.equal(deviceNameFromHostname('Pi-Kitchen.local'), 'pi-kitchen-local');
  t.equal(deviceNameFromHostname('__Edge__Box__'), 'edge-box');
  t.equal(deviceNameFromHostname('x'.repeat(70)), 'x'.repeat(63));
  t.equal(deviceNameFromHostname('???'), 'device');
  t.equal(resolveAgentOptions({}, defaultAgentOptions, {}, 'Cam_7').name, 'cam-7');
  t.end();
});

t.test('the state directory defaults to one per device name', (t) => {
  t.equal(resolveAgentOptions({ name: 'cam-7' }, defaultAgentOptions, {}).stateDir, '.flotilla/agent-cam-7');
  t.equal(resolveAgentOptions({ name: 'cam-7' }, defaultAgentOptions, { FLOTILLA_STATE_DIR: '/var/lib/flotilla' }).stateDir, '/var/lib/flotilla');
  t.end();
});

t.test('flags and FLOTILLA_* variables fill the agent options', (t) => {
  const options = resolveAgentOptions(
    { heartbeat: '2', runtimeEndpoint: '/run/podman/podman.sock' },
    defaultAgentOptions,
    { FLOTILLA_HUB: 'mqtt://hub.local:1883', FLOTILLA_DEVICE_NAME: 'gw-1', FLOTILLA_LABELS: 'role=gateway,site=a' },
  );
  t.equal(options.hubUrl, 'mqtt://hub.local:1883');
  t.equal(options.name, 'gw-1');
  t.same(options.labels, { role: 'gateway', site: 'a' });
  t.equal(options.heartbeatSeconds, 2);
  t.equal(options.runtimeEndpoint, '/run/podman/podman.sock');
  t.equal(options.backoffSeconds, defaultAgentOptions.backoffSeconds);
  t.end();
});

t.test('a bad device name, bad labels or a bad hub URL are usage errors naming the flag', (t) => {
  t.throws(() => resolveAgentOptions({ name: 'Cam_7' }, defaultAgentOptions, {}), { message: /^invalid --name "Cam_7": a device name must be lower-case/, exitCode: 2 });
  t.throws(() => resolveAgentOptions({ name: 'a', labels: 'role' }, defaultAgentOptions, {}), { message: /^invalid --labels "role"/, exitCode: 2 });
  t.throws(() => resolveAgentOptions({ name: 'a' }, defaultAgentOptions, { FLOTILLA_HUB: 'localhost:1883' }), {
    message: /^invalid --hub "localhost:1883" \(from FLOTILLA_HUB\)/,
  });
  t.throws(() => resolveAgentOptions({ name: 'a', heartbeat: 'often' }, defaultAgentOptions, {}), { message: /--heartbeat "often"/ });
  t.end();
});

t.test("a firmware profile sets the engine, socket, state directory, heartbeat, labels and reserves, and flags still win", (t) => {
  const pi = profileDefaults(loadFirmwareProfile('raspberry-pi-4'), defaultAgentOptions);
  const fromProfile = resolveAgentOptions({ name: 'pi-1' }, pi, {});
  t.equal(fromProfile.runtime, 'docker');
  t.equal(fromProfile.runtimeEndpoint, '/var/run/docker.sock');
  t.equal(fromProfile.stateDir, '/var/lib/flotilla', "the profile's directory, not one per name");
  t.match(fromProfile.labels, { 'flotilla.io/board': 'raspberry-pi-4', 'flotilla.io/arch': 'arm64' });
  t.equal(fromProfile.profile?.name, 'raspberry-pi-4');
  t.ok((fromProfile.profile?.reserved.memoryBytes ?? 0) > 0);

  const overridden = resolveAgentOptions(
    { name: 'pi-1', runtimeEndpoint: '/run/podman/podman.sock', labels: 'site=plant-3', stateDir: '/data/agent', heartbeat: '5' },
    pi,
    {},
  );
  t.equal(overridden.runtimeEndpoint, '/run/podman/podman.sock');
  t.equal(overridden.stateDir, '/data/agent');
  t.equal(overridden.heartbeatSeconds, 5);
  t.match(overridden.labels, { 'flotilla.io/board': 'raspberry-pi-4', site: 'plant-3' }, 'labels given add to the profile’s');
  t.end();
});

t.test('what a profile reserves is taken off the capacity the device offers, never below zero', (t) => {
  const host = { cpuMillis: 4000, memoryBytes: 4 * 1024 ** 3, pods: 110 };
  t.same(allocatable(host, { cpuMillis: 500, memoryBytes: 1024 ** 3 }), { cpuMillis: 3500, memoryBytes: 3 * 1024 ** 3, pods: 110 });
  t.same(allocatable(host, { cpuMillis: 8000, memoryBytes: 8 * 1024 ** 3 }), { cpuMillis: 0, memoryBytes: 0, pods: 110 });
  t.equal(allocatable(host, undefined), host);
  t.end();
});

t.test("a firmware profile's health thresholds go to the hub, and --health-thresholds overrides them one by one", (t) => {
  const pi = profileDefaults(loadFirmwareProfile('raspberry-pi-4'), defaultAgentOptions);
  t.same(resolveAgentOptions({ name: 'pi-1' }, pi, {}).health, { memoryPressurePercent: 90, diskPressurePercent: 85, highTemperatureCelsius: 75 });
  t.same(resolveAgentOptions({ name: 'pi-1', healthThresholds: 'memory=1, temperature=60' }, pi, {}).health, {
    memoryPressurePercent: 1,
    diskPressurePercent: 85,
    highTemperatureCelsius: 60,
  });
  t.equal(resolveAgentOptions({ name: 'dev' }, defaultAgentOptions, {}).health, undefined, "without a profile or the flag, the hub's");
  t.same(resolveAgentOptions({ name: 'dev' }, defaultAgentOptions, { FLOTILLA_HEALTH_THRESHOLDS: 'disk=70' }).health, { diskPressurePercent: 70 });
  t.throws(() => resolveAgentOptions({ name: 'dev', healthThresholds: 'memory=150' }, defaultAgentOptions, {}), { message: /memory must be a number above 0 and at most 100/ });
  t.throws(() => resolveAgentOptions({ name: 'dev', healthThresholds: 'fan=3' }, defaultAgentOptions, {}), { message: /"fan=3" is not a threshold: write memory=<number>,disk=<number>,temperature=<number>/ });
  t.end();
});

t.test('pod figures are reported every 30 s unless --pod-stats-interval says otherwise', (t) => {
  t.equal(resolveAgentOptions({ name: 'dev' }, defaultAgentOptions, {}).podStatsSeconds, 30);
  t.equal(resolveAgentOptions({ name: 'dev', podStatsInterval: '2' }, defaultAgentOptions, {}).podStatsSeconds, 2);
  t.throws(() => resolveAgentOptions({ name: 'dev', podStatsInterval: '0' }, defaultAgentOptions, {}), { message: /--pod-stats-interval "0"/ });
  t.end();
});
