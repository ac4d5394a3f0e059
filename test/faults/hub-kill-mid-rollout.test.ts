/**
 * Fault 4: the hub is killed (SIGKILL, no goodbye) in the middle of a rolling update. Started
 * again, it finishes the rollout where it stopped, and on the device: the pods it had made
 * before the kill are kept, their containers never started again; every old pod's container
 * is removed; nothing runs twice; a pod the rollout does not touch is never restarted.
 *
 * test/integration/hub-crash.test.ts covers the hub's side: every acknowledged write kept,
 * the rollout's generation completed with exactly its pods, one container each.
 */
import t from 'tap';
import { api, sleeperPodManifest, startAgent, startHub, waitFor, type HubProcess } from '../helpers/fleet.js';
import { diffFleet, engineContainers, reportRecovery, settleFleet, startClock, waitForSettledFleet } from './fault-kit.js';
import { applyManifests, deploymentManifest, deviceStateOf, restartHub, waitForRunningPods, type HubSettings } from './fleet-control.js';

const REPLICAS = 4;
const TEMPLATE_HASH = 'pod-template-hash';
/** One new pod at a time, no old one stopped before its successor is ready: the slowest rollout, the widest window. */
const STRATEGY = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
/**
 * `sleep` as PID 1 ignores SIGTERM, so each old pod would take its whole grace period to
 * stop; a short one keeps the rollout's steps quick without changing what is tested.
 */
const TEMPLATE = { terminationGracePeriodSeconds: 1 };

interface PodList {
  items: { metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string } }[];
}
interface DeploymentJson {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number };
}

async function webPods(hub: HubProcess): Promise<PodList['items']> {
  return (await api<PodList>(hub, '/api/v1/pods')).items.filter((p) => p.metadata.name.startsWith('web-'));
}

async function rolloutComplete(hub: HubProcess): Promise<boolean> {
  const d = await api<DeploymentJson>(hub, '/api/v1/namespaces/default/deployments/web');
  const s = d.status;
  return s?.observedGeneration === d.metadata.generation && s?.replicas === REPLICAS && s?.updatedReplicas === REPLICAS && s?.readyReplicas === REPLICAS;
}

t.test('a hub killed in the middle of a rollout finishes it after its restart, losing and duplicating nothing', async (t) => {
  const settings: HubSettings = { notReadyAfterSeconds: 4, offlineAfterSeconds: 8 };
  const hub = await startHub(t, settings);
  const agent = await startAgent(t, hub, { labels: 'role=fault-rollout' });
  await waitFor('the device Ready', async () => (await deviceStateOf(hub, agent.name)) === 'Ready');
  await applyManifests(t, hub, [deploymentManifest('web', REPLICAS, { strategy: STRATEGY, template: TEMPLATE, env: { VERSION: '1' } }), sleeperPodManifest('bystander')]);
  await waitForRunningPods(hub, REPLICAS + 1);
  await waitFor('the first rollout complete', () => rolloutComplete(hub));
  const before = await waitForSettledFleet(hub, [agent.name]);
  const oldPods = (await webPods(hub)).map((p) => `default/${p.metadata.name}`);
  const oldHash = (await webPods(hub))[0]?.metadata.labels?.[TEMPLATE_HASH];

  await applyManifests(t, hub, [deploymentManifest('web', REPLICAS, { strategy: STRATEGY, template: TEMPLATE, env: { VERSION: '2' } })]);
  // Killed once the rollout has begun and before it ends: new pods made, old ones left.
  const atKill = await waitFor('the rollout under way', async () => {
    const pods = await webPods(hub);
    const made = pods.filter((p) => p.metadata.labels?.[TEMPLATE_HASH] !== oldHash);
    const left = pods.filter((p) => p.metadata.labels?.[TEMPLATE_HASH] === oldHash);
    return made.length > 0 && left.length > 1 ? { made: made.map((p) => `default/${p.metadata.name}`), left: left.length } : undefined;
  }, 30_000, 50);
  await hub.process.kill();
  const containersAtKill = await engineContainers([agent.name]);
  t.comment(`killed with ${atKill.made.length} new pod(s) made and ${atKill.left} old one(s) left`);

  const recovery = startClock();
  const second = await restartHub(t, hub, settings);
  await waitFor('the rollout complete after the restart', () => rolloutComplete(second), 60_000, 250);
  const settled = await settleFleet(second, [agent.name]);
  const after = settled.snapshot;
  const seconds = recovery(settled.at);

  const newPods = new Set(after.pods.filter((p) => p.owner === 'default/web').map((p) => p.pod));
  for (const made of atKill.made) t.ok(newPods.has(made), `pod ${made}, made before the kill, is kept`);
  for (const c of containersAtKill.filter((c) => c.running && atKill.made.includes(c.pod))) {
    const now = after.containers.find((a) => a.id === c.id);
    t.ok(now?.running && now.startedAt === c.startedAt, `the container of ${c.pod}, running at the kill, runs on untouched`);
  }
  reportRecovery(t, 'hub-kill-mid-rollout', seconds, diffFleet(before, after, { gone: oldPods }), settled);
});
