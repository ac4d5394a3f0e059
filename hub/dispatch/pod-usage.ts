/**
 * Per-pod CPU and memory as each device last reported them on its podstats channel. Kept in
 * memory and replaced by every report, as heartbeat figures are: they change every few
 * seconds, and writing them to the store would cost a disk write per device per report.
 */
import type { Pod } from '../../shared/objects.js';
import type { ContainerUsageMessage, PodStatsReportMessage } from '../../shared/proto/codec.js';

/** Figures older than this many of the device's report intervals are gone (the device, or the pod). */
export const STALE_AFTER_INTERVALS = 3;

export interface PodUsage {
  containers: ContainerUsageMessage[];
  /** Hub clock, epoch ms, when the report arrived. */
  receivedAtMs: number;
  /** What the CPU figures are averaged over. */
  windowSeconds: number;
}

export type PodUsageLookup = (pod: Pod) => PodUsage | undefined;

interface DeviceReport {
  /** By `namespace/name`. */
  pods: Map<string, { uid: string; containers: ContainerUsageMessage[] }>;
  receivedAtMs: number;
  intervalSeconds: number;
}

export class PodUsageBook {
  readonly #reports = new Map<string, DeviceReport>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The device's report replaces its last one: a pod it no longer lists has stopped. */
  record(device: string, report: PodStatsReportMessage): void {
    const pods = new Map<string, { uid: string; containers: ContainerUsageMessage[] }>();
    for (const pod of report.pods) {
      pods.set(`${pod.namespace || 'default'}/${pod.name}`, { uid: pod.uid, containers: pod.containers });
    }
    this.#reports.set(device, { pods, receivedAtMs: this.#now(), intervalSeconds: Math.max(1, report.intervalSeconds) });
  }

  forget(device: string): void {
    this.#reports.delete(device);
  }

  /**
   * The pod's figures, when the device it is bound to reported them for this very pod (its
   * uid, not an earlier pod of the same name) recently enough to still hold.
   */
  of(pod: Pod): PodUsage | undefined {
    const device = pod.spec.nodeName;
    if (device === undefined) return undefined;
    const report = this.#reports.get(device);
    if (report === undefined) return undefined;
    if (this.#now() - report.receivedAtMs > STALE_AFTER_INTERVALS * report.intervalSeconds * 1000) return undefined;
    const reported = report.pods.get(`${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`);
    if (reported === undefined || reported.uid !== pod.metadata.uid) return undefined;
    return { containers: reported.containers, receivedAtMs: report.receivedAtMs, windowSeconds: report.intervalSeconds };
  }
}
