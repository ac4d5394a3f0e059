/**
 * A workload applied from the CLI runs in real Podman containers on the devices its selector
 * picks, converges when changed, and goes away when deleted.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { api, cli, getJson, startAgent, startHub, tempDir, waitFor } from '../helpers/fleet.js';
import { podmanInspect, TEST_IMAGE } from '../helpers/podman.js';

interface PodJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { args?: string[] }[] };
  status?: { phase?: string; containerStatuses?: { containerID?: string; ready: boolean; restartCount: number }[] };
}

function deployment(name: string, options: { replicas: number; args: string[]; selector: string }): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${options.replicas}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      deviceSelector: "${options.selector}"
      containers:
        - name: main
          image: ${TEST_IMAGE}
          command: ["sh", "-c"]
          args: ${JSON.stringify(options.args)}
          env:
            - name: GREETING
              value: hello
          resources:
            limits:
              cpu: 100m
              memory: 32Mi
`;
}

async function podsOf(hub: Parameters<typeof getJson>[0], app: string): Promise<PodJson[]> {
  const list = await getJson<{ items: PodJson[] }>(hub, ['pods', '-l', `app=${app}`]);
  return list.items;
}

function running(pods: PodJson[]): PodJson[] {
  return pods.filter((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready));
}

t.test('a deployment runs on matching devices, converges on change and is removed on delete', async (t) => {
  const hub = await startHub(t);
  const camera = await startAgent(t, hub, { labels: 'role=camera,site=a' });
  const gateway = await startAgent(t, hub, { labels: 'role=gateway,site=a' });
  await waitFor('both devices Ready', async () => {
    const devices = await getJson(hub, ['devices']);
    return devices.items.filter((d) => d.status?.state === 'Ready').length === 2;
  });

  const dir = await tempDir(t, 'manifests');
  const file = join(dir, 'web.yaml');
  await writeFile(file, deployment('web', { replicas: 2, args: ['echo $GREETING; sleep 3600'], selector: 'role=camera,site in (a,b)' }));
  const applied = await cli(hub, ['apply', '-f', file]);
  t.equal(applied.code, 0, `apply succeeds: ${applied.stderr}`);
  t.match(applied.stdout, /deployment\.apps\/web created/);

  const first = await waitFor('two web pods Running', async () => {
    const pods = running(await podsOf(hub, 'web'));
    return pods.length === 2 ? pods : undefined;
  });
  t.ok(first.every((p) => p.spec.nodeName === camera.name), 'every pod is on the camera, none on the gateway');

  for (const pod of first) {
    const id = pod.status?.containerStatuses?.[0]?.containerID ?? '';
    const container = await podmanInspect(id);
    t.equal(container.State.Status, 'running', `${pod.metadata.name} runs in Podman`);
    t.equal(container.Config.Labels?.['io.flotilla.device'], camera.name, 'the container is labelled with its device');
    t.equal(container.HostConfig.Memory, 32 * 1024 * 1024, 'the memory limit reaches the engine');
    t.equal(container.HostConfig.NanoCpus, 100_000_000, 'the CPU limit reaches the engine');
    t.ok(container.Config.Env?.includes('GREETING=hello'), 'the environment reaches the container');
  }

  const wide = await cli(hub, ['get', 'pods', '-o', 'wide']);
  t.equal(wide.code, 0);
  for (const pod of first) t.match(wide.stdout, new RegExp(`${pod.metadata.name}\\s+1/1\\s+Running\\s+0\\s+.*${camera.name}`));

  const deviceTable = await cli(hub, ['get', 'devices']);
  t.match(deviceTable.stdout, new RegExp(`${camera.name}\\s+Ready`), 'get devices lists the camera Ready');

  // A new template: pods are replaced one at a time, never dropping below two ready.
  await writeFile(file, deployment('web', { replicas: 2, args: ['echo changed; sleep 3600'], selector: 'role=camera' }));
  const oldNames = new Set(first.map((p) => p.metadata.name));
  const reapplied = await cli(hub, ['apply', '-f', file]);
  t.match(reapplied.stdout, /deployment\.apps\/web configured/);
  let fewestReady = 2;
  const replaced = await waitFor(
    'two new pods Running and the old ones gone',
    async () => {
      const pods = await podsOf(hub, 'web');
      fewestReady = Math.min(fewestReady, running(pods).length);
      const fresh = running(pods).filter((p) => !oldNames.has(p.metadata.name));
      return fresh.length === 2 && pods.length === 2 ? fresh : undefined;
    },
    60_000,
    100,
  );
  t.equal(fewestReady, 2, 'two pods were ready throughout the rollout');
  t.ok(replaced.every((p) => p.spec.containers[0]?.args?.[0] === 'echo changed; sleep 3600'));
  const events = await api(hub, '/api/v1/namespaces/default/events?involvedKind=Deployment&involvedName=web');
  const order = (events.items as { reason: string; message: string; firstTimestamp: string; lastTimestamp: string }[])
    .filter((e) => e.reason === 'SuccessfulCreate' || e.reason === 'SuccessfulDelete')
    .sort((a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp))
    .map((e) => `${e.reason}: ${e.message.replace(/web-\S+/g, 'web-…')}`);
  t.equal(order[0], 'SuccessfulCreate: created 2 pods: web-… web-…', 'the first two pods, created together');
  t.same(
    order.slice(1),
    ['SuccessfulCreate: created pod web-…', 'SuccessfulDelete: deleted pod web-…', 'SuccessfulCreate: created pod web-…', 'SuccessfulDelete: deleted pod web-…'],
    'one new pod, one old pod gone, and again',
  );
  for (const pod of first) {
    const id = pod.status?.containerStatuses?.[0]?.containerID ?? '';
    // Removal waits out the pod's grace period: `sh` as PID 1 ignores SIGTERM.
    const gone = await waitFor(`old container ${id.slice(0, 12)} removed from Podman`, () => podmanInspect(id).then(() => false, () => true), 30_000);
    t.ok(gone, 'the old container is removed from Podman');
  }

  // Scale up, then down.
  await writeFile(file, deployment('web', { replicas: 3, args: ['echo changed; sleep 3600'], selector: 'role=camera' }));
  await cli(hub, ['apply', '-f', file]);
  await waitFor('three pods Running', async () => running(await podsOf(hub, 'web')).length === 3);
  await writeFile(file, deployment('web', { replicas: 1, args: ['echo changed; sleep 3600'], selector: 'role=camera' }));
  await cli(hub, ['apply', '-f', file]);
  const one = await waitFor('one pod left', async () => {
    const pods = await podsOf(hub, 'web');
    return pods.length === 1 && running(pods).length === 1 ? pods : undefined;
  });
  t.equal(one.length, 1);

  const deleted = await cli(hub, ['delete', '-f', file]);
  t.match(deleted.stdout, /deployment\.apps\/web deleted/);
  await waitFor('no web containers left in Podman', async () => {
    const id = one[0]?.status?.containerStatuses?.[0]?.containerID ?? '';
    try {
      await podmanInspect(id);
      return false;
    } catch {
      return true;
    }
  });
  t.same(await podsOf(hub, 'web'), [], 'no web pods are left');
  t.equal(gateway.process.running, true, 'the gateway agent kept running throughout');
});

t.test('a pod that fits nowhere says why, device by device', async (t) => {
  const hub = await startHub(t);
  const camera = await startAgent(t, hub, { labels: 'role=camera' });
  await waitFor('the device Ready', async () => (await getJson(hub, ['devices'])).items[0]?.status?.state === 'Ready');
  const dir = await tempDir(t, 'manifests');
  const file = join(dir, 'pods.yaml');
  await writeFile(
    file,
    `apiVersion: v1
kind: Pod
metadata:
  name: needs-a-drone
spec:
  nodeSelector:
    role: drone
  containers:
    - name: main
      image: ${TEST_IMAGE}
      command: ["sleep", "3600"]
---
apiVersion: v1
kind: Pod
metadata:
  name: too-big
spec:
  containers:
    - name: main
      image: ${TEST_IMAGE}
      command: ["sleep", "3600"]
      resources:
        requests:
          memory: 900Gi
        limits:
          memory: 900Gi
`,
  );
  const applied = await cli(hub, ['apply', '-f', file]);
  t.equal(applied.code, 0, applied.stderr);
  t.match(applied.stdout, /pod\/needs-a-drone created/);
  t.match(applied.stdout, /pod\/too-big created/);

  const described = await waitFor('the scheduler to explain', async () => {
    const result = await cli(hub, ['describe', 'pod', 'needs-a-drone']);
    return /0\/1 devices are available/.test(result.stdout) ? result.stdout : undefined;
  });
  t.match(described, new RegExp(`${camera.name}.*role=drone`), 'the device is named with the selector it does not match');
  t.match(described, /FailedScheduling/, 'the event shows in describe');
  const big = await waitFor('the scheduler to explain the big pod', async () => {
    const result = await cli(hub, ['describe', 'pod', 'too-big']);
    return /insufficient memory/.test(result.stdout) ? result.stdout : undefined;
  });
  t.match(big, new RegExp(`${camera.name}.*insufficient memory`));
  const pods = await getJson(hub, ['pods']);
  t.ok(pods.items.every((p) => !p.spec.nodeName && p.status.phase === 'Pending'), 'neither pod is bound');
});
