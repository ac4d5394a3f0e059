/**
 * Resource use for the heartbeat. CPU load and memory are cheap reads of /proc and go in
 * every beat; disk, temperature and network counters cost a process spawn or a sysfs walk on
 * some boards, so they are refreshed only every few beats (every minute at the default 10 s),
 * and the list of network interfaces more rarely still.
 */
import { uptime } from 'node:os';
import type { HeartbeatMessage } from '../shared/proto/codec.js';
import { isMainInterface, TrafficRates } from './network-traffic.js';

/** Where heartbeat figures come from: this machine, or a simulated device. */
export interface HeartbeatSource {
  sample(runningPods: number, bdSeq: number): Promise<HeartbeatMessage>;
}

type SystemInformation = typeof import('systeminformation');

const SLOW_FIGURES_EVERY = 6;
/** Interfaces come and go (a modem, a Wi-Fi dongle): looked for again every this many slow refreshes. */
const INTERFACES_EVERY = 10;

type SlowFigures = Pick<
  HeartbeatMessage,
  'diskUsedBytes' | 'diskTotalBytes' | 'temperatureCelsius' | 'networkRxBytes' | 'networkTxBytes' | 'networkRxBytesPerSecond' | 'networkTxBytesPerSecond'
>;

export class HeartbeatSampler implements HeartbeatSource {
  #si: SystemInformation | undefined;
  #beats = 0;
  #slowRefreshes = 0;
  #interfaces: string[] = [];
  readonly #traffic = new TrafficRates();
  #slow: SlowFigures = { diskUsedBytes: 0, diskTotalBytes: 0, temperatureCelsius: 0 };

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
    const [disks, temperature, traffic] = await Promise.all([
      si.fsSize().catch(() => []),
      si.cpuTemperature().catch(() => ({ main: null })),
      this.#networkTotals(si).catch(() => undefined),
    ]);
    const root = disks.find((d) => d.mount === '/') ?? disks[0];
    this.#slow = {
      diskUsedBytes: root?.used ?? 0,
      diskTotalBytes: root?.size ?? 0,
      temperatureCelsius: typeof temperature.main === 'number' ? round(temperature.main) : 0,
    };
    if (traffic !== undefined) {
      const figures = this.#traffic.next(traffic.rxBytes, traffic.txBytes, Date.now());
      this.#slow.networkRxBytes = figures.rxBytes;
      this.#slow.networkTxBytes = figures.txBytes;
      this.#slow.networkRxBytesPerSecond = figures.rxBytesPerSecond;
      this.#slow.networkTxBytesPerSecond = figures.txBytesPerSecond;
    }
  }

  /** Bytes received and sent over the main interfaces, summed; undefined when there is none. */
  async #networkTotals(si: SystemInformation): Promise<{ rxBytes: number; txBytes: number } | undefined> {
    if (this.#slowRefreshes++ % INTERFACES_EVERY === 0) {
      const found = await si.networkInterfaces();
      const list = Array.isArray(found) ? found : [found];
      this.#interfaces = list.filter(isMainInterface).map((facts) => facts.iface);
    }
    // Given no names, systeminformation would read its default interface, loopback included.
    if (this.#interfaces.length === 0) return undefined;
    const stats = await si.networkStats(this.#interfaces.join(','));
    let rxBytes = 0;
    let txBytes = 0;
    for (const interfaceStats of stats) {
      rxBytes += Number.isFinite(interfaceStats.rx_bytes) ? interfaceStats.rx_bytes : 0;
      txBytes += Number.isFinite(interfaceStats.tx_bytes) ? interfaceStats.tx_bytes : 0;
    }
    return { rxBytes, txBytes };
  }
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : 0;
}
