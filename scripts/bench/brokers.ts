/**
 * The same simulated fleet against the hub with its embedded aedes and with Mosquitto as an
 * external broker: what each costs in CPU and memory, and how late heartbeats arrive.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { round, type Benchmark, type Figure } from './framework.js';
import { heartbeatDelay, sleep, startFleetRun, type FleetRun } from './fleet.js';
import { Child, freePort, processUsage, sampleProcess, waitFor } from './processes.js';

const MB = 1024 * 1024;

async function startMosquitto(workDir: string): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const config = join(workDir, 'mosquitto.conf');
  writeFileSync(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 10000', ''].join('\n'));
  const child = new Child('mosquitto', ['-c', config]);
  await waitFor('Mosquitto', () =>
    new Promise<boolean>((resolve) => {
      if (!child.running) return resolve(false);
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    }),
  10_000);
  return { child, url: `mqtt://127.0.0.1:${port}` };
}

async function measure(run: FleetRun, windowMs: number, brokerPid?: number) {
  const broker = brokerPid ? sampleProcess(brokerPid, windowMs) : undefined;
  const hub = await sampleProcess(run.hub.pid, windowMs);
  const delay = await heartbeatDelay(run.hub);
  return { hub, broker: await broker, delay };
}

export const brokers: Benchmark = {
  name: 'brokers',
  async run(ctx) {
    const devices = ctx.quick ? 100 : 2_000;
    const windowMs = ctx.quick ? 10_000 : 30_000;
    const settleMs = ctx.quick ? 2_000 : 10_000;
    const label = `${devices.toLocaleString('en')} devices`;
    const figures: Figure[] = [];

    const embedded = await startFleetRun(ctx, { devices, heartbeatSeconds: 10 });
    try {
      await sleep(settleMs);
      const { hub, delay } = await measure(embedded, windowMs);
      figures.push(
        { benchmark: 'brokers', name: `aedes (in the hub), ${label}: hub + broker CPU`, value: round(hub.cpuPercent, 1), unit: '% core', note: `${Math.round(embedded.secondsToReady)} s until all Ready` },
        { benchmark: 'brokers', name: `aedes (in the hub), ${label}: hub + broker RSS`, value: round(hub.rssBytes / MB, 0), unit: 'MB' },
        { benchmark: 'brokers', name: `aedes (in the hub), ${label}: heartbeat delay p99`, value: delay.p99, unit: 'ms' },
      );
    } finally {
      await embedded.stop();
    }

    const mosquitto = await startMosquitto(ctx.workDir);
    try {
      const external = await startFleetRun(ctx, { devices, heartbeatSeconds: 10, brokerUrl: mosquitto.url });
      try {
        await sleep(settleMs);
        const { hub, broker, delay } = await measure(external, windowMs, mosquitto.child.pid);
        const brokerRss = broker?.rssBytes ?? processUsage(mosquitto.child.pid).rssBytes;
        figures.push(
          {
            benchmark: 'brokers',
            name: `Mosquitto (external), ${label}: hub + broker CPU`,
            value: round(hub.cpuPercent + (broker?.cpuPercent ?? 0), 1),
            unit: '% core',
            note: `hub ${round(hub.cpuPercent, 1)} %, Mosquitto ${round(broker?.cpuPercent ?? 0, 1)} %; ${Math.round(external.secondsToReady)} s until all Ready`,
          },
          {
            benchmark: 'brokers',
            name: `Mosquitto (external), ${label}: hub + broker RSS`,
            value: round((hub.rssBytes + brokerRss) / MB, 0),
            unit: 'MB',
            note: `hub ${Math.round(hub.rssBytes / MB)} MB, Mosquitto ${Math.round(brokerRss / MB)} MB`,
          },
          { benchmark: 'brokers', name: `Mosquitto (external), ${label}: heartbeat delay p99`, value: delay.p99, unit: 'ms', note: 'no per-device topic ACL: Mosquitto runs without one here' },
        );
      } finally {
        await external.stop();
      }
    } finally {
      await mosquitto.child.stop();
    }
    return figures;
  },
};
