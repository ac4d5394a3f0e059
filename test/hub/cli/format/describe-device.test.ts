import t from 'tap';
import { describeDevice } from '../../../../hub/cli/format/describe-device.js';
import type { Device, FlotillaEvent } from '../../../../shared/objects.js';

const now = Date.parse('2026-01-01T12:00:00Z');

function camera(status: Partial<NonNullable<Device['status']>>): Device {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name: 'cam-1', creationTimestamp: '2025-12-31T12:00:00Z' },
    status: { state: 'Ready', lastSeen: '2026-01-01T11:59:57Z', ...status },
  };
}

function field(text: string, name: string): string | undefined {
  return text
    .split('\n')
    .find((line) => line.startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .trim();
}

t.test('a device in step shows the generation it was sent and the same one applied', (t) => {
  const text = describeDevice(camera({ desiredGeneration: 1240, observedGeneration: 1240 }), [], [], now);
  t.equal(field(text, 'Desired Generation'), '1240');
  t.equal(field(text, 'Applied Generation'), '1240');
  t.end();
});

t.test('a device behind the hub shows it is catching up', (t) => {
  const text = describeDevice(camera({ desiredGeneration: 1240, observedGeneration: 1198 }), [], [], now);
  t.equal(field(text, 'Applied Generation'), '1198 (catching up)');
  t.end();
});

t.test('an Offline device shows since when, and a device online shows no such line', (t) => {
  const offline = describeDevice(camera({ state: 'Offline', offlineSince: '2026-01-01T11:55:00Z' }), [], [], now);
  t.equal(field(offline, 'Offline Since'), '2026-01-01T11:55:00Z (5m ago)');
  t.equal(field(describeDevice(camera({}), [], [], now), 'Offline Since'), undefined);
  t.end();
});

t.test("a device's own events say they came from its agent", (t) => {
  const event: FlotillaEvent = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'cam-1.abc', namespace: 'default' },
    involvedObject: { kind: 'Device', name: 'cam-1' },
    type: 'Warning',
    reason: 'OfflineUpdatesDropped',
    message: '3 updates dropped while offline',
    count: 1,
    firstTimestamp: '2026-01-01T11:59:00Z',
    lastTimestamp: '2026-01-01T11:59:00Z',
    source: 'agent/cam-1',
  };
  t.match(describeDevice(camera({}), [], [event], now), /OfflineUpdatesDropped\s+\S+\s+agent\/cam-1\s+3 updates dropped while offline/);
  t.end();
});

t.test("a device's taints show as kubectl prints them, with the unreachable one while it is Offline", (t) => {
  const device = camera({ state: 'Offline', offlineSince: '2026-01-01T11:55:00Z' });
  device.spec = { taints: [{ key: 'dedicated', value: 'cameras', effect: 'NoSchedule' }, { key: 'maintenance', effect: 'NoExecute' }] };
  const lines = describeDevice(device, [], [], now).split('\n');
  const at = lines.findIndex((line) => line.startsWith('Taints:'));
  t.same(
    lines.slice(at, at + 3).map((line) => line.replace(/^Taints:/, '').trim()),
    ['dedicated=cameras:NoSchedule', 'maintenance:NoExecute', 'flotilla.io/unreachable:NoExecute'],
  );
  t.equal(field(describeDevice(camera({}), [], [], now), 'Taints'), '<none>');
  t.end();
});
