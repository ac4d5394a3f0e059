/**
 * Agent footprint: the resident memory of a real agent, idle and with 20 pods, and the bytes
 * it exchanges with the hub while idle. The agent reaches the hub's broker through a counting
 * TCP proxy, so every byte of its MQTT session is seen in both directions.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { defaultAgentOptions } from '../../agent/config.js';
import { atMost, round, type BenchContext, type Benchmark, type Figure } from './framework.js';
import {
  benchDeviceName,
  deviceContainerIds,
  isRunningAndReady,
  removeContainers,
  requirePodman,
  sleeperSpec,
  waitForDeviceReady,
  waitForNoContainers,
  type PodJson,
} from './pod-startup.js';
import { api, applyObjects, Child, processUsage, sleep, startHub, waitFor, type HubChild } from './processes.js';

const BENCHMARK = 'agent-footprint';

const GOAL_IDLE_RSS_MB = 45;
const GOAL_IDLE_KBITS = 0.1;
const PODS = 20;
const DEPLOYMENT = 'footprint';
const MB = 1024 * 1024;

interface Timing {
  /** How long the idle traffic is counted. */
  windowSeconds: number;
  /** After Ready the agent still loads and warms up; after its pods start it still reports them. */
  idleSettleMs: number;
  loadedSettleMs: number;
}

const FULL: Timing = { windowSeconds: 60, idleSettleMs: 10_000, loadedSettleMs: 10_000 };
const QUICK: Timing = { windowSeconds: 15, idleSettleMs: 3_000, loadedSettleMs: 3_000 };

export const agentFootprint: Benchmark = {
  name: BENCHMARK,
  async run(ctx: BenchContext): Promise<Figure[]> {
    await requirePodman();
    const timing = ctx.quick ? QUICK : FULL;
    const device = benchDeviceName('footprint');
    let hub: HubChild | undefined;
    let proxy: CountingProxy | undefined;
    let agent: Child | undefined;
    try {
      hub = await startHub(ctx.cli, join(ctx.workDir, 'hub'));
      proxy = await CountingProxy.start(new URL(hub.mqttUrl));
      agent = startAgentThrough(ctx, proxy, device);
      await waitForDeviceReady(hub, agent, device);
      await sleep(timing.idleSettleMs);

      const idle = await measureIdle(agent, proxy, timing.windowSeconds);
      ctx.log(`idle: ${round(idle.rss.last / MB, 1)} MB RSS; ${idle.up} B up and ${idle.down} B down in ${round(idle.seconds, 1)} s`);
      const loadedRss = await measureWithPods(ctx, hub, agent, device, timing.loadedSettleMs);
      const bareRuntimeRss = await bareNodeRss();
      return footprintFigures({ ...idle, loadedRss, bareRuntimeRss, settleSeconds: timing.idleSettleMs / 1000 });
    } finally {
      await agent?.stop();
      await proxy?.close();
      await hub?.stop();
      await removeContainers(await deviceContainerIds(device).catch(() => []));
    }
  },
};

/** A real agent, as a user starts it, whose MQTT session goes through the proxy; its heartbeat is the default. */
function startAgentThrough(ctx: BenchContext, proxy: CountingProxy, device: string): Child {
  return new Child(process.execPath, [
    ctx.cli, 'agent',
    '--hub', proxy.url,
    '--name', device,
    '--labels', `bench=${device}`,
    '--state-dir', join(ctx.workDir, 'agent'),
    '--log-level', 'warn',
  ]);
}

/**
 * Counts the idle session's bytes over the window. Memory is read through the window too: the
 * agent stays idle, and the longer it has been so, the less start-up garbage is in the reading.
 */
async function measureIdle(agent: Child, proxy: CountingProxy, windowSeconds: number): Promise<Omit<Measured, 'loadedRss' | 'bareRuntimeRss' | 'settleSeconds'>> {
  proxy.reset();
  const samples: number[] = [];
  const started = performance.now();
  const ends = started + windowSeconds * 1000;
  while (performance.now() < ends) {
    await sleep(Math.min(1_000, ends - performance.now()));
    samples.push(processUsage(agent.pid).rssBytes);
  }
  const seconds = (performance.now() - started) / 1000;
  const rss = { last: samples.at(-1) ?? 0, least: Math.min(...samples), most: Math.max(...samples) };
  return { rss, ...proxy.counted(), seconds };
}

/** The agent's RSS once its pods run and it has settled; the pods are removed again afterwards. */
async function measureWithPods(ctx: BenchContext, hub: HubChild, agent: Child, device: string, settleMs: number): Promise<number> {
  const applied = performance.now();
  await applyObjects(hub, [sleeperDeployment(device)]);
  await waitFor(`${PODS} pods Running`, async () => {
    if (!agent.running) throw new Error(`the agent exited: ${agent.output.trim().split('\n').slice(-5).join(' | ')}`);
    const { items } = await api<{ items: PodJson[] }>(hub, `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${DEPLOYMENT}`)}`);
    return items.filter(isRunningAndReady).length === PODS;
  }, 120_000, 250);
  ctx.log(`${PODS} pods Running ${round((performance.now() - applied) / 1000, 1)} s after apply`);
  await sleep(settleMs);
  const rss = processUsage(agent.pid).rssBytes;
  ctx.log(`with ${PODS} pods: ${round(rss / MB, 1)} MB RSS`);

  const deleted = performance.now();
  await api(hub, `/api/v1/namespaces/default/deployments/${DEPLOYMENT}`, { method: 'DELETE' });
  await waitForNoContainers(device);
  ctx.log(`containers removed ${round((performance.now() - deleted) / 1000, 1)} s after delete`);
  return rss;
}

interface Measured {
  /** Agent RSS over the idle window: at its end, lowest and highest. */
  rss: { last: number; least: number; most: number };
  loadedRss: number;
  bareRuntimeRss: number;
  /** Bytes agent → hub and hub → agent over the idle window. */
  up: number;
  down: number;
  seconds: number;
  settleSeconds: number;
}

/** What Node.js itself takes on this machine, doing nothing: the floor under any agent written for it. */
async function bareNodeRss(): Promise<number> {
  const idle = new Child(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  try {
    await sleep(1_000);
    return processUsage(idle.pid).rssBytes;
  } finally {
    await idle.stop();
  }
}

function footprintFigures(m: Measured): Figure[] {
  const perMinute = (bytes: number) => (bytes * 60) / m.seconds;
  const kbits = ((m.up + m.down) * 8) / 1000 / m.seconds;
  const heartbeatSeconds = defaultAgentOptions.heartbeatSeconds;
  const heartbeat = `heartbeat every ${heartbeatSeconds} s (the default)`;
  const counted = `MQTT bytes on the TCP stream over ${Math.round(m.seconds)} s, not IP/TCP headers; ${heartbeat}`;
  return [
    {
      benchmark: BENCHMARK,
      name: 'agent RSS idle',
      value: round(m.rss.last / MB, 1),
      unit: 'MB',
      goal: `≤ ${GOAL_IDLE_RSS_MB} MB`,
      met: atMost(m.rss.last / MB, GOAL_IDLE_RSS_MB),
      reference: 'EdgeCore 61–74 MB; balena supervisor ~45 MB; K3s agent ~270 MB',
      note: `no pods, ${Math.round(m.settleSeconds + m.seconds)} s after Ready; ${round(m.rss.least / MB, 1)}–${round(m.rss.most / MB, 1)} MB over the last ${Math.round(m.seconds)} s`,
    },
    {
      benchmark: BENCHMARK,
      name: 'bare Node.js RSS',
      value: round(m.bareRuntimeRss / MB, 1),
      unit: 'MB',
      note: `node -e with an idle timer, ${process.version}: the floor the agent's own code and libraries sit on`,
    },
    {
      benchmark: BENCHMARK,
      name: `agent RSS with ${PODS} pods`,
      value: round(m.loadedRss / MB, 1),
      unit: 'MB',
      note: `a Deployment of ${PODS} sleeping busybox pods, all Running`,
    },
    { benchmark: BENCHMARK, name: 'idle traffic agent → hub', value: round(perMinute(m.up), 0), unit: 'B/min', note: counted },
    { benchmark: BENCHMARK, name: 'idle traffic hub → agent', value: round(perMinute(m.down), 0), unit: 'B/min' },
    {
      benchmark: BENCHMARK,
      name: 'idle traffic, both directions',
      value: round(kbits, 3),
      unit: 'kbit/s',
      goal: `≤ ${GOAL_IDLE_KBITS} kbit/s`,
      met: atMost(kbits, GOAL_IDLE_KBITS),
      reference: 'KubeEdge ~0.25 kbit/s per idle node',
      // A short window holds few heartbeats, so one more or less moves the figure a lot.
      note: `per device; the window spans ${round(m.seconds / heartbeatSeconds, 1)} heartbeat periods`,
    },
  ];
}

/** 20 sleepers pinned to the benchmark's device by the label its agent announces. */
function sleeperDeployment(device: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DEPLOYMENT },
    spec: {
      replicas: PODS,
      selector: { matchLabels: { app: DEPLOYMENT } },
      template: {
        metadata: { labels: { app: DEPLOYMENT } },
        spec: { ...sleeperSpec(), nodeSelector: { bench: device } },
      },
    },
  };
}

/**
 * A TCP proxy in front of the broker that counts what passes each way: bytes of the MQTT
 * stream (packets with their fixed headers), not the IP and TCP headers around them.
 */
class CountingProxy {
  #up = 0;
  #down = 0;
  readonly #sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: URL): Promise<CountingProxy> {
    const host = target.hostname;
    const port = Number(target.port);
    let proxy: CountingProxy | undefined;
    const server = createServer((client) => proxy?.relay(client, host, port));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const listening = typeof address === 'object' && address ? address.port : 0;
    proxy = new CountingProxy(server, `mqtt://127.0.0.1:${listening}`);
    return proxy;
  }

  /** Agent → hub and hub → agent bytes since the last reset. */
  counted(): { up: number; down: number } {
    return { up: this.#up, down: this.#down };
  }

  reset(): void {
    this.#up = 0;
    this.#down = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => (this.#up += chunk.length));
    upstream.on('data', (chunk: Buffer) => (this.#down += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side going away ends the session, as a broken link would.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
