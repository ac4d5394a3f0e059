/**
 * Fault 2: the agent is killed, and started again while the hub is out of reach. It works
 * from its local state alone: the containers that still run are adopted (same ID, never
 * started again), one that crashed while no agent watched is started again with its restart
 * counted, and when the hub returns it learns all of that without anything restarting.
 */
import t from 'tap';
import { restartAgent, sleeperPodManifest, startAgent, startHub, waitFor } from '../helpers/fleet.js';
import { podmanKill } from '../helpers/podman.js';
import {
  diffFleet,
  engineContainers,
  reportRecovery,
  runningContainerOf,
  settleFleet,
  startClock,
  waitForSettledFleet,
} from './fault-kit.js';
import { applyManifests, deploymentManifest, deviceStateOf, restartHub, waitForRunningPods, type HubSettings } from './fleet-control.js';

t.test('an agent killed and started again with its hub out of reach adopts its running containers and restarts the crashed one from local state', async (t) => {
  const settings: HubSettings = { notReadyAfterSeconds: 4, offlineAfterSeconds: 8 };
  const hub = await startHub(t, settings);
  const agent = await startAgent(t, hub, { labels: 'role=fault-agent' });
  await waitFor('the device Ready', async () => (await deviceStateOf(hub, agent.name)) === 'Ready');
  await applyManifests(t, hub, [deploymentManifest('steady', 2), sleeperPodManifest('crasher', { restartPolicy: 'Always' })]);
  await waitForRunningPods(hub, 3);
  const before = await waitForSettledFleet(hub, [agent.name]);
  const crasher = runningContainerOf(before.containers, 'default/crasher');

  // The hub goes away, then the agent dies without a word, then a container crashes while
  // nothing watches it.
  await hub.stop();
  await agent.kill();
  await podmanKill(crasher?.id ?? '');
  await waitFor('the crashed container to be down', async () => runningContainerOf(await engineContainers([agent.name]), 'default/crasher') === undefined);

  const recovery = startClock();
  await restartAgent(t, hub, agent, 'role=fault-agent');
  const restored = await waitFor('every pod running again with no hub', async () => {
    const containers = await engineContainers([agent.name]);
    return containers.filter((c) => c.running).length === 3 ? containers : undefined;
  });
  const seconds = recovery();
  t.equal(runningContainerOf(restored, 'default/crasher')?.id, crasher?.id, 'the crashed container is started again, not replaced');
  for (const c of before.containers.filter((b) => b.pod !== 'default/crasher')) {
    const now = restored.find((r) => r.id === c.id);
    t.equal(now?.startedAt, c.startedAt, `pod ${c.pod} kept running untouched: adopted, not restarted`);
  }

  const second = await restartHub(t, hub, settings);
  await waitFor('the device Ready on the returned hub', async () => (await deviceStateOf(second, agent.name)) === 'Ready');
  // The count arrives with the device's reports after it reconnects: wait for it, then settle.
  const counted = await waitFor('the restart counted at the hub', async () => {
    const settled = await settleFleet(second, [agent.name]);
    return settled.snapshot.pods.find((p) => p.pod === 'default/crasher')?.containers[0]?.restartCount === 1 ? settled : undefined;
  }, 60_000, 1_000).catch(() => undefined);
  const settled = counted ?? (await settleFleet(second, [agent.name]));
  const after = settled.snapshot;
  t.equal(after.pods.find((p) => p.pod === 'default/crasher')?.containers[0]?.restartCount, 1, 'the restart made from local state is counted, and reported once the hub is back');
  reportRecovery(t, 'agent-restart-offline', seconds, diffFleet(before, after, { restarts: ['default/crasher'] }), settled);
});
