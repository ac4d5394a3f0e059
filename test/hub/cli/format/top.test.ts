import t from 'tap';
import { formatRate, podTotals, topDevicesTable, topPodsTable } from '../../../../hub/cli/format/top.js';
import type { PodMetrics } from '../../../../shared/metrics.js';
import type { Device, DeviceUsage } from '../../../../shared/objects.js';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

function device(name: string, state: 'Ready' | 'NotReady' | 'Offline', usage?: Partial<DeviceUsage>): Device {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name },
    status: {
      state,
      capacity: { cpu: '4', memory: String(8 * GIB), pods: 110 },
      podCount: 3,
      ...(usage === undefined ? {} : { usage: { cpuPercent: 12.4, memoryUsedBytes: 2 * GIB, memoryTotalBytes: 8 * GIB, ...usage } }),
    },
  };
}

function rows(table: string): string[][] {
  return table.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));
}

t.test('top devices shows each figure of the last heartbeat, with rates of network traffic', async (t) => {
  const table = topDevicesTable([
    device('cam-1', 'Ready', {
      diskUsedBytes: 24 * GIB,
      diskTotalBytes: 32 * GIB,
      temperatureCelsius: 54.6,
      networkRxBytesPerSecond: 1.5 * MIB,
      networkTxBytesPerSecond: 300,
    }),
  ]);
  t.same(rows(table), [
    ['NAME', 'CPU%', 'MEMORY', 'MEMORY%', 'DISK%', 'TEMP', 'NET-RX', 'NET-TX', 'PODS'],
    ['cam-1', '12%', '2Gi', '25%', '75%', '55°C', '1.5Mi/s', '300/s', '3/110'],
  ]);
});

t.test('a device that is not Ready shows <unknown> rather than figures that are no longer true', async (t) => {
  const [, row] = rows(topDevicesTable([device('gone', 'Offline', {})]));
  t.same(row, ['gone', '<unknown>', '<unknown>', '<unknown>', '<unknown>', '<unknown>', '<unknown>', '<unknown>', '3/110']);
});

t.test('a figure the device does not measure shows <none>', async (t) => {
  const [, row] = rows(topDevicesTable([device('vm', 'Ready', {})]));
  t.same(row?.slice(4, 8), ['<none>', '<none>', '<none>', '<none>'], 'no disk, sensor or network counters');
});

t.test('top devices lists by name, or the busiest first with --sort-by', async (t) => {
  const fleet = [device('b', 'Ready', { cpuPercent: 10, memoryUsedBytes: 5 * GIB }), device('a', 'Ready', { cpuPercent: 80, memoryUsedBytes: 1 * GIB }), device('c', 'Offline', {})];
  t.same(rows(topDevicesTable(fleet)).slice(1).map((row) => row[0]), ['a', 'b', 'c']);
  t.same(rows(topDevicesTable(fleet, { sortBy: 'cpu' })).slice(1).map((row) => row[0]), ['a', 'b', 'c']);
  t.same(rows(topDevicesTable(fleet, { sortBy: 'memory' })).slice(1).map((row) => row[0]), ['b', 'a', 'c'], 'a device without figures last');
});

function metrics(namespace: string, name: string, device: string, containers: [string, string, string][]): PodMetrics {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name, namespace },
    timestamp: '2026-01-01T12:00:00Z',
    window: '30s',
    device,
    containers: containers.map(([container, cpu, memory]) => ({ name: container, usage: { cpu, memory } })),
  };
}

t.test("top pods sums a pod's containers into millicores and bytes in the unit that suits them", async (t) => {
  const web = metrics('default', 'web-1', 'cam-1', [
    ['main', '120m', `${40 * 1024}Ki`],
    ['sidecar', '5m', `${2 * 1024 + 512}Ki`],
  ]);
  t.same(podTotals(web), { cpuMillis: 125, memoryBytes: 42.5 * MIB });
  t.same(rows(topPodsTable([web], { allNamespaces: false })), [
    ['NAME', 'DEVICE', 'CPU(cores)', 'MEMORY(bytes)'],
    ['web-1', 'cam-1', '125m', '43Mi'],
  ]);
});

t.test('top pods -A names the namespace, and --containers shows a row per container', async (t) => {
  const items = [metrics('plant-3', 'db', 'gw-1', [['main', '7m', '2048Ki']]), metrics('default', 'web', 'cam-1', [['main', '1m', '1024Ki'], ['log', '0m', '512Ki']])];
  t.same(rows(topPodsTable(items, { allNamespaces: true })), [
    ['NAMESPACE', 'NAME', 'DEVICE', 'CPU(cores)', 'MEMORY(bytes)'],
    ['default', 'web', 'cam-1', '1m', '1.5Mi'],
    ['plant-3', 'db', 'gw-1', '7m', '2Mi'],
  ]);
  t.same(rows(topPodsTable(items, { allNamespaces: false, containers: true })), [
    ['POD', 'NAME', 'DEVICE', 'CPU(cores)', 'MEMORY(bytes)'],
    ['web', 'main', 'cam-1', '1m', '1Mi'],
    ['web', 'log', 'cam-1', '0m', '512Ki'],
    ['db', 'main', 'gw-1', '7m', '2Mi'],
  ]);
  t.same(rows(topPodsTable(items, { allNamespaces: false, sortBy: 'cpu' })).slice(1).map((row) => row[0]), ['db', 'web']);
});

t.test('rates read as bytes per second in binary units', async (t) => {
  t.equal(formatRate(512), '512/s');
  t.equal(formatRate(12 * 1024), '12Ki/s');
  t.equal(formatRate(undefined), '');
});
