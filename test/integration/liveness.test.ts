/**
 * A device whose agent stops goes NotReady, then Offline; when its agent comes back it goes
 * Ready again and its running containers are adopted, not restarted.
 *
 * The hub runs here with notReadyAfter 4 s and offlineAfter 8 s (defaults: 30 s and 90 s).
 */
import t from 'tap';
import { applySleeperPod, cli, deviceState, getJson, restartAgent, startAgent, startHub, waitFor } from '../helpers/fleet.js';
import { podmanInspect, podmanStop } from '../helpers/podman.js';

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

t.test('a device keeps its state across a hub restart and its pods keep running', async (t) => {
  const hub = await startHub(t, { notReadyAfterSeconds: 4, offlineAfterSeconds: 8 });
  const agent = await startAgent(t, hub);
  await waitFor('the device Ready', async () => (await deviceState(hub, agent.name)) === 'Ready');
  const { containerId } = await applySleeperPod(t, hub, 'survivor');

  await hub.stop();
  const port = new URL(hub.apiUrl).port;
  const mqttPort = new URL(hub.mqttUrl).port;
  const second = await startHub(t, { dataDir: hub.dataDir, httpPort: Number(port), mqttPort: Number(mqttPort) });
  await waitFor('the device Ready on the new hub', async () => (await deviceState(second, agent.name)) === 'Ready', 30_000);
  const again = await waitFor('the pod still Running', async () => {
    const p = (await getJson(second, ['pods'])).items[0];
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  t.equal(again.status.containerStatuses[0].containerID, containerId, 'the same container serves the pod');
  t.equal((await podmanInspect(containerId)).State.Status, 'running');
});

t.test('a device that reboots with the hub out of reach starts its pods again from its own state', async (t) => {
  const hub = await startHub(t);
  const agent = await startAgent(t, hub);
  await waitFor('the device Ready', async () => (await deviceState(hub, agent.name)) === 'Ready');
  const { containerId } = await applySleeperPod(t, hub, 'autonomous');

  // The hub goes away, then the device loses power: agent and container stop.
  await hub.stop();
  await agent.kill();
  await podmanStop(containerId);
  t.equal((await podmanInspect(containerId)).State.Status, 'exited', 'the container is down, as after a power cut');

  await restartAgent(t, hub, agent);
  const back = await waitFor('the container running again with no hub', async () => {
    const state = (await podmanInspect(containerId)).State;
    return state.Status === 'running' ? state : undefined;
  });
  t.equal(back.Running, true, 'the agent restarted the pod from its local state');
});
