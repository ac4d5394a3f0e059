/**
 * Resource use for the heartbeat. CPU load and memory are cheap reads of /proc and go in
 * every beat; disk and temperature cost a process spawn or a sysfs walk on some boards, so
 * they are refreshed only every few beats.
 */
import { uptime } from 'node:os';
import type { HeartbeatMessage } from '../shared/proto/codec.js';

/** Where heartbeat figures come from: this machine, or a simulated device. */
export interface HeartbeatSource {
  sample(runningPods: number, bdSeq: number): Promise<HeartbeatMessage>;
}

type SystemInformation = typeof import('systeminformation');

const SLOW_FIGURES_EVERY = 6;

export class HeartbeatSampler implements HeartbeatSource {
  #si: SystemInformation | undefined;
  #beats = 0;
  #slow = { diskUsedBytes: 0, diskTotalBytes: 0, temperatureCelsius: 0 };

  async sample(runningPods: number, bdSeq: number): Promise<HeartbeatMessage> {
    // Loaded on first use: systeminformation is large and the agent's idle memory counts.
    this.#si ??= (await import('systeminformation')).default;
    const si = this.#si;
    if (this.#beats++ % SLOW_FIGURES_EVERY === 0) await this.#refreshSlow(si);
    const [load, memory] = await Promise.all([si.currentLoad(), si.mem()]);
    return {
      cpuPercent: round(load.currentLoad),
      // "active" leaves out page cache, which the kernel gives back under pressure.
      memoryUsedBytes: memory.active,
      memoryTotalBytes: memory.total,
      ...this.#slow,
      uptimeSeconds: Math.round(uptime()),
      runningPods,
      bdSeq,
      sentAtMs: Date.now(),
    };
  }

  async #refreshSlow(si: SystemInformation): Promise<void> {
    const [disks, temperature] = await Promise.all([
      si.fsSize().catch(() => []),
      si.cpuTemperature().catch(() => ({ main: null })),
    ]);
    const root = disks.find((d) => d.mount === '/') ?? disks[0];
    this.#slow = {
      diskUsedBytes: root?.used ?? 0,
      diskTotalBytes: root?.size ?? 0,
      temperatureCelsius: typeof temperature.main === 'number' ? round(temperature.main) : 0,
    };
  }
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : 0;
}
