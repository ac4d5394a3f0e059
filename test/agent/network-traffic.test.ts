import t from 'tap';
import { isMainInterface, TrafficRates } from '../../agent/network-traffic.js';

t.test('counts wired, wireless and cellular interfaces, not loopback, bridges, container links or tunnels', async (t) => {
  const main = ['eth0', 'enp3s0', 'wlan0', 'wlp2s0', 'wwan0', 'end0'];
  const other = ['lo', 'docker0', 'podman0', 'cni-podman0', 'veth1a2b3c', 'br-4f2a', 'virbr0', 'flannel.1', 'cali12ab', 'tun0', 'wg0', 'tailscale0'];
  for (const iface of main) t.ok(isMainInterface({ iface, internal: false, virtual: false }), iface);
  for (const iface of other.slice(0, -1)) t.notOk(isMainInterface({ iface, internal: false, virtual: false }), iface);
  t.notOk(isMainInterface({ iface: 'tailscale0', internal: false, virtual: true }), 'whatever the kernel marks virtual');
  t.notOk(isMainInterface({ iface: 'eth0', internal: true, virtual: false }), 'whatever is internal');
});

t.test('rates are the bytes between two readings over the seconds between them', async (t) => {
  const rates = new TrafficRates();
  t.same(rates.next(1_000, 500, 0), { rxBytes: 1_000, txBytes: 500, rxBytesPerSecond: 0, txBytesPerSecond: 0 }, 'no rate from one reading');
  t.same(rates.next(61_000, 6_500, 60_000), { rxBytes: 61_000, txBytes: 6_500, rxBytesPerSecond: 1_000, txBytesPerSecond: 100 });
});

t.test('a counter that goes back (an interface gone or reset) is no traffic', async (t) => {
  const rates = new TrafficRates();
  rates.next(1_000_000, 1_000_000, 0);
  const after = rates.next(2_000, 1_010_000, 10_000);
  t.equal(after.rxBytesPerSecond, 0);
  t.equal(after.txBytesPerSecond, 1_000);
});
