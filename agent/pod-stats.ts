/**
 * Per-pod CPU and memory for `flotilla top pods`: the engine's stats of the device's running
 * containers, grouped by the pod labels the agent put on them, sent on the podstats channel
 * on a cadence of their own (30 s by default), apart from the heartbeat: a stats sample costs
 * the engine a cgroup read per container, and some engines take a second to answer one.
 *
 * Only while the link is up (a figure kept while offline is stale once sent), one sample at a
 * time (a slow engine never piles them up), and no report while the device runs no container,
 * except the first, which tells the hub the last pods are gone.
 */
import type { Logger } from '../shared/log.js';
import type { PodStatsReportMessage, PodUsageMessage } from '../shared/proto/codec.js';
import { LABEL_CONTAINER, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, type ContainerStats } from './runtime/runtime.js';

export const DEFAULT_POD_STATS_SECONDS = 30;

export interface PodStatsOptions {
  /** The runtime's stats of this device's running containers. */
  sample(): Promise<ContainerStats[]>;
  publish(report: PodStatsReportMessage): Promise<void>;
  connected(): boolean;
  intervalSeconds: number;
  log: Logger;
}

/** Containers grouped into their pods, by the labels the agent created them with; others are left out. */
export function podUsageOf(stats: readonly ContainerStats[]): PodUsageMessage[] {
  const pods = new Map<string, PodUsageMessage>();
  for (const container of stats) {
    const { labels } = container;
    const name = labels[LABEL_POD_NAME];
    const uid = labels[LABEL_POD_UID];
    const containerName = labels[LABEL_CONTAINER];
    if (name === undefined || uid === undefined || containerName === undefined) continue;
    let pod = pods.get(uid);
    if (pod === undefined) {
      pod = { namespace: labels[LABEL_POD_NAMESPACE] ?? 'default', name, uid, containers: [] };
      pods.set(uid, pod);
    }
    pod.containers.push({ name: containerName, cpuMillis: container.cpuMillis, memoryBytes: container.memoryBytes });
  }
  return [...pods.values()];
}

export class PodStatsReporter {
  readonly #options: PodStatsOptions;
  #timer: NodeJS.Timeout | undefined;
  #sampling = false;
  /** Whether the last report listed any pod: an empty report is sent once, to say they are gone. */
  #lastHadPods = true;

  constructor(options: PodStatsOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.report(), this.#options.intervalSeconds * 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Samples and sends one report now, unless the link is down or a sample is already under way. */
  async report(): Promise<void> {
    if (this.#sampling || !this.#options.connected()) return;
    this.#sampling = true;
    try {
      const pods = podUsageOf(await this.#options.sample());
      if (pods.length === 0 && !this.#lastHadPods) return;
      this.#lastHadPods = pods.length > 0;
      await this.#options.publish({ pods, intervalSeconds: Math.round(this.#options.intervalSeconds), sampledAtMs: Date.now() });
    } catch (error) {
      this.#options.log.warn({ err: (error as Error).message }, 'pod stats not sent');
    } finally {
      this.#sampling = false;
    }
  }
}
