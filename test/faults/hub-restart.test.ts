/**
 * Fault 1: the hub is stopped for a while, then started again. The device goes on without it:
 * what ran keeps running (same containers, never started again) and a pod that ended in the
 * meantime stays ended. Once the hub is back it shows that: status catches up, and nothing is
 * restarted by the reconnect or by the restarted hub's desired state.
 *
 * A container that crashes while the hub is away, and the events the hub gets about it
 * afterwards, are test/integration/offline.test.ts's subject.
 */
import t from 'tap';
import { sleeperPodManifest, startAgent, startHub, waitFor } from '../helpers/fleet.js';
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
import {
  applyManifests,
  deploymentManifest,
  DESIRED_STATE_HANDLED,
  deviceStateOf,
  restartHub,
  waitForRunningPods,
  watchOutput,
  type HubSettings,
} from './fleet-control.js';

/**
 * How long the hub stays away at least: longer than its NotReady threshold, so the restarted
 * hub finds the device's last contact older than that, as after any real outage.
 */
const OUTAGE_MS = 5_000;

t.test('a hub stopped for a while comes back to the same containers, and its status catches up with what happened meanwhile', async (t) => {
  const settings: HubSettings = { notReadyAfterSeconds: 4, offlineAfterSeconds: 8 };
  const hub = await startHub(t, settings);
  const agent = await startAgent(t, hub, { labels: 'role=fault-hub' });
  await waitFor('the device Ready', async () => (await deviceStateOf(hub, agent.name)) === 'Ready');
  await applyManifests(t, hub, [
    deploymentManifest('steady', 2),
    sleeperPodManifest('keeper', { restartPolicy: 'Always' }),
    sleeperPodManifest('one-shot', { restartPolicy: 'Never' }),
  ]);
  await waitForRunningPods(hub, 4);
  const before = await waitForSettledFleet(hub, [agent.name]);

  await hub.stop();
  const outage = startClock();
  // While the hub is away a pod's container dies for good (restartPolicy Never: the pod has
  // ended); the agent sees it with no hub to tell.
  const oneShot = runningContainerOf(before.containers, 'default/one-shot');
  await podmanKill(oneShot?.id ?? '');
  await waitFor('the one-shot container down', async () => runningContainerOf(await engineContainers([agent.name]), 'default/one-shot') === undefined);
  const away = OUTAGE_MS - outage() * 1000;
  if (away > 0) await new Promise((resolve) => setTimeout(resolve, away));

  const taken = watchOutput(agent.process, DESIRED_STATE_HANDLED);
  const recovery = startClock();
  const second = await restartHub(t, hub, settings);
  await waitFor('the device Ready on the restarted hub', async () => (await deviceStateOf(second, agent.name)) === 'Ready');
  // The restarted hub sends the device its document again: the agent must take it without
  // touching a container.
  await waitFor('the agent to take the restarted hub’s desired state', () => taken.count() > 0);
  const settled = await settleFleet(second, [agent.name]);
  const after = settled.snapshot;
  const seconds = recovery(settled.at);

  const ended = after.pods.find((p) => p.pod === 'default/one-shot');
  t.equal(ended?.phase, 'Failed', 'the hub shows the pod that ended while it was away as Failed');
  t.equal(ended?.containers[0]?.restartCount, 0, 'and not restarted: its policy is Never');
  reportRecovery(t, 'hub-restart', seconds, diffFleet(before, after, { restarts: ['default/one-shot'] }), settled);
});
