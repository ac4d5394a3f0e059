/**
 * A DaemonSet applied from the CLI runs one real Podman container on every device whose
 * labels it selects: a device labelled later gets one, a device unlabelled loses it, and
 * deleting the DaemonSet removes them all.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { cli, getJson, startAgent, startHub, tempDir, waitFor } from '../helpers/fleet.js';
import { DEVICE_LABEL, podmanInspect, TEST_IMAGE } from '../helpers/podman.js';

const run = promisify(execFile);

interface PodJson {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
  spec: { nodeName?: string };
  status?: { phase?: string; containerStatuses?: { containerID?: string; ready: boolean }[] };
}

const MANIFEST = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  template:
    metadata:
      labels: {app: node-agent}
    spec:
      nodeSelector: {role: camera}
      containers:
        - name: main
          image: ${TEST_IMAGE}
          command: ["sleep", "3600"]
          resources:
            limits: {cpu: 50m, memory: 16Mi}
`;

/** The running containers Podman has for the device, as `podman ps` lists them. */
async function containersOf(device: string): Promise<string[]> {
  const { stdout } = await run('podman', ['ps', '--quiet', '--no-trunc', '--filter', `label=${DEVICE_LABEL}=${device}`]);
  return stdout.split('\n').filter(Boolean);
}

async function daemonPods(hub: Parameters<typeof getJson>[0]): Promise<PodJson[]> {
  const list = await getJson<{ items: PodJson[] }>(hub, ['pods', '-l', 'app=node-agent']);
  return list.items.filter((pod) => pod.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === 'node-agent'));
}

/** The DaemonSet's pod on the device once it runs with a ready container; undefined before. */
async function runningOn(hub: Parameters<typeof getJson>[0], device: string): Promise<PodJson | undefined> {
  const pods = (await daemonPods(hub)).filter((pod) => pod.spec.nodeName === device);
  const pod = pods[0];
  return pods.length === 1 && pod?.status?.phase === 'Running' && pod.status.containerStatuses?.every((c) => c.ready) ? pod : undefined;
}

t.test('a DaemonSet runs one container on each labelled device, follows labels as they change, and goes when deleted', async (t) => {
  const hub = await startHub(t);
  const camera = await startAgent(t, hub, { labels: 'role=camera,site=a' });
  const gateway = await startAgent(t, hub, { labels: 'role=gateway,site=a' });
  await waitFor('both devices Ready', async () => (await getJson(hub, ['devices'])).items.filter((d) => d.status?.state === 'Ready').length === 2);

  const file = join(await tempDir(t, 'manifests'), 'node-agent.yaml');
  await writeFile(file, MANIFEST);
  const applied = await cli(hub, ['apply', '-f', file]);
  t.equal(applied.code, 0, `apply succeeds: ${applied.stderr}`);
  t.match(applied.stdout, /daemonset\.apps\/node-agent created/);

  const first = await waitFor('the pod Running on the camera', () => runningOn(hub, camera.name), 60_000);
  const container = await podmanInspect(first.status?.containerStatuses?.[0]?.containerID ?? '');
  t.equal(container.State.Status, 'running', 'it runs in Podman');
  t.equal(container.Config.Labels?.[DEVICE_LABEL], camera.name, 'on the camera');
  t.same(await containersOf(gateway.name), [], 'the gateway runs nothing of it');
  t.equal((await daemonPods(hub)).length, 1, 'one pod in all');

  const table = await waitFor('get ds to show 1 desired, 1 ready', async () => {
    const result = await cli(hub, ['get', 'ds']);
    return /node-agent\s+1\s+1\s+1\s+1\s+1\s+role=camera\s+\S+/.test(result.stdout) ? result.stdout : undefined;
  });
  t.match(table, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/m);

  const labelled = await cli(hub, ['label', 'device', gateway.name, 'role=camera', '--overwrite']);
  t.equal(labelled.code, 0, labelled.stderr);
  const second = await waitFor('a pod Running on the newly labelled device', () => runningOn(hub, gateway.name), 60_000);
  t.equal((await containersOf(gateway.name)).length, 1, "its container is in Podman under the device's label");
  t.equal((await daemonPods(hub)).length, 2, 'one pod per device');

  const described = await waitFor('describe to count 2 devices with available pods', async () => {
    const result = await cli(hub, ['describe', 'daemonset', 'node-agent']);
    return /Number of Devices Scheduled with Available Pods:\s+2/.test(result.stdout) ? result.stdout : undefined;
  });
  t.match(described, /Desired Number of Devices Scheduled:\s+2/);
  t.match(described, /Pods Status:\s+2 Running \/ 0 Waiting/);

  const unlabelled = await cli(hub, ['label', 'device', gateway.name, 'role-']);
  t.equal(unlabelled.code, 0, unlabelled.stderr);
  await waitFor('the pod gone from the unlabelled device', async () => (await daemonPods(hub)).every((pod) => pod.spec.nodeName !== gateway.name));
  await waitFor("its container gone from Podman", async () => (await containersOf(gateway.name)).length === 0, 60_000);
  t.equal((await runningOn(hub, camera.name))?.metadata.name, first.metadata.name, 'the camera keeps its pod, untouched');
  t.not(second.metadata.name, first.metadata.name);

  const deleted = await cli(hub, ['delete', 'daemonset', 'node-agent']);
  t.equal(deleted.code, 0, deleted.stderr);
  await waitFor('every pod of the DaemonSet gone', async () => (await daemonPods(hub)).length === 0);
  await waitFor('the camera container gone from Podman', async () => (await containersOf(camera.name)).length === 0, 60_000);
});
