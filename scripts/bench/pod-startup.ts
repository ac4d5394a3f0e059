/**
 * Pod start-up latency on real Podman: a hub and one real agent, single pods applied one after
 * another, each timed from the apply request until the hub reports it Running with its
 * container ready. In the same run, a bare `podman run` of the same container gives the floor
 * this machine sets, and the ratio says what Flotilla adds on top of it.
 *
 * Also home to the Podman helpers the agent footprint benchmark shares.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { percentile } from '../../shared/percentile.js';
import { atMost, round, type BenchContext, type Benchmark, type Figure } from './framework.js';
import { api, applyObjects, startAgent, startHub, waitFor, type Child, type HubChild } from './processes.js';

const run = promisify(execFile);

const BENCHMARK = 'pod-startup';

export const PODMAN_SOCKET = '/run/podman/podman.sock';
export const BENCH_IMAGE = 'localhost/busybox:test';
/** The label the agent puts on every container it creates, naming its device. */
const DEVICE_LABEL = 'io.flotilla.device';

const GOAL_P99_SECONDS = 1.0;
const GOAL_RATIO = 1.5;
/** How often the hub is asked about a pod while it starts. */
const POLL_MS = 15;
const POD_TIMEOUT_MS = 30_000;

/** The pod-status fields the benchmarks read. */
export interface PodJson {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; message?: string }[];
    containerStatuses?: { ready: boolean; state?: Record<string, unknown> }[];
  };
}

export const podStartup: Benchmark = {
  name: BENCHMARK,
  async run(ctx: BenchContext): Promise<Figure[]> {
    await requirePodman();
    const count = ctx.quick ? 5 : 30;
    const device = benchDeviceName('startup');
    const bareNames: string[] = [];
    let hub: HubChild | undefined;
    let agent: Child | undefined;
    try {
      hub = await startHub(ctx.cli, join(ctx.workDir, 'hub'));
      agent = await startAgent(ctx.cli, hub, device, join(ctx.workDir, 'agent'), ['--heartbeat', '10']);
      await waitForDeviceReady(hub, agent, device);

      const latencies: number[] = [];
      const names: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = `startup-${i}`;
        names.push(name);
        latencies.push(await timeToRunning(hub, agent, name));
      }
      ctx.log(`apply → Running: ${latencies.map((s) => round(s, 3)).join(' ')} s`);
      await deletePods(hub, names);
      await waitForNoContainers(device);

      const bare: number[] = [];
      for (let i = 0; i < count; i++) {
        const name = `${device}-bare-${i}`;
        bareNames.push(name);
        bare.push(await timeBarePodmanRun(name));
      }
      ctx.log(`bare podman run: ${bare.map((s) => round(s, 3)).join(' ')} s`);
      await removeContainers(bareNames);

      return startupFigures(latencies, bare);
    } finally {
      await agent?.stop();
      await hub?.stop();
      // Whatever a failure left behind: the agent's containers and the bare ones.
      await removeContainers([...(await deviceContainerIds(device).catch(() => [])), ...bareNames]);
    }
  },
};

function startupFigures(latencies: number[], bare: number[]): Figure[] {
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const bareP50 = percentile(bare, 50);
  const bareP99 = percentile(bare, 99);
  const ratio = p99 / bareP99;
  const samples = `${latencies.length} pods, one at a time, image present`;
  // Nearest rank: below 100 samples the p99 is the slowest one.
  const tail = latencies.length < 100 ? '; p99 of so few samples is the slowest' : '';
  return [
    { benchmark: BENCHMARK, name: 'apply → Running p50', value: round(p50, 3), unit: 's', note: samples },
    {
      benchmark: BENCHMARK,
      name: 'apply → Running p99',
      value: round(p99, 3),
      unit: 's',
      goal: `≤ ${GOAL_P99_SECONDS.toFixed(1)} s`,
      met: atMost(p99, GOAL_P99_SECONDS),
      reference: 'Kubernetes SLO p99 ≤ 5 s; KubeEdge p99 4.09 s at 100k nodes',
      note: `${samples}${tail}`,
    },
    { benchmark: BENCHMARK, name: 'bare podman run p50', value: round(bareP50, 3), unit: 's', note: `${bare.length} runs of \`podman run -d --rm\`, same image and command` },
    { benchmark: BENCHMARK, name: 'bare podman run p99', value: round(bareP99, 3), unit: 's' },
    {
      benchmark: BENCHMARK,
      name: 'p99 / bare podman run p99',
      value: round(ratio, 2),
      unit: '×',
      goal: `≤ ${GOAL_RATIO.toFixed(1)}×`,
      met: atMost(ratio, GOAL_RATIO),
    },
  ];
}

/** Seconds from the apply request until the hub shows the pod Running with its container ready. */
async function timeToRunning(hub: HubChild, agent: Child, name: string): Promise<number> {
  const started = performance.now();
  await applyObjects(hub, [sleeperPod(name)]);
  let last: PodJson | undefined;
  const deadline = started + POD_TIMEOUT_MS;
  for (;;) {
    last = await api<PodJson>(hub, `/api/v1/namespaces/default/pods/${name}`);
    if (isRunningAndReady(last)) return (performance.now() - started) / 1000;
    if (performance.now() > deadline) {
      throw new Error(`pod ${name} not Running within ${POD_TIMEOUT_MS / 1000} s; last status ${JSON.stringify(last.status)}; agent said: ${tail(agent.output)}`);
    }
    await sleepMs(POLL_MS);
  }
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Seconds `podman run -d` takes to return, which it does once the container runs. */
async function timeBarePodmanRun(name: string): Promise<number> {
  const started = performance.now();
  await run('podman', ['run', '-d', '--rm', '--name', name, BENCH_IMAGE, 'sleep', '3600']);
  return (performance.now() - started) / 1000;
}

export function isRunningAndReady(pod: PodJson): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  return pod.status?.phase === 'Running' && statuses.length > 0 && statuses.every((c) => c.ready);
}

/** A pod that sleeps for an hour; it ignores SIGTERM as PID 1, so it is killed at once on delete. */
export function sleeperPod(name: string, extra: { labels?: Record<string, string> } = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: sleeperSpec(),
  };
}

export function sleeperSpec(): object {
  return {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'main', image: BENCH_IMAGE, command: ['sleep', '3600'] }],
  };
}

async function deletePods(hub: HubChild, names: string[]): Promise<void> {
  await api(hub, '/api/v1/delete', { method: 'POST', body: { items: names.map((name) => ({ kind: 'Pod', metadata: { name } })) } });
}

/** A device name no other run on this machine uses, so its containers are told apart. */
export function benchDeviceName(purpose: string): string {
  return `bench-${purpose}-${Math.random().toString(36).slice(2, 7)}`;
}

export async function waitForDeviceReady(hub: HubChild, agent: Child, device: string): Promise<void> {
  await waitFor(`device ${device} Ready`, async () => {
    if (!agent.running) throw new Error(`the agent exited: ${tail(agent.output)}`);
    const { items } = await api<{ items: { metadata: { name: string }; status?: { state?: string } }[] }>(hub, '/api/v1/devices');
    return items.some((d) => d.metadata.name === device && d.status?.state === 'Ready');
  }, 30_000);
}

/** Fails with what to do when Podman's API does not answer or the test image is missing. */
export async function requirePodman(): Promise<void> {
  if (!(await socketAnswers(PODMAN_SOCKET))) {
    throw new Error(`the Podman API does not answer at ${PODMAN_SOCKET}; run scripts/setup.sh first (\`npm run bench\` does)`);
  }
  try {
    await run('podman', ['image', 'exists', BENCH_IMAGE]);
  } catch {
    throw new Error(`the image ${BENCH_IMAGE} is missing; run scripts/setup.sh first (\`npm run bench\` does)`);
  }
}

function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Containers of the device, running or not, as the agent labelled them. */
export async function deviceContainerIds(device: string): Promise<string[]> {
  const { stdout } = await run('podman', ['ps', '--all', '--quiet', '--filter', `label=${DEVICE_LABEL}=${device}`]);
  return stdout.split('\n').filter(Boolean);
}

export async function waitForNoContainers(device: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`the containers of ${device} to be removed`, async () => (await deviceContainerIds(device)).length === 0, timeoutMs, 250);
}

/** Removes the containers by name or id, at once; ones already gone are fine. */
export async function removeContainers(namesOrIds: string[]): Promise<void> {
  if (namesOrIds.length === 0) return;
  await run('podman', ['rm', '--force', '--ignore', '--time', '0', ...namesOrIds]).catch(() => undefined);
}

function tail(output: string): string {
  return output.trim().split('\n').slice(-5).join(' | ') || '(nothing)';
}
