/**
 * An agent started with a firmware profile, as a flashed device starts: the hub learns the
 * profile and the board, and offers pods only what the profile does not keep for the system.
 */
import { cpus } from 'node:os';
import t from 'tap';
import { loadFirmwareProfile } from '../../agent/profile.js';
import { parseCpu } from '../../shared/quantity.js';
import { cli, deviceState, startAgent, startHub, waitFor } from '../helpers/fleet.js';

// Its engine socket is the Podman API socket the tests run.
const PROFILE = 'industrial-pc-x86';

t.test('a device started with a firmware profile reports it, carries its board label and offers what it does not reserve', async (t) => {
  const hub = await startHub(t);
  const agent = await startAgent(t, hub, { flags: ['--profile', PROFILE] });
  await waitFor(`${agent.name} Ready`, async () => (await deviceState(hub, agent.name)) === 'Ready');

  const described = await cli(hub, ['describe', 'device', agent.name]);
  t.match(described.stdout, new RegExp(`Firmware Profile:\\s+${PROFILE}`));
  const device = JSON.parse((await cli(hub, ['get', 'device', agent.name, '-o', 'json'])).stdout) as {
    metadata: { labels: Record<string, string> };
    status: { capacity: { cpu: string } };
  };
  t.match(device.metadata.labels, { 'flotilla.io/board': PROFILE, role: 'test' }, "the profile's labels and the ones given");
  const reserved = parseCpu(loadFirmwareProfile(PROFILE).reserved.cpu);
  t.equal(parseCpu(device.status.capacity.cpu), cpus().length * 1000 - reserved, 'capacity less the reserve');
});

t.test('an unknown profile stops the agent with a message naming the profiles there are', async (t) => {
  const result = await cli(undefined, ['agent', '--profile', 'toaster-9000', '--name', 'nowhere']);
  t.not(result.code, 0);
  t.match(result.stderr, /toaster-9000/);
  t.match(result.stderr, /raspberry-pi-4/, 'the available profiles are listed');
});
