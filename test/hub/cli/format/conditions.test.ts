import t from 'tap';
import { describeDevice } from '../../../../hub/cli/format/describe-device.js';
import { deviceState, deviceTable } from '../../../../hub/cli/format/devices.js';
import type { Device, DeviceCondition } from '../../../../shared/objects.js';

const now = Date.parse('2026-01-01T12:00:00Z');

function camera(conditions?: DeviceCondition[], options: { cordoned?: boolean; health?: NonNullable<Device['status']>['info'] } = {}): Device {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name: 'cam-1', creationTimestamp: '2025-12-31T12:00:00Z' },
    spec: { unschedulable: options.cordoned === true },
    status: { state: 'Ready', message: 'heartbeats on time', ...(conditions === undefined ? {} : { conditions }), ...(options.health === undefined ? {} : { info: options.health }) },
  };
}

const READY: DeviceCondition = { type: 'Ready', status: 'True', reason: 'AgentReady', message: 'heartbeats on time', lastTransitionTime: '2026-01-01T11:00:00Z' };
const MEMORY: DeviceCondition = {
  type: 'MemoryPressure',
  status: 'True',
  reason: 'MemoryAboveThreshold',
  message: 'memory 93% in use, at or above the 90% threshold',
  lastTransitionTime: '2026-01-01T11:58:00Z',
};

t.test('get devices shows the pressures a device is under after its state, as kubectl shows a cordon', async (t) => {
  t.equal(deviceState(camera([READY, MEMORY])), 'Ready,MemoryPressure');
  t.equal(deviceState(camera([READY, MEMORY, { type: 'HighTemperature', status: 'True' }], { cordoned: true })), 'Ready,MemoryPressure,HighTemperature,SchedulingDisabled');
  t.equal(deviceState(camera([READY, { ...MEMORY, status: 'False' }, { type: 'DiskPressure', status: 'Unknown' }])), 'Ready', 'only True counts');
  t.match(deviceTable([camera([READY, MEMORY])], { wide: false, allNamespaces: false, now }), /cam-1\s+Ready,MemoryPressure\s/);
});

t.test('describe device shows its conditions as a table, with when each changed', async (t) => {
  const text = describeDevice(camera([READY, MEMORY]), [], [], now);
  const lines = text.split('\n');
  const at = lines.indexOf('Conditions:');
  t.ok(at > 0, 'a Conditions block');
  t.match(lines[at + 1], /^\s+Type\s+Status\s+LastTransitionTime\s+Reason\s+Message$/);
  t.match(lines[at + 3], /^\s+Ready\s+True\s+2026-01-01T11:00:00Z \(60m ago\)\s+AgentReady\s+heartbeats on time$/);
  t.match(lines[at + 4], /^\s+MemoryPressure\s+True\s+2026-01-01T11:58:00Z \(2m ago\)\s+MemoryAboveThreshold\s+memory 93% in use, at or above the 90% threshold$/);
  t.match(describeDevice(camera(), [], [], now), /^Conditions:\s+<none>$/m, 'a device without conditions yet');
});

t.test("describe device names the thresholds the device reported, and leaves the rest to the hub's", async (t) => {
  const info = { arch: 'arm64', os: 'linux', kernel: '6.1', hostname: 'cam-1', runtime: 'docker', runtimeVersion: '24', agentVersion: '0.1.0', profile: 'raspberry-pi-4' };
  const full = describeDevice(camera([READY], { health: { ...info, health: { memoryPressurePercent: 90, diskPressurePercent: 85, highTemperatureCelsius: 75 } } }), [], [], now);
  t.match(full, /Health Thresholds:\s+memory 90%, disk 85%, temperature 75 °C\n/);
  const partial = describeDevice(camera([READY], { health: { ...info, health: { memoryPressurePercent: 1 } } }), [], [], now);
  t.match(partial, /Health Thresholds:\s+memory 1%; the hub's for the rest\n/);
  t.match(describeDevice(camera([READY], { health: info }), [], [], now), /Health Thresholds:\s+the hub's\n/);
});
