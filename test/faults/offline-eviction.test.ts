/**
 * Fault 6: a device goes Offline for longer than its Deployment pods tolerate. Those pods are
 * evicted and run again on another device, while the cut-off device, which cannot know, runs
 * its copies on. When it comes back, its agent removes those copies and leaves the rest
 * running: nothing runs twice, nothing restarts, nothing is lost (the pods that tolerate
 * longer, and the pod no Deployment controls, are still there on their containers).
 *
 * test/integration/eviction.test.ts covers the hub's side: when a pod is evicted, which pods
 * stay and why, and the Evicted events.
 */
import t from 'tap';
import { api, restartAgent, sleeperPodManifest, startAgent, startHub, waitFor, type HubProcess } from '../helpers/fleet.js';
import { diffFleet, engineContainers, reportRecovery, settleFleet, startClock, waitForSettledFleet } from './fault-kit.js';
import { applyManifests, deploymentManifest, deviceStateOf, waitForRunningPods, type HubSettings } from './fleet-control.js';

/** How long the moving pods put up with their device Offline. */
const TOLERATION_SECONDS = 3;
const UNREACHABLE = { key: 'flotilla.io/unreachable', operator: 'Exists', effect: 'NoExecute' };

interface PodList {
  items: { metadata: { name: string; uid: string }; spec: { nodeName?: string }; status?: { phase?: string } }[];
}

async function podsOf(hub: HubProcess, prefix: string): Promise<PodList['items']> {
  return (await api<PodList>(hub, '/api/v1/pods')).items.filter((p) => p.metadata.name.startsWith(prefix));
}

t.test('pods of a device Offline past their toleration move to another device, and when it returns nothing runs twice', async (t) => {
  const settings: HubSettings = { notReadyAfterSeconds: 2, offlineAfterSeconds: 4 };
  const hub = await startHub(t, settings);
  // The workload lands on the first device alone; the second joins once it runs.
  const first = await startAgent(t, hub, { labels: 'role=fault-evict' });
  await waitFor('the first device Ready', async () => (await deviceStateOf(hub, first.name)) === 'Ready');
  await applyManifests(t, hub, [
    deploymentManifest('mover', 2, {
      template: { nodeSelector: { role: 'fault-evict' }, terminationGracePeriodSeconds: 1, tolerations: [{ ...UNREACHABLE, tolerationSeconds: TOLERATION_SECONDS }] },
    }),
    // Says nothing about the taint: the default toleration (300 s) keeps it far longer than this test.
    deploymentManifest('patient', 1, { template: { nodeSelector: { role: 'fault-evict' } } }),
    sleeperPodManifest('pinned', { nodeName: first.name }),
  ]);
  await waitForRunningPods(hub, 4);
  const second = await startAgent(t, hub, { labels: 'role=fault-evict' });
  await waitFor('the second device Ready', async () => (await deviceStateOf(hub, second.name)) === 'Ready');
  const devices = [first.name, second.name];
  const before = await waitForSettledFleet(hub, devices);
  const movers = before.pods.filter((p) => p.owner === 'default/mover');
  t.same(movers.map((p) => p.device), [first.name, first.name], 'both moving pods start on the first device');

  await first.kill();
  const cutOff = startClock();
  await waitFor('the first device Offline', async () => (await deviceStateOf(hub, first.name)) === 'Offline', 20_000, 200);
  const moved = await waitFor('the moving pods Running on the second device', async () => {
    const pods = await podsOf(hub, 'mover-');
    return pods.length === 2 && pods.every((p) => p.spec.nodeName === second.name && p.status?.phase === 'Running') ? pods : undefined;
  }, 60_000, 250);
  const movedIn = cutOff();
  t.notOk(moved.some((p) => movers.some((m) => m.uid === p.metadata.uid)), 'they are new pods, made by the Deployment');
  const stillRunning = (await engineContainers([first.name])).filter((c) => c.running && c.pod.startsWith('default/mover-'));
  t.equal(stillRunning.length, 2, 'the cut-off device still runs the evicted pods: it cannot know yet');

  const recovery = startClock();
  await restartAgent(t, hub, first, 'role=fault-evict');
  await waitFor('the first device Ready again', async () => (await deviceStateOf(hub, first.name)) === 'Ready');
  const settled = await settleFleet(hub, devices);
  const seconds = recovery(settled.at);
  t.comment(`moved ${movedIn.toFixed(1)} s after the device was cut off (Offline after ${settings.offlineAfterSeconds} s, toleration ${TOLERATION_SECONDS} s)`);

  const after = settled.snapshot;
  reportRecovery(t, 'offline-eviction', seconds, diffFleet(before, after, { gone: movers.map((p) => p.pod) }), settled);
});
