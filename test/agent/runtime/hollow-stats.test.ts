import t from 'tap';
import { HollowEngine, HollowHeartbeat, HollowRuntime } from '../../../agent/runtime/hollow.js';
import { LABEL_DEVICE } from '../../../agent/runtime/runtime.js';

const GIB = 1024 ** 3;

t.test('a hollow device reports figures for its running containers only, each keeping its own', async (t) => {
  const engine = new HollowEngine();
  const runtime = new HollowRuntime({ device: 'h1', engine, startDelayMs: 0, random: () => 0.5 });
  const other = new HollowRuntime({ device: 'h2', engine, startDelayMs: 0 });
  const labels = (device: string) => ({ [LABEL_DEVICE]: device });
  const running = await runtime.create({ name: 'a', image: 'busybox', env: [], ports: [], labels: labels('h1') });
  await runtime.start(running);
  await runtime.create({ name: 'b', image: 'busybox', env: [], ports: [], labels: labels('h1') });
  await other.start(await other.create({ name: 'c', image: 'busybox', env: [], ports: [], labels: labels('h2') }));

  const first = await runtime.stats();
  t.same(first.map((s) => s.id), [running], "the created one is not running, the other is another device's");
  t.ok((first[0]?.cpuMillis ?? 0) > 0 && (first[0]?.memoryBytes ?? 0) > 0);
  t.same(await runtime.stats(), first, 'with the same draw, the same figures');
});

t.test('a hollow heartbeat counts network traffic that grows with time and running pods', async (t) => {
  let now = Date.parse('2026-01-01T12:00:00Z');
  const heartbeat = new HollowHeartbeat({ seed: 'h1', memoryTotalBytes: 4 * GIB, now: () => now });
  const idle = await heartbeat.sample(0, 1);
  now += 10_000;
  const busy = await heartbeat.sample(20, 1);
  t.ok((idle.networkRxBytes ?? 0) > 0, 'counted since boot');
  t.ok((busy.networkRxBytes ?? 0) > (idle.networkRxBytes ?? 0));
  t.ok((busy.networkRxBytesPerSecond ?? 0) > (idle.networkRxBytesPerSecond ?? 0), 'twenty pods move more bytes');
  const again = new HollowHeartbeat({ seed: 'h1', memoryTotalBytes: 4 * GIB, now: () => Date.parse('2026-01-01T12:00:00Z') });
  t.equal((await again.sample(0, 1)).networkRxBytes, idle.networkRxBytes, 'the same seed, the same device');
});
