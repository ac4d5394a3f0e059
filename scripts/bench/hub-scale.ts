/**
 * The hub at 1,000, 5,000 and 10,000 simulated devices heartbeating every 10 s: its CPU (% of
 * one core), its RSS, its memory per device, and how late heartbeats are when it takes them.
 */
import { atMost, round, type Benchmark, type Figure } from './framework.js';
import { heartbeatDelay, sleep, startFleetRun } from './fleet.js';
import { processUsage, sampleProcess } from './processes.js';

const MB = 1024 * 1024;

export const hubScale: Benchmark = {
  name: 'hub-scale',
  async run(ctx) {
    const sizes = ctx.quick ? [100, 300] : [1_000, 5_000, 10_000];
    // At least one heartbeat period, so every device beats inside the window.
    const windowMs = ctx.quick ? 10_000 : 30_000;
    const figures: Figure[] = [];
    for (const devices of sizes) {
      const run = await startFleetRun(ctx, { devices, heartbeatSeconds: 10 });
      try {
        // Let connection bursts and births settle, so the window sees the steady state.
        await sleep(ctx.quick ? 2_000 : 15_000);
        const sample = await sampleProcess(run.hub.pid, windowMs);
        const delay = await heartbeatDelay(run.hub);
        const simulator = processUsage(run.simulator.pid);
        const label = `${devices.toLocaleString('en')} devices`;
        const last = devices === sizes[sizes.length - 1];
        figures.push(
          {
            benchmark: 'hub-scale',
            name: `${label}: hub CPU`,
            value: round(sample.cpuPercent, 1),
            unit: '% core',
            ...(last && !ctx.quick ? { goal: '< 100 % at 10,000', met: atMost(sample.cpuPercent, 100) } : {}),
            note: `heartbeat 10 s; ${Math.round(run.secondsToReady)} s until all Ready`,
          },
          {
            benchmark: 'hub-scale',
            name: `${label}: hub RSS`,
            value: round(sample.rssBytes / MB, 0),
            unit: 'MB',
            ...(last && !ctx.quick ? { goal: '< 1,024 MB at 10,000', met: atMost(sample.rssBytes / MB, 1024) } : {}),
          },
          {
            benchmark: 'hub-scale',
            name: `${label}: memory per device`,
            value: round(Math.max(0, sample.rssBytes - run.idleHubRssBytes) / devices / 1024, 1),
            unit: 'KB',
            note: `(RSS − ${Math.round(run.idleHubRssBytes / MB)} MB of the hub with no device) ÷ devices`,
          },
          {
            benchmark: 'hub-scale',
            name: `${label}: heartbeat delay p99`,
            value: delay.p99,
            unit: 'ms',
            note: `p50 ${delay.p50 ?? 'n/a'} ms over the last ${Math.min(delay.count, 10_000)} heartbeats; simulator RSS ${Math.round(simulator.rssBytes / MB)} MB`,
          },
        );
      } finally {
        await run.stop();
      }
    }
    return figures;
  },
};
