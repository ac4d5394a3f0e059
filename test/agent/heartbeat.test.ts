import { networkInterfaces } from 'node:os';
import t from 'tap';
import { HeartbeatSampler } from '../../agent/heartbeat.js';

// The main interfaces of this machine as Node sees them; the sampler asks systeminformation.
const physical = Object.entries(networkInterfaces()).some(([name, addresses]) => !/^(lo|docker|podman|cni-|veth|br-|virbr)/.test(name) && addresses?.some((a) => !a.internal));

t.test('a heartbeat counts the traffic of the main network interfaces, and its rate once counted twice', { skip: physical ? false : 'this machine has no network interface but loopback' }, async (t) => {
  const sampler = new HeartbeatSampler();
  const first = await sampler.sample(0, 1);
  t.ok((first.networkRxBytes ?? 0) > 0, 'bytes received since boot');
  t.equal(first.networkRxBytesPerSecond, 0, 'no rate from one reading');
  // Network counters are among the slow figures: read again on the sixth beat after.
  let later = first;
  for (let beat = 0; beat < 6; beat++) later = await sampler.sample(0, 1);
  t.ok((later.networkRxBytes ?? 0) >= (first.networkRxBytes ?? 0));
  t.ok(Number.isFinite(later.networkRxBytesPerSecond), 'a rate, possibly 0 on a quiet link');
  t.ok(later.memoryTotalBytes > 0 && later.uptimeSeconds > 0, 'the other figures are still there');
});
