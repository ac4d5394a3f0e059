/**
 * Eviction on real agents and Podman: the pods of a Deployment on a device that has been
 * Offline longer than they tolerate are placed on another device; pods that tolerate it, or
 * that nothing would replace, stay. When the device comes back, its agent removes the
 * containers of the evicted pods and leaves the others running, untouched.
 *
 * The hub runs with notReadyAfter 4 s and offlineAfter 8 s; the evicted Deployment tolerates
 * the unreachable taint for 2 s (300 s when a pod says nothing).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { call } from '../../scripts/bench/hub-access.js';
import { api, deviceState, getJson, restartAgent, startAgent, startHub, waitFor } from '../helpers/fleet.js';
import { DEVICE_LABEL, podmanInspect, TEST_IMAGE } from '../helpers/podman.js';

const run = promisify(execFile);

interface PodJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status?: { phase?: string; containerStatuses?: { containerID?: string; ready: boolean; restartCount: number }[] };
}

interface EventJson {
  involvedObject: { kind: string; name: string };
  type: string;
  reason: string;
  message: string;
}

function deployment(name: string, replicas: number, selector: string, tolerationSeconds: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          deviceSelector: selector,
          // As copied from a Kubernetes manifest: the hub takes Kubernetes' name for the taint.
          tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds }],
          containers: [{ name: 'main', image: TEST_IMAGE, command: ['sleep', '3600'] }],
        },
      },
    },
  };
}

function barePod(name: string, device: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName: device, containers: [{ name: 'main', image: TEST_IMAGE, command: ['sleep', '3600'] }] },
  };
}

async function pods(hub: Parameters<typeof getJson>[0]): Promise<PodJson[]> {
  return (await getJson<{ items: PodJson[] }>(hub, ['pods'])).items;
}

function runningOn(list: PodJson[], device: string, prefix: string): PodJson[] {
  return list.filter(
    (p) => p.metadata.name.startsWith(prefix) && p.spec.nodeName === device && p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready),
  );
}

/** Pod name → container ID of every container Podman runs for the device. */
async function containersOf(device: string): Promise<Map<string, string>> {
  const { stdout } = await run('podman', ['ps', '--filter', `label=${DEVICE_LABEL}=${device}`, '--format', 'json']);
  const containers = JSON.parse(stdout || '[]') as { Id: string; Labels?: Record<string, string> }[];
  return new Map(containers.map((c) => [c.Labels?.['io.flotilla.pod.name'] ?? '?', c.Id]));
}

t.test("a Deployment's pods leave a device Offline past their toleration, and the device drops them when it returns while the rest keeps running", async (t) => {
  const hub = await startHub(t, { notReadyAfterSeconds: 4, offlineAfterSeconds: 8 });
  const away = await startAgent(t, hub, { labels: 'role=edge,slot=a' });
  await waitFor('the first device Ready', async () => (await deviceState(hub, away.name)) === 'Ready');

  // Everything lands on the one device there is; `patient` and the bare pod can only go there.
  const applied = await call(hub.admin, 'POST', '/api/v1/apply', {
    items: [deployment('web', 2, 'role=edge', 2), deployment('patient', 1, 'slot=a', 3600), barePod('bare', away.name)],
  });
  t.equal(applied.status, 200, `the workloads are applied: ${applied.status === 200 ? 'yes' : JSON.stringify(applied.body)}`);
  const before = await waitFor('every pod Running on the first device', async () => {
    const list = await pods(hub);
    const ok = runningOn(list, away.name, 'web-').length === 2 && runningOn(list, away.name, 'patient-').length === 1 && runningOn(list, away.name, 'bare').length === 1;
    return ok ? list : undefined;
  }, 60_000);
  const containersBefore = await containersOf(away.name);
  t.equal(containersBefore.size, 4, 'four containers on the first device');
  const startedAt = async (id: string) => (await podmanInspect(id)).State as unknown as { StartedAt: string };
  const keptNames = before.filter((p) => !p.metadata.name.startsWith('web-')).map((p) => p.metadata.name);
  const keptStarts = new Map(await Promise.all(keptNames.map(async (name) => [name, (await startedAt(containersBefore.get(name) ?? '')).StartedAt] as const)));

  const other = await startAgent(t, hub, { labels: 'role=edge,slot=b' });
  await waitFor('the second device Ready', async () => (await deviceState(hub, other.name)) === 'Ready');

  // The first device drops off the network: its agent dies, its containers run on.
  const cutAt = Date.now();
  await away.kill();
  await waitFor('the first device Offline', async () => (await deviceState(hub, away.name)) === 'Offline', 20_000, 200);
  const moved = await waitFor("web's two pods Running on the second device", async () => {
    const list = await pods(hub);
    return runningOn(list, other.name, 'web-').length === 2 ? list : undefined;
  }, 60_000);
  const movedAfterMs = Date.now() - cutAt;
  t.comment(`web Running on the second device ${(movedAfterMs / 1000).toFixed(1)} s after the first device was cut off`);
  t.ok(movedAfterMs >= 10_000, 'not before Offline (8 s) plus the toleration (2 s)');
  t.equal(moved.filter((p) => p.metadata.name.startsWith('web-')).length, 2, 'two web pods in all: the evicted ones are gone, not doubled');
  const stayed = moved.filter((p) => p.spec.nodeName === away.name).map((p) => p.metadata.name).sort();
  t.same(stayed, [...keptNames].sort(), 'the pod that tolerates an hour, and the bare pod, stay bound to the Offline device');

  const events = await api<{ items: EventJson[] }>(hub, '/api/v1/namespaces/default/events');
  const evicted = events.items.filter((e) => e.reason === 'Evicted');
  t.same(
    evicted.map((e) => e.involvedObject.name).sort(),
    before.filter((p) => p.metadata.name.startsWith('web-')).map((p) => p.metadata.name).sort(),
    'one Evicted event per evicted pod',
  );
  for (const event of evicted) {
    t.equal(event.type, 'Warning', `the event of ${event.involvedObject.name} is a Warning`);
    t.match(event.message, new RegExp(`^evicted from device ${away.name}, Offline for \\d+s: longer than the pod tolerates flotilla.io/unreachable:NoExecute \\(2s\\)$`), 'naming the device, how long it was Offline and the toleration');
  }

  // Back online: the evicted pods' containers go, the others are adopted as they run.
  const backAt = Date.now();
  await restartAgent(t, hub, away, 'role=edge,slot=a');
  await waitFor('the first device Ready again', async () => (await deviceState(hub, away.name)) === 'Ready', 30_000);
  const after = await waitFor('only the pods still bound to it running on the first device', async () => {
    const found = await containersOf(away.name);
    return found.size === keptNames.length ? found : undefined;
  }, 30_000, 500);
  t.comment(`the returning device dropped the evicted containers ${((Date.now() - backAt) / 1000).toFixed(1)} s after its agent started`);
  t.same([...after.keys()].sort(), [...keptNames].sort(), 'the web containers were removed from the returning device');
  for (const name of keptNames) {
    t.equal(after.get(name), containersBefore.get(name), `${name} kept its container`);
    t.equal((await startedAt(after.get(name) ?? '')).StartedAt, keptStarts.get(name), `${name} was not restarted`);
  }
  const settled = await waitFor('the pods Running again on the first device', async () => {
    const list = await pods(hub);
    return runningOn(list, away.name, 'patient-').length === 1 && runningOn(list, away.name, 'bare').length === 1 ? list : undefined;
  }, 30_000);
  t.equal(settled.filter((p) => p.metadata.name.startsWith('web-')).length, 2, 'still two web pods: no duplicate came back with the device');
  t.ok(
    settled.filter((p) => p.spec.nodeName === away.name).every((p) => p.status?.containerStatuses?.every((c) => c.restartCount === 0)),
    'no restart counted on the pods that stayed',
  );
  t.equal((await containersOf(other.name)).size, 2, 'the second device runs the two web pods');
});
