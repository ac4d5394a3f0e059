/**
 * Fault 3: a device reboots while its hub is out of reach. The agent dies, and the engine
 * comes back without the containers (removed, as an engine that cleans up on boot or a fresh
 * root filesystem leaves them) or with them stopped (as a power cut leaves them). The agent,
 * started again with no hub, restores every pod from its local state with the image already
 * on the device, even a pod whose image policy is Always with no registry in reach: stopped
 * containers are started again, removed ones made anew, each pod once.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { restartAgent, sleeperPodManifest, startAgent, startHub, waitFor } from '../helpers/fleet.js';
import { podmanStop } from '../helpers/podman.js';
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
  deviceStateOf,
  podManifest,
  restartHub,
  waitForRunningPods,
  type HubSettings,
} from './fleet-control.js';

const run = promisify(execFile);
const PODS = 5;

t.test('a device rebooted with its hub out of reach runs every pod again from local state, once each', async (t) => {
  const settings: HubSettings = { notReadyAfterSeconds: 4, offlineAfterSeconds: 8 };
  const hub = await startHub(t, settings);
  const agent = await startAgent(t, hub, { labels: 'role=fault-reboot' });
  await waitFor('the device Ready', async () => (await deviceStateOf(hub, agent.name)) === 'Ready');
  await applyManifests(t, hub, [
    deploymentManifest('steady', 2),
    sleeperPodManifest('survivor', { restartPolicy: 'Always' }),
    sleeperPodManifest('stopped', { restartPolicy: 'Always' }),
    // No registry answers here: this pod runs on the image the device already has.
    podManifest('always-pull', { container: { imagePullPolicy: 'Always' } }),
  ]);
  await waitForRunningPods(hub, PODS);
  const before = await waitForSettledFleet(hub, [agent.name]);
  const stopped = runningContainerOf(before.containers, 'default/stopped');

  // The hub goes away; the device loses power: the agent dies, one container is left
  // stopped, every other one is gone.
  await hub.stop();
  await agent.kill();
  await podmanStop(stopped?.id ?? '');
  const removed = before.containers.filter((c) => c.id !== stopped?.id);
  await run('podman', ['rm', '--force', ...removed.map((c) => c.id)]);
  const left = await engineContainers([agent.name]);
  t.same(left.map((c) => [c.id, c.running]), [[stopped?.id, false]], 'the device came back with one stopped container and nothing else');

  const recovery = startClock();
  await restartAgent(t, hub, agent, 'role=fault-reboot');
  const restored = await waitFor('every pod running again with no hub', async () => {
    const containers = await engineContainers([agent.name]);
    return containers.filter((c) => c.running).length === PODS ? containers : undefined;
  });
  const seconds = recovery();
  t.equal(runningContainerOf(restored, 'default/stopped')?.id, stopped?.id, 'the stopped container is started again, not made anew');
  for (const c of removed) {
    const now = runningContainerOf(restored, c.pod);
    t.ok(now !== undefined && now.id !== c.id, `pod ${c.pod} runs in a new container`);
  }
  t.equal(new Set(restored.map((c) => c.pod)).size, PODS, 'one container per pod');

  const second = await restartHub(t, hub, settings);
  await waitFor('the device Ready on the returned hub', async () => (await deviceStateOf(second, agent.name)) === 'Ready');
  const settled = await settleFleet(second, [agent.name]);
  const after = settled.snapshot;
  reportRecovery(t, 'reboot-offline', seconds, diffFleet(before, after, { restarts: before.containers.map((c) => c.pod) }), settled);
});
