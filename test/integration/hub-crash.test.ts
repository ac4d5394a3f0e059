/**
 * A hub killed with SIGKILL, as a crash or a power cut would stop it, comes back with every
 * write it acknowledged, and its controllers pick up where they were: a rollout that was
 * under way completes, with no pod lost and none duplicated, on real agents and Podman.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { call } from '../../scripts/bench/hub-access.js';
import { api, getJson, startAgent, startHub, waitFor, type HubProcess } from '../helpers/fleet.js';
import { DEVICE_LABEL, TEST_IMAGE } from '../helpers/podman.js';

const run = promisify(execFile);

/** A hub on the same data directory and ports as `hub`, which was killed. */
function restartHub(test: Parameters<typeof startHub>[0], hub: HubProcess): Promise<HubProcess> {
  return startHub(test, {
    dataDir: hub.dataDir,
    httpPort: Number(new URL(hub.apiUrl).port),
    mqttPort: Number(new URL(hub.mqttUrl).port),
    mqttTlsPort: Number(new URL(hub.mqttTlsUrl).port),
  });
}

// ---- applies

type Plural = 'pods' | 'deployments' | 'secrets';

function manifest(plural: Plural, name: string, version: number): Record<string, unknown> {
  const metadata = { name, labels: { version: String(version) } };
  // Pods that fit no device: the scheduler writes their conditions too, as it would in use.
  const spec = { nodeSelector: { nowhere: 'true' }, containers: [{ name: 'main', image: TEST_IMAGE, command: ['sleep', '3600'] }] };
  switch (plural) {
    case 'pods':
      return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
    case 'deployments':
      return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { replicas: 2, template: { metadata: { labels: { app: name } }, spec } } };
    case 'secrets':
      return { apiVersion: 'v1', kind: 'Secret', metadata, stringData: { token: `value-${name}` } };
  }
}

t.test('every apply the hub acknowledged before it was killed with SIGKILL is there after it restarts', async (t) => {
  const hub = await startHub(t);
  /** `plural/name` → the label version of the last apply the hub acknowledged. */
  const acknowledged = new Map<string, number>();
  let failedAfterKill = 0;
  let killed = false;
  const plurals: Plural[] = ['pods', 'deployments', 'secrets'];

  const worker = async (id: number): Promise<void> => {
    for (let i = 0; !killed; i++) {
      const plural = plurals[(id + i) % plurals.length] as Plural;
      const name = `crash-${id}-${i}`;
      // Created, then changed: both kinds of write must survive.
      for (const version of [1, 2]) {
        const answer = await call(hub.admin, 'POST', '/api/v1/apply', { items: [manifest(plural, name, version)] }).catch(() => undefined);
        if (answer?.status !== 200) {
          if (!killed) throw new Error(`apply refused before the kill: ${JSON.stringify(answer?.body)}`);
          failedAfterKill++;
          return;
        }
        acknowledged.set(`${plural}/${name}`, version);
      }
    }
  };
  const workers = Array.from({ length: 6 }, (_, id) => worker(id));
  await waitFor('300 applies acknowledged', () => acknowledged.size >= 150 && [...acknowledged.values()].filter((v) => v === 2).length >= 150, 60_000, 10);
  killed = true;
  await hub.process.kill();
  await Promise.all(workers);
  t.comment(`${acknowledged.size} objects acknowledged, ${failedAfterKill} applies cut off by the kill`);

  const again = await restartHub(t, hub);
  const missing: string[] = [];
  for (const [path, version] of acknowledged) {
    const answer = await call(again.admin, 'GET', `/api/v1/namespaces/default/${path}`);
    const stored = Number(answer.body?.metadata?.labels?.version);
    // A change cut off by the kill may have landed without its answer: later is allowed, earlier is a loss.
    if (answer.status !== 200 || !(stored >= version)) missing.push(`${path}: acknowledged version ${version}, found ${answer.status === 200 ? stored : answer.status}`);
  }
  t.same(missing, [], `all ${acknowledged.size} acknowledged objects are there, each as last acknowledged or later`);
  // And the controllers carry on: every acknowledged Deployment gets its pods, once.
  const deployments = [...acknowledged.keys()].filter((path) => path.startsWith('deployments/')).map((path) => path.slice('deployments/'.length));
  const owned = await waitFor('every acknowledged Deployment with its 2 pods', async () => {
    const { items } = await api<{ items: PodJson[] }>(again, '/api/v1/namespaces/default/pods');
    const count = new Map<string, number>();
    for (const pod of items) {
      const owner = pod.metadata.ownerReferences?.[0]?.name;
      if (owner !== undefined) count.set(owner, (count.get(owner) ?? 0) + 1);
    }
    return deployments.every((name) => count.get(name) === 2) ? count : undefined;
  });
  t.same(deployments.filter((name) => owned.get(name) !== 2), [], `each of the ${deployments.length} Deployments has exactly its 2 pods`);
});

// ---- a rollout

interface DeploymentJson {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number };
}

interface PodJson {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { name: string }[] };
  spec: { nodeName?: string };
  status?: { phase?: string; containerStatuses?: { containerID?: string; ready: boolean }[] };
}

const REPLICAS = 4;

function rolling(generation: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'roll' },
    spec: {
      replicas: REPLICAS,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'roll' } },
        spec: {
          deviceSelector: 'role=roll',
          // The shell ignores SIGTERM: each old pod would hold its step of the rollout for the default 10 s.
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image: TEST_IMAGE, command: ['sh', '-c', `echo generation ${generation}; sleep 3600`] }],
        },
      },
    },
  };
}

async function rollout(hub: HubProcess): Promise<DeploymentJson> {
  return api<DeploymentJson>(hub, '/api/v1/namespaces/default/deployments/roll');
}

function complete(deployment: DeploymentJson): boolean {
  const s = deployment.status;
  return s?.observedGeneration === deployment.metadata.generation && s?.replicas === REPLICAS && s?.updatedReplicas === REPLICAS && s?.readyReplicas === REPLICAS;
}

async function rollPods(hub: HubProcess): Promise<PodJson[]> {
  return (await getJson<{ items: PodJson[] }>(hub, ['pods', '-l', 'app=roll'])).items;
}

/** The containers Podman runs for these devices: pod name → container IDs. */
async function containersByPod(devices: string[]): Promise<Map<string, string[]>> {
  const byPod = new Map<string, string[]>();
  for (const device of devices) {
    const { stdout } = await run('podman', ['ps', '--filter', `label=${DEVICE_LABEL}=${device}`, '--format', 'json']);
    for (const container of JSON.parse(stdout || '[]') as { Id: string; Labels?: Record<string, string> }[]) {
      const pod = container.Labels?.['io.flotilla.pod.name'] ?? '?';
      byPod.set(pod, [...(byPod.get(pod) ?? []), container.Id]);
    }
  }
  return byPod;
}

t.test('a hub killed with SIGKILL in the middle of a rollout finishes it after a restart, losing and duplicating no pod', async (t) => {
  const hub = await startHub(t);
  const agents = [await startAgent(t, hub, { labels: 'role=roll' }), await startAgent(t, hub, { labels: 'role=roll' })];
  const devices = agents.map((agent) => agent.name);
  await waitFor('both devices Ready', async () => (await getJson(hub, ['devices'])).items.filter((d) => d.status?.state === 'Ready').length === 2);
  await call(hub.admin, 'POST', '/api/v1/apply', { items: [rolling(1)] });
  await waitFor('the first generation Running', async () => complete(await rollout(hub)), 60_000);

  // The kill must land while old and new pods are both there; a rollout that finished before
  // it could be caught is started again with another change.
  let caught: DeploymentJson | undefined;
  for (let generation = 2; generation <= 6 && caught === undefined; generation++) {
    await call(hub.admin, 'POST', '/api/v1/apply', { items: [rolling(generation)] });
    caught = await waitFor(`rollout ${generation} under way or done`, async () => {
      const current = await rollout(hub);
      const updated = current.status?.updatedReplicas ?? 0;
      if (current.status?.observedGeneration === current.metadata.generation && updated > 0 && updated < REPLICAS) return current;
      return complete(current) ? 'missed' : undefined;
    }, 60_000, 20).then((found) => (found === 'missed' ? undefined : found));
  }
  if (caught === undefined) throw new Error('no rollout was caught under way in five tries');
  await hub.process.kill();
  t.comment(`killed with ${caught.status?.updatedReplicas} of ${REPLICAS} pods updated`);

  const restartedAt = Date.now();
  const again = await restartHub(t, hub);
  const done = await waitFor('the rollout complete on the restarted hub', async () => {
    const current = await rollout(again);
    return complete(current) ? current : undefined;
  }, 90_000);
  t.comment(`rollout complete ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the hub was started again`);
  t.equal(done.metadata.generation, caught.metadata.generation, 'the generation that was rolling out');

  const pods = await rollPods(again);
  t.equal(pods.length, REPLICAS, `exactly ${REPLICAS} pods, none lost and none extra`);
  t.equal(new Set(pods.map((p) => p.metadata.labels?.['pod-template-hash'])).size, 1, 'all of the same, new template');
  t.ok(pods.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready)), 'all Running and ready');

  // The devices converge too: one container per pod, and no container of a pod that is gone.
  const expected = new Map(pods.map((p) => [p.metadata.name, p.status?.containerStatuses?.[0]?.containerID ?? '']));
  const containers = await waitFor('the devices running exactly the pods of the hub', async () => {
    const found = await containersByPod(devices);
    return found.size === REPLICAS && [...found].every(([pod, ids]) => ids.length === 1 && expected.get(pod) === ids[0]) ? found : undefined;
  }, 60_000, 500).catch(async (error: Error) => {
    t.comment(`containers: ${JSON.stringify([...(await containersByPod(devices))])}, pods: ${JSON.stringify([...expected])}`);
    throw error;
  });
  t.same([...containers.keys()].sort(), [...expected.keys()].sort(), 'one running container for each pod, and the one the hub reports');
});
