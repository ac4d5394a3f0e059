/**
 * How long a hub killed with SIGKILL takes to come back with 10,000 devices (and a pod on
 * each) in its store: from the start of the process until its API answers, and until every
 * controller has reconciled every key the store gave it at start ("controllers synced" in
 * the hub's log). The store is filled directly (see filled-store.ts); the hub is started once,
 * left to sync, killed, and started again on the same data directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fillStore } from './filled-store.js';
import { round, type Benchmark, type BenchContext, type Figure } from './framework.js';
import { adminAccess, call } from './hub-access.js';
import { Child, freePort, processUsage, sleep, waitFor } from './processes.js';

const MB = 1024 * 1024;

interface TimedStart {
  hub: Child;
  /** Seconds from spawning the process until GET /healthz answered 200. */
  apiSeconds: number;
  /** Seconds from spawning the process until the hub logged that its controllers synced. */
  syncedSeconds: number;
  /** How long the controllers took by the hub's own clock, from their start to synced, in ms. */
  controllersMs: number;
  /** How many keys the controllers were given at start. */
  keys: number;
}

interface SyncedLine {
  msg?: string;
  ms?: number;
  keys?: number;
}

/**
 * Starts a hub on `dataDir` and times it. The devices in the store are not connected, so the
 * hub is told they may stay silent for an hour: nothing else but the restart is measured.
 */
async function startTimedHub(ctx: BenchContext, dataDir: string): Promise<TimedStart> {
  const [port, mqttPort, mqttTlsPort] = [await freePort(), await freePort(), await freePort()];
  const spawnedAt = performance.now();
  let synced: { at: number; line: SyncedLine } | undefined;
  let pending = '';
  const hub = new Child(process.execPath, [
    ctx.cli, 'hub',
    '--data-dir', dataDir,
    '--http-host', '127.0.0.1',
    '--port', String(port),
    '--mqtt-host', '127.0.0.1',
    '--mqtt-port', String(mqttPort),
    '--mqtt-tls-port', String(mqttTlsPort),
    '--plain-mqtt',
    '--not-ready-after', '3600',
    '--offline-after', '7200',
    '--log-level', 'info',
  ]);
  hub.process.stderr?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      if (synced !== undefined || !text.includes('controllers synced')) continue;
      synced = { at: performance.now(), line: JSON.parse(text) as SyncedLine };
    }
  });
  try {
    const adminConfig = join(dataDir, 'admin.yaml');
    const apiAt = await waitFor('the hub API', async () => {
      if (!hub.running) throw new Error(`the hub exited: ${hub.output.slice(-2000)}`);
      if (!existsSync(adminConfig)) return undefined;
      // admin.yaml names the port of the hub that wrote it, the first one; this one has its own.
      const access = { ...adminAccess(adminConfig), server: `https://127.0.0.1:${port}` };
      const answer = await call(access, 'GET', '/healthz').catch(() => undefined);
      return answer?.status === 200 ? performance.now() : undefined;
    }, 300_000, 20);
    const done = await waitFor('the controllers to sync', () => {
      if (!hub.running) throw new Error(`the hub exited: ${hub.output.slice(-2000)}`);
      return synced;
    }, 300_000, 20);
    return {
      hub,
      apiSeconds: (apiAt - spawnedAt) / 1000,
      syncedSeconds: (done.at - spawnedAt) / 1000,
      controllersMs: done.line.ms ?? NaN,
      keys: done.line.keys ?? NaN,
    };
  } catch (error) {
    await hub.kill();
    throw error;
  }
}

export const hubRestart: Benchmark = {
  name: 'hub-restart',
  async run(ctx) {
    const devices = ctx.quick ? 1_000 : 10_000;
    const dataDir = join(ctx.workDir, 'hub');
    const filling = performance.now();
    const filled = await fillStore(dataDir, devices);
    ctx.log(`store filled with ${filled.devices} devices, ${filled.deployments} deployments and ${filled.pods} pods in ${round((performance.now() - filling) / 1000, 1)} s`);

    const first = await startTimedHub(ctx, dataDir);
    ctx.log(`first start: API in ${round(first.apiSeconds, 2)} s, controllers synced in ${round(first.syncedSeconds, 2)} s`);
    // Running as it would be when it dies: a moment after its start, its work done.
    await sleep(1_000);
    await first.hub.kill();

    const restart = await startTimedHub(ctx, dataDir);
    const rssBytes = processUsage(restart.hub.pid).rssBytes;
    await restart.hub.stop();
    ctx.log(`after SIGKILL: API in ${round(restart.apiSeconds, 2)} s, controllers synced in ${round(restart.syncedSeconds, 2)} s`);

    const label = `${devices.toLocaleString('en')} devices`;
    const contents = `${filled.devices} devices, ${filled.pods} running pods of ${filled.deployments} Deployments in the store`;
    return [
      {
        benchmark: 'hub-restart',
        name: `${label}: SIGKILL → API answering`,
        value: round(restart.apiSeconds, 2),
        unit: 's',
        reference: `first start on the same store ${round(first.apiSeconds, 2)} s`,
        note: `${contents}; from process start to GET /healthz 200`,
      },
      {
        benchmark: 'hub-restart',
        name: `${label}: SIGKILL → controllers synced`,
        value: round(restart.syncedSeconds, 2),
        unit: 's',
        reference: `first start ${round(first.syncedSeconds, 2)} s`,
        note: `every controller has reconciled the ${restart.keys} keys the store gave it at start (${Math.round(restart.controllersMs)} ms of that by the hub's clock)`,
      },
      {
        benchmark: 'hub-restart',
        name: `${label}: hub RSS after restart`,
        value: round(rssBytes / MB, 0),
        unit: 'MB',
      },
    ] satisfies Figure[];
  },
};
