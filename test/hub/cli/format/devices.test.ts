import t from 'tap';
import { deviceTable } from '../../../../hub/cli/format/devices.js';
import type { Device } from '../../../../shared/objects.js';

const now = Date.parse('2026-01-01T12:00:00Z');

function camera(): Device {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name: 'cam-1', labels: { site: 'a', role: 'camera' }, creationTimestamp: '2025-12-31T12:00:00Z' },
    status: {
      state: 'Ready',
      lastSeen: '2026-01-01T11:59:57Z',
      podCount: 3,
      capacity: { cpu: '4', memory: '8053063680', pods: 110 },
      usage: { cpuPercent: 12.4, memoryUsedBytes: 312 * 1024 * 1024, memoryTotalBytes: 7.8 * 1024 ** 3 },
      info: { arch: 'arm64', os: 'linux', kernel: '6.1.0', hostname: 'cam-1', runtime: 'podman', runtimeVersion: '4.3.1', agentVersion: '0.1.0' },
    },
  };
}

t.test('a device row shows state, labels, arch, live cpu and memory, pods and when it was last heard', (t) => {
  const text = deviceTable([camera()], { wide: false, allNamespaces: false, now });
  const [header, row] = text.split('\n');
  t.same(header?.split(/ {3,}/), ['NAME', 'STATE', 'LABELS', 'ARCH', 'CPU', 'MEMORY', 'PODS', 'LAST-SEEN', 'AGE']);
  t.same(row?.split(/ {3,}/), ['cam-1', 'Ready', 'role=camera,site=a', 'arm64', '12%', '312Mi/7.8Gi', '3/110', '3s', '24h']);
  t.end();
});

t.test('a cordoned device says SchedulingDisabled, and missing figures print <none>', (t) => {
  const device: Device = { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'new-1' }, spec: { unschedulable: true } };
  const row = deviceTable([device], { wide: false, allNamespaces: false, now }).split('\n')[1];
  t.same(row?.split(/ {3,}/), ['new-1', 'Unknown,SchedulingDisabled', '<none>', '<none>', '<none>', '<none>', '0', '<none>', '<unknown>']);
  t.end();
});

t.test('the wide device table adds OS, runtime, agent and kernel', (t) => {
  const [header, row] = deviceTable([camera()], { wide: true, allNamespaces: false, now }).split('\n');
  t.same(header?.split(/ {3,}/).slice(-4), ['OS', 'RUNTIME', 'AGENT', 'KERNEL']);
  t.same(row?.split(/ {3,}/).slice(-4), ['linux', 'podman 4.3.1', '0.1.0', '6.1.0']);
  t.end();
});
