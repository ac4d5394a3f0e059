/**
 * CPU and memory of a container from one sample of the Docker Engine API's stats, which
 * Docker, Podman and balenaEngine all serve, each a little differently:
 *
 * - CPU comes as a counter (nanoseconds of CPU time since the container started). A rate needs
 *   two samples: the adapter's previous one of the container when it has one, so the figure is
 *   averaged over the report interval; else the engine's own previous one (`precpu_stats`,
 *   which Docker fills and Podman leaves empty); else the container's start.
 * - Memory is the working set, as kubelet and `docker stats` count it: usage less the
 *   inactive page cache (`inactive_file` on cgroup v2, `total_inactive_file` on v1), which the
 *   kernel takes back under pressure. Podman on cgroup v1 gives usage alone.
 */

/** The fields of an engine stats sample that are read; every one may be missing. */
export interface EngineStatsSample {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number | undefined> };
}

export function workingSetBytes(sample: EngineStatsSample): number {
  const usage = sample.memory_stats?.usage ?? 0;
  const stats = sample.memory_stats?.stats;
  const inactive = stats?.['inactive_file'] ?? stats?.['total_inactive_file'] ?? 0;
  return usage > inactive ? usage - inactive : 0;
}

/** The CPU counters of each container as last sampled, to turn the next sample into a rate. */
export class CpuSamples {
  readonly #last = new Map<string, { totalNs: number; atMs: number }>();

  /**
   * Millicores the container used since the previous sample (see the file's comment for
   * which previous sample). `nowMs` is when the sample was taken when the engine does not say.
   */
  cpuMillis(id: string, sample: EngineStatsSample, nowMs: number, startedAtMs?: number): number {
    const totalNs = sample.cpu_stats?.cpu_usage?.total_usage;
    if (totalNs === undefined || !Number.isFinite(totalNs)) return 0;
    const read = Date.parse(sample.read ?? '');
    const atMs = Number.isFinite(read) && read > 0 ? read : nowMs;
    const last = this.#last.get(id);
    this.#last.set(id, { totalNs, atMs });
    if (last !== undefined && atMs > last.atMs && totalNs >= last.totalNs) {
      return rate(totalNs - last.totalNs, atMs - last.atMs);
    }
    const engine = engineRate(sample);
    if (engine !== undefined) return engine;
    if (startedAtMs !== undefined && atMs > startedAtMs) return rate(totalNs, atMs - startedAtMs);
    return 0;
  }

  /** Forgets containers that are gone, so the memory does not grow with every container ever run. */
  retainOnly(ids: ReadonlySet<string>): void {
    for (const id of this.#last.keys()) if (!ids.has(id)) this.#last.delete(id);
  }

  get size(): number {
    return this.#last.size;
  }
}

/** Nanoseconds of CPU over milliseconds of wall time, in millicores. */
function rate(cpuNs: number, wallMs: number): number {
  return Math.max(0, Math.round(cpuNs / (wallMs * 1_000)));
}

/** From the engine's previous sample: share of the host's CPU time, times its cores. */
function engineRate(sample: EngineStatsSample): number | undefined {
  const total = sample.cpu_stats?.cpu_usage?.total_usage;
  const previous = sample.precpu_stats?.cpu_usage?.total_usage;
  const system = sample.cpu_stats?.system_cpu_usage;
  const previousSystem = sample.precpu_stats?.system_cpu_usage;
  const cores = sample.cpu_stats?.online_cpus;
  if (total === undefined || !previous || system === undefined || !previousSystem || !cores) return undefined;
  const cpuDelta = total - previous;
  const systemDelta = system - previousSystem;
  if (cpuDelta < 0 || systemDelta <= 0) return undefined;
  return Math.round((cpuDelta / systemDelta) * cores * 1000);
}
