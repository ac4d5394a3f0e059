/**
 * A device whose agent stops goes NotReady, then Offline; when its agent comes back it goes
 * Ready again and its running containers are adopted, not restarted.
 *
 * The hub runs here with notReadyAfter 4 s and offlineAfter 8 s (defaults: 30 s and 90 s).
 * What a device does while its hub is away (a hub restart, a reboot with no hub) is the fault
 * suite's subject, in test/faults/.
 */
import t from 'tap';
import { applySleeperPod, cli, deviceState, getJson, restartAgent, startAgent, startHub, waitFor } from '../helpers/fleet.js';
import { podmanInspect } from '../helpers/podman.js';

t.test('a killed agent goes NotReady at once by its Last Will, then Offline, and comes back adopting its containers', async (t) => {
  const hub = await startHub(t, { notReadyAfterSeconds: 4, offlineAfterSeconds: 8 });
  const agent = await startAgent(t, hub, { labels: 'role=sensor' });
  await waitFor('the device Ready', async () => (await deviceState(hub, agent.name)) === 'Ready');
  const { containerId } = await applySleeperPod(t, hub, 'sensor-reader', { nodeSelector: { role: 'sensor' } });
  const startedAt = (await podmanInspect(containerId)).State as unknown as { StartedAt: string };

  const killedAt = Date.now();
  await agent.kill();
  await waitFor('NotReady', async () => (await deviceState(hub, agent.name)) === 'NotReady', 10_000, 100);
  // The message tells the Will ("connection lost") from the heartbeat timeout ("no heartbeat").
  const described = await cli(hub, ['describe', 'device', agent.name]);
  t.match(described.stdout, /connection lost \(MQTT Last Will\)/, 'NotReady comes from the Last Will, not the heartbeat timeout');
  await waitFor('Offline', async () => (await deviceState(hub, agent.name)) === 'Offline', 15_000, 200);
  t.ok(Date.now() - killedAt >= 7_000, 'Offline only after the offline threshold');
  t.equal((await podmanInspect(containerId)).State.Status, 'running', 'the container kept running without its agent');
  t.match((await cli(hub, ['describe', 'device', agent.name])).stdout, /Offline Since:\s+\S+Z \(\d+s ago\)/, 'describe tells since when it is Offline');

  await restartAgent(t, hub, agent, 'role=sensor');
  await waitFor('Ready again', async () => (await deviceState(hub, agent.name)) === 'Ready');
  // Give the agent a few reconcile passes to do anything it would wrongly do.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const after = await podmanInspect(containerId);
  t.equal(after.State.Status, 'running', 'the container still runs');
  t.equal((after.State as unknown as { StartedAt: string }).StartedAt, startedAt.StartedAt, 'it was adopted, not restarted');
  const again = (await getJson(hub, ['pods'])).items[0];
  t.equal(again?.status?.phase, 'Running');
  t.equal(again?.status?.containerStatuses[0].restartCount, 0, 'no restart was counted');
  const device = (await cli(hub, ['describe', 'device', agent.name])).stdout;
  t.notMatch(device, /Offline Since/, 'a device back online has no offline time');
  const desired = /Desired Generation:\s+(\d+)/.exec(device)?.[1];
  t.ok(desired, 'describe shows the generation the hub sent');
  t.match(device, new RegExp(`Applied Generation:\\s+${desired}\\n`), 'and that the device applied that one');
  const pod = (await cli(hub, ['describe', 'pod', 'sensor-reader'])).stdout;
  t.match(pod, new RegExp(`Started\\s+\\S+\\s+agent/${agent.name}\\s`), "the pod's start is told as its device's agent saw it");
});

t.test('a cleanly stopped agent says so: NotReady with "agent stopped"', async (t) => {
  const hub = await startHub(t, { notReadyAfterSeconds: 4, offlineAfterSeconds: 8 });
  const agent = await startAgent(t, hub);
  await waitFor('the device Ready', async () => (await deviceState(hub, agent.name)) === 'Ready');
  await agent.stop();
  await waitFor('NotReady', async () => (await deviceState(hub, agent.name)) === 'NotReady', 5_000, 100);
  const list = await getJson(hub, ['devices']);
  t.equal(list.items[0]?.status?.message, 'agent stopped');
});
