/**
 * A fleet-wide rollout: one pod per simulated device (a Deployment whose pods each fill a
 * device, replicas = devices), then an image change, timed from apply until every device
 * runs the new pod. The update replaces all pods at once (maxUnavailable = replicas), as a
 * DaemonSet's rolling update with maxUnavailable 100 % would.
 */
import { atMost, round, type Benchmark, type Figure } from './framework.js';
import { sleep, startFleetRun } from './fleet.js';
import { api, applyObjects, waitFor, type HubChild } from './processes.js';

interface DeploymentStatusJson {
  status?: { replicas?: number; updatedReplicas?: number; readyReplicas?: number; observedGeneration?: number };
  metadata: { generation?: number };
}

function deployment(replicas: number, image: string): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'fleet-agent' },
    spec: {
      replicas,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: replicas } },
      template: {
        metadata: { labels: { app: 'fleet-agent' } },
        spec: {
          containers: [
            {
              name: 'main',
              image,
              command: ['sleep', 'infinity'],
              // Three of the simulated device's four cores: exactly one such pod fits a device.
              resources: { requests: { cpu: '3', memory: '64Mi' }, limits: { cpu: '3', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

async function allRunning(hub: HubChild, replicas: number): Promise<boolean> {
  const d = await api<DeploymentStatusJson>(hub, '/api/v1/namespaces/default/deployments/fleet-agent');
  const s = d.status;
  return (
    s?.observedGeneration === d.metadata.generation &&
    s?.replicas === replicas &&
    s?.updatedReplicas === replicas &&
    s?.readyReplicas === replicas
  );
}

export const rollout: Benchmark = {
  name: 'rollout',
  async run(ctx) {
    const devices = ctx.quick ? 200 : 10_000;
    const run = await startFleetRun(ctx, { devices, heartbeatSeconds: 10, startDelayMs: 200 });
    const figures: Figure[] = [];
    try {
      const timeoutMs = 120_000 + devices * 30;
      let started = performance.now();
      await applyObjects(run.hub, [deployment(devices, 'registry.local/fleet-agent:1.0')]);
      await waitFor('the first rollout', () => allRunning(run.hub, devices), timeoutMs, 500);
      const first = (performance.now() - started) / 1000;
      ctx.log(`first rollout: ${first.toFixed(1)} s`);
      await sleep(2_000);

      started = performance.now();
      await applyObjects(run.hub, [deployment(devices, 'registry.local/fleet-agent:1.1')]);
      await waitFor('the image change', () => allRunning(run.hub, devices), timeoutMs, 500);
      const update = (performance.now() - started) / 1000;
      const label = `${devices.toLocaleString('en')} devices`;
      figures.push(
        {
          benchmark: 'rollout',
          name: `${label}: image change → all Running`,
          value: round(update, 1),
          unit: 's',
          ...(ctx.quick ? {} : { goal: '≤ 30 s', met: atMost(update, 30) }),
          note: 'simulated pod start 200 ms',
        },
        {
          benchmark: 'rollout',
          name: `${label}: first apply → all Running`,
          value: round(first, 1),
          unit: 's',
        },
      );
    } finally {
      await run.stop();
    }
    return figures;
  },
};
