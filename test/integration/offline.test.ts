/**
 * A device cut off from its hub keeps its own story: a container killed while the hub is
 * down is restarted by the agent, and once the hub is back the device's events arrive in the
 * order they happened, with the device's time, while nothing else on the device restarts.
 */
import t from 'tap';
import { applySleeperPod, cli, getJson, startAgent, startHub, waitFor, type HubProcess } from '../helpers/fleet.js';
import { podmanInspect, podmanKill } from '../helpers/podman.js';

function port(url: string): number {
  return Number(new URL(url).port);
}

async function startedAt(containerId: string): Promise<string> {
  const state = (await podmanInspect(containerId)).State as { Status: string; StartedAt?: string };
  return state.Status === 'running' ? (state.StartedAt ?? '') : '';
}

/** The container statuses of a pod as the hub has them now. */
async function containerOf(hub: HubProcess, pod: string): Promise<{ containerID?: string; restartCount: number; state: Record<string, unknown> } | undefined> {
  const found = (await getJson(hub, ['pods'])).items.find((p) => p.metadata.name === pod);
  return found?.status?.containerStatuses?.[0];
}

t.test('a container killed while the hub is down is restarted by the agent, and its story reaches the hub in order', async (t) => {
  const hub = await startHub(t);
  const agent = await startAgent(t, hub);
  const victim = await applySleeperPod(t, hub, 'victim', { restartPolicy: 'Always' });
  const bystander = await applySleeperPod(t, hub, 'bystander', { restartPolicy: 'Always' });
  const bystanderStarted = await startedAt(bystander.containerId);
  const victimStarted = await startedAt(victim.containerId);

  await hub.stop();
  await podmanKill(victim.containerId);
  const killedAt = Date.now();
  await waitFor('the agent to restart the killed container without the hub', async () => {
    const now = await startedAt(victim.containerId);
    return now !== '' && now !== victimStarted;
  }, 20_000, 100);
  // Long enough that the hub's clock tells the events' time apart from their arrival.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + 6_000 - Date.now())));

  const back = await startHub(t, {
    dataDir: hub.dataDir,
    httpPort: port(hub.apiUrl),
    mqttPort: port(hub.mqttUrl),
    mqttTlsPort: port(hub.mqttTlsUrl),
  });
  const restarted = await waitFor('the hub to see the restart', async () => {
    const container = await containerOf(back, 'victim');
    return container?.restartCount === 1 && container.state['running'] !== undefined ? container : undefined;
  }, 45_000);
  t.equal(restarted.containerID, victim.containerId, 'the same container was started again');

  const story = await waitFor('the restart in describe pod', async () => {
    const described = await cli(back, ['describe', 'pod', 'victim']);
    return /Restarted/.test(described.stdout) ? described.stdout : undefined;
  }, 20_000);
  const lines = story.split('\n');
  const exited = lines.findIndex((line) => /Warning\s+Error\s+.*container main exited with code 137 \(at \S+ on the device\)/.test(line));
  const restartedLine = lines.findIndex((line) => /Normal\s+Restarted\s+.*restarted container main \(restart 1\)/.test(line));
  t.ok(exited >= 0, 'describe pod shows the exit, with the time it happened on the device');
  t.ok(restartedLine > exited, 'and the restart after it');
  t.equal(lines.filter((line) => /Restarted/.test(line)).length, 1, 'one restart, told once');

  const other = await containerOf(back, 'bystander');
  t.equal(other?.containerID, bystander.containerId, 'the other pod keeps its container');
  t.equal(other?.restartCount, 0, 'and was not restarted');
  t.equal(await startedAt(bystander.containerId), bystanderStarted, 'Podman agrees: it ran all along');
  const otherStory = await cli(back, ['describe', 'pod', 'bystander']);
  t.notMatch(otherStory.stdout, /Restarted|exited with code/, 'nothing happened to it, and nothing says so');
  t.ok(agent.process.running, 'the agent kept running throughout');
});
