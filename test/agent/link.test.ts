/**
 * Reconnects are spread out from the very first one: 10,000 devices that lose their hub at the
 * same instant (a hub or broker restart) come back over seconds, not in one burst.
 */
import { createServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import t from 'tap';
import { AgentLink, DEFAULT_RECONNECT, reconnectDelay, type ReconnectPolicy } from '../../agent/link.js';
import { createLogger } from '../../shared/log.js';
import { Topics } from '../../shared/topics.js';

const FLEET = 10_000;

/** Devices per whole second of arrival, and the largest share any one second gets. */
function busiestSecond(arrivalsMs: number[]): { share: number; second: number } {
  const perSecond = new Map<number, number>();
  for (const at of arrivalsMs) perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
  let busiest = { share: 0, second: 0 };
  for (const [second, count] of perSecond) if (count / arrivalsMs.length > busiest.share) busiest = { share: count / arrivalsMs.length, second };
  return busiest;
}

/**
 * When each of `FLEET` simulated links gets back in, if they all lost the hub at 0 and it
 * accepts connections again from `hubBackMs` on: each link tries, fails while the hub is
 * down, and waits its next delay, exactly as AgentLink schedules it.
 */
function simulateFleet(hubBackMs: number, policy: ReconnectPolicy = DEFAULT_RECONNECT): number[] {
  const arrivals: number[] = [];
  for (let link = 0; link < FLEET; link++) {
    let at = 0;
    for (let attempt = 0; ; attempt++) {
      at += reconnectDelay(attempt, policy);
      if (at >= hubBackMs) break;
    }
    arrivals.push(at);
  }
  return arrivals;
}

t.test('the first reconnect after a lost link is drawn at random over the whole spread', async (t) => {
  const first = Array.from({ length: FLEET }, () => reconnectDelay(0, DEFAULT_RECONNECT));
  t.ok(Math.min(...first) < 100, `the earliest waits ${Math.min(...first)} ms`);
  t.ok(Math.max(...first) > DEFAULT_RECONNECT.spreadMs - 100, `the latest waits ${Math.max(...first)} ms`);
  t.ok(first.every((ms) => ms >= 0 && ms < DEFAULT_RECONNECT.spreadMs), 'none waits outside [0, spread)');
  const slots = new Set(first.map((ms) => Math.floor(ms / 100)));
  t.equal(slots.size, DEFAULT_RECONNECT.spreadMs / 100, 'links come back in every tenth of a second of the spread');
  t.equal(reconnectDelay(0, DEFAULT_RECONNECT, () => 0.5), DEFAULT_RECONNECT.spreadMs / 2, 'the draw decides the delay');
});

t.test('10,000 links that lost the hub together never put more than a quarter of the fleet in one second', async (t) => {
  // From a broker blip (back at once) to a long outage.
  for (const hubBackMs of [0, 500, 3_000, 10_000, 60_000, 300_000]) {
    const arrivals = simulateFleet(hubBackMs);
    const { share, second } = busiestSecond(arrivals);
    const spreadSeconds = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    t.ok(share <= 0.25, `hub back after ${hubBackMs / 1000}s: at most ${(share * 100).toFixed(1)}% arrive in second ${second}`);
    t.ok(spreadSeconds >= 4, `hub back after ${hubBackMs / 1000}s: arrivals spread over ${spreadSeconds.toFixed(1)} s`);
    const lastWait = Math.max(...arrivals) - hubBackMs;
    t.ok(lastWait <= DEFAULT_RECONNECT.maxMs, `hub back after ${hubBackMs / 1000}s: the last link is back ${(lastWait / 1000).toFixed(1)} s later`);
  }
});

t.test('later attempts keep the phase drawn first: at least the spread apart, doubling up to the maximum', async (t) => {
  const wait = (attempt: number) => reconnectDelay(attempt, DEFAULT_RECONNECT, () => 0.3);
  t.equal(wait(1), DEFAULT_RECONNECT.spreadMs, 'a retry waits the whole spread, whatever the draw');
  t.equal(wait(5), 2 * wait(4), 'then the wait doubles');
  t.equal(wait(30), DEFAULT_RECONNECT.maxMs, 'and stops at the maximum');
});

t.test('real links that lose their broker together reconnect after their own jittered delay, the first time too', async (t) => {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  });

  const policy: ReconnectPolicy = { spreadMs: 1_500, baseMs: 100, maxMs: 1_000 };
  const count = 10;
  const connectedAt = new Map<number, number[]>();
  const links = Array.from({ length: count }, (_, i) => {
    // Link i draws i/count: its reconnect is due i/count of the way through the spread.
    const link = new AgentLink({
      url: `mqtt://127.0.0.1:${port}`,
      device: `dev-${i}`,
      topics: new Topics(),
      firstBdSeq: 1,
      reconnect: policy,
      random: () => i / count,
      log: createLogger('test', 'silent'),
    });
    link.on('connected', () => connectedAt.set(i, [...(connectedAt.get(i) ?? []), Date.now()]));
    link.start();
    return link;
  });
  t.teardown(() => Promise.all(links.map((link) => link.stop())));
  const until = async (what: string, check: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await until('every link connected', () => connectedAt.size === count);

  const lostAt = Date.now();
  for (const socket of sockets) socket.destroy();
  await until('every link back', () => [...connectedAt.values()].every((times) => times.length === 2));
  const delays = links.map((_, i) => (connectedAt.get(i)?.[1] ?? 0) - lostAt);
  t.ok(delays[0]! < 1_000, `the link that drew 0 is back within ${delays[0]} ms`);
  t.ok(delays[count - 1]! >= policy.spreadMs * 0.9 - 50, `the link that drew 0.9 waited ${delays[count - 1]} ms`);
  for (let i = 1; i < count; i++) {
    t.ok(delays[i]! >= (policy.spreadMs * i) / count - 50, `link ${i} waited ${delays[i]} ms, its share of the spread`);
  }
});
