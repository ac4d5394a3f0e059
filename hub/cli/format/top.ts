/**
 * `flotilla top devices|pods`: live figures as kubectl top prints them. A device's come from
 * its last heartbeat (Device `status.usage`), a pod's from its device's last pod stats report
 * (PodMetrics). A device that is not Ready shows `<unknown>`: its last figures are not current.
 */
import type { PodMetrics } from '../../../shared/metrics.js';
import type { Device } from '../../../shared/objects.js';
import { formatMemory, parseCpu, parseMemory } from '../../../shared/quantity.js';
import { devicePods } from './devices.js';
import { alignColumns, orNone } from './table.js';

const UNKNOWN = '<unknown>';

export type TopSort = 'cpu' | 'memory';
export const TOP_SORTS: readonly TopSort[] = ['cpu', 'memory'];

function percentOf(used: number | undefined, total: number | undefined): string {
  if (used === undefined || total === undefined || total <= 0) return '';
  return `${Math.round((used / total) * 100)}%`;
}

/** `1.2Mi/s`; bytes below a kibibyte as they are: `512/s`. */
export function formatRate(bytesPerSecond: number | undefined): string {
  return bytesPerSecond === undefined ? '' : `${formatMemory(bytesPerSecond)}/s`;
}

/** A device's figures are shown only while they are current: while it is Ready. */
function currentUsage(device: Device) {
  return device.status?.state === 'Ready' ? device.status.usage : undefined;
}

function deviceSortKey(device: Device, sort: TopSort): number {
  const usage = currentUsage(device);
  if (usage === undefined) return -1;
  return sort === 'cpu' ? usage.cpuPercent : usage.memoryUsedBytes;
}

/** NAME CPU% MEMORY MEMORY% DISK% TEMP NET-RX NET-TX PODS, by name or by the busiest first. */
export function topDevicesTable(devices: readonly Device[], options: { sortBy?: TopSort } = {}): string {
  const sorted = [...devices].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const { sortBy } = options;
  if (sortBy !== undefined) sorted.sort((a, b) => deviceSortKey(b, sortBy) - deviceSortKey(a, sortBy));
  const rows = sorted.map((device) => {
    const usage = currentUsage(device);
    if (usage === undefined) return [device.metadata.name, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, devicePods(device)];
    return [
      device.metadata.name,
      `${Math.round(usage.cpuPercent)}%`,
      formatMemory(usage.memoryUsedBytes),
      percentOf(usage.memoryUsedBytes, usage.memoryTotalBytes),
      percentOf(usage.diskUsedBytes, usage.diskTotalBytes),
      usage.temperatureCelsius === undefined ? '' : `${Math.round(usage.temperatureCelsius)}°C`,
      formatRate(usage.networkRxBytesPerSecond),
      formatRate(usage.networkTxBytesPerSecond),
      devicePods(device),
    ];
  });
  return kubectlTable(['NAME', 'CPU%', 'MEMORY', 'MEMORY%', 'DISK%', 'TEMP', 'NET-RX', 'NET-TX', 'PODS'], rows);
}

/** A pod's figures summed over its containers: millicores (parseCpu's unit) and bytes. */
export function podTotals(metrics: PodMetrics): { cpuMillis: number; memoryBytes: number } {
  let cpuMillis = 0;
  let memoryBytes = 0;
  for (const container of metrics.containers) {
    cpuMillis += quantity(parseCpu, container.usage.cpu);
    memoryBytes += quantity(parseMemory, container.usage.memory);
  }
  return { cpuMillis: Math.round(cpuMillis), memoryBytes };
}

/** Millicores as kubectl top writes them. */
function cpuCell(millis: number): string {
  return `${Math.round(millis)}m`;
}

/** In the unit that suits the figure (`652Ki`, `42Mi`): kubectl's whole mebibytes would show a small edge pod as 0Mi. */
function memoryCell(bytes: number): string {
  return formatMemory(bytes);
}

/**
 * [NAMESPACE] NAME DEVICE CPU(cores) MEMORY(bytes), one row a pod; with `containers`, one row a
 * container: [NAMESPACE] POD NAME DEVICE CPU(cores) MEMORY(bytes).
 */
export function topPodsTable(items: readonly PodMetrics[], options: { allNamespaces: boolean; containers?: boolean; sortBy?: TopSort }): string {
  const sorted = [...items].sort(
    (a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name),
  );
  const { sortBy } = options;
  if (sortBy !== undefined) {
    sorted.sort((a, b) => {
      const left = podTotals(a);
      const right = podTotals(b);
      return sortBy === 'cpu' ? right.cpuMillis - left.cpuMillis : right.memoryBytes - left.memoryBytes;
    });
  }
  const namespace = (metrics: PodMetrics): string[] => (options.allNamespaces ? [metrics.metadata.namespace] : []);
  const head = options.allNamespaces ? ['NAMESPACE'] : [];
  if (options.containers === true) {
    const rows = sorted.flatMap((metrics) =>
      metrics.containers.map((container) => [
        ...namespace(metrics),
        metrics.metadata.name,
        container.name,
        metrics.device,
        cpuCell(quantity(parseCpu, container.usage.cpu)),
        memoryCell(quantity(parseMemory, container.usage.memory)),
      ]),
    );
    return kubectlTable([...head, 'POD', 'NAME', 'DEVICE', 'CPU(cores)', 'MEMORY(bytes)'], rows);
  }
  const rows = sorted.map((metrics) => {
    const totals = podTotals(metrics);
    return [...namespace(metrics), metrics.metadata.name, metrics.device, cpuCell(totals.cpuMillis), memoryCell(totals.memoryBytes)];
  });
  return kubectlTable([...head, 'NAME', 'DEVICE', 'CPU(cores)', 'MEMORY(bytes)'], rows);
}

/** A quantity from the hub, 0 when it cannot be read: one odd figure must not hide the others. */
function quantity(parse: (text: string) => number, text: string): number {
  try {
    return parse(text);
  } catch {
    return 0;
  }
}

/** As renderTable, but headers as written: kubectl top's read `CPU(cores)`, not `CPU(CORES)`. */
function kubectlTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return alignColumns([headers, ...rows.map((row) => headers.map((_, column) => orNone(row[column])))]);
}
