/**
 * A hub with a simulated fleet, for the benchmarks that need thousands of devices: the hub
 * and the fleet simulator run as separate processes, so the hub's figures are its own.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './framework.js';
import { api, Child, processUsage, sleep, startHub, waitFor, type HubChild } from './processes.js';

export interface FleetRun {
  hub: HubChild;
  simulator: Child;
  devices: number;
  /** Seconds from starting the simulator until every device was Ready at the hub. */
  secondsToReady: number;
  /** The hub's RSS before any device connected. */
  idleHubRssBytes: number;
  stop(): Promise<void>;
}

export interface FleetRunOptions {
  devices: number;
  heartbeatSeconds: number;
  /** An external broker both the hub and the devices use; the hub's embedded one otherwise. */
  brokerUrl?: string;
  /** Simulated pod start time. */
  startDelayMs?: number;
  labels?: string;
  /** Seconds the hub gets to mark a silent device NotReady: generous, the simulator is busy. */
  notReadyAfterSeconds?: number;
}

interface DeviceList {
  items: { status?: { state?: string } }[];
}

export async function readyDevices(hub: Pick<HubChild, 'access'>): Promise<number> {
  const list = await api<DeviceList>(hub, '/api/v1/devices');
  return list.items.filter((d) => d.status?.state === 'Ready').length;
}

export async function startFleetRun(ctx: BenchContext, options: FleetRunOptions): Promise<FleetRun> {
  const notReadyAfter = String(options.notReadyAfterSeconds ?? Math.max(30, options.heartbeatSeconds * 3));
  const runDir = mkdtempSync(join(ctx.workDir, `fleet-${options.devices}-`));
  const hub = await startHub(ctx.cli, join(runDir, 'hub'), [
    '--not-ready-after', notReadyAfter,
    '--offline-after', String(Number(notReadyAfter) * 3),
    ...(options.brokerUrl ? ['--mqtt-url', options.brokerUrl] : []),
  ]);
  await sleep(1_000);
  const idleHubRssBytes = processUsage(hub.pid).rssBytes;
  const simulatorScript = join(ctx.cli, '..', '..', '..', 'scripts', 'fleet-simulator.js');
  const started = performance.now();
  const simulator = new Child(process.execPath, [
    '--max-old-space-size=4096',
    simulatorScript,
    '--hub', options.brokerUrl ?? hub.mqttUrl,
    '--devices', String(options.devices),
    '--heartbeat', String(options.heartbeatSeconds),
    '--state-dir', join(runDir, 'devices'),
    '--start-delay-ms', String(options.startDelayMs ?? 200),
    ...(options.labels ? ['--labels', options.labels] : []),
  ]);
  const stop = async () => {
    await simulator.stop();
    await hub.stop();
  };
  try {
    const timeoutMs = 60_000 + options.devices * 20;
    await waitFor(`${options.devices} simulated devices Ready`, async () => {
      if (!simulator.running) throw new Error(`the fleet simulator exited: ${simulator.output.slice(-2000)}`);
      return (await readyDevices(hub)) >= options.devices;
    }, timeoutMs, options.devices > 2000 ? 2000 : 500);
  } catch (error) {
    const ready = await readyDevices(hub).catch(() => 'unknown');
    await stop();
    throw new Error(`${(error as Error).message} (${ready} Ready); simulator said: ${simulator.output.slice(-600)}; hub said: ${hub.output.slice(-600)}`);
  }
  const secondsToReady = (performance.now() - started) / 1000;
  ctx.log(`${options.devices} devices Ready in ${secondsToReady.toFixed(1)} s`);
  return { hub, simulator, devices: options.devices, secondsToReady, idleHubRssBytes, stop };
}

/** The hub's heartbeat-delay percentiles (ms) from its stats. */
export async function heartbeatDelay(hub: Pick<HubChild, 'access'>): Promise<{ count: number; p50: number | null; p99: number | null }> {
  const stats = await api<{ heartbeatDelayMs?: { count: number; p50: number | null; p99: number | null } }>(hub, '/api/v1/stats');
  return stats.heartbeatDelayMs ?? { count: 0, p50: null, p99: null };
}

export { sleep };
