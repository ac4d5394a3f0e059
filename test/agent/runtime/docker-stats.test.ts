/**
 * Per-container figures from a real engine: Podman's Docker API service, whose stats differ
 * from Docker's (no previous CPU sample, memory usage alone on cgroup v1).
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { DockerRuntime } from '../../../agent/runtime/docker.js';
import { LABEL_CONTAINER, LABEL_DEVICE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, type ContainerStats } from '../../../agent/runtime/runtime.js';
import { ensurePodmanService, ensureTestImage, PODMAN_SOCKET, removeDeviceContainers, TEST_IMAGE } from '../../helpers/podman.js';

const service = await ensurePodmanService();
if (service.stop) t.teardown(service.stop);
await ensureTestImage();

t.test('running containers of the device report their CPU and memory, stopped ones and other devices\' none', async (t) => {
  const device = `test-stats-${randomBytes(3).toString('hex')}`;
  const runtime = new DockerRuntime({ device, endpoint: PODMAN_SOCKET });
  t.teardown(async () => {
    await runtime.close();
    await removeDeviceContainers(device);
  });
  const labels = (pod: string, container: string) => ({
    [LABEL_DEVICE]: device,
    [LABEL_POD_NAMESPACE]: 'default',
    [LABEL_POD_NAME]: pod,
    [LABEL_POD_UID]: `${pod}-uid`,
    [LABEL_CONTAINER]: container,
  });
  // One container keeps a core busy, one sleeps, one is created but never started.
  const busy = await runtime.create({ name: `${device}-busy`, image: TEST_IMAGE, entrypoint: ['sh', '-c', 'while :; do :; done'], env: [], ports: [], labels: labels('busy', 'main') });
  const idle = await runtime.create({ name: `${device}-idle`, image: TEST_IMAGE, entrypoint: ['sleep', '3600'], env: [], ports: [], labels: labels('idle', 'main') });
  await runtime.create({ name: `${device}-created`, image: TEST_IMAGE, entrypoint: ['sleep', '3600'], env: [], ports: [], labels: labels('created', 'main') });
  await runtime.start(busy);
  await runtime.start(idle);

  const first = await runtime.stats();
  t.same(first.map((stats) => stats.labels[LABEL_POD_NAME]).sort(), ['busy', 'idle']);
  for (const stats of first) t.ok(stats.memoryBytes > 0, `${stats.labels[LABEL_POD_NAME]} uses some memory`);

  // The second sample is averaged over the time since the first.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const second = await runtime.stats();
  const of = (list: ContainerStats[], id: string) => list.find((stats) => stats.id === id);
  // On a loaded machine the loop gets what the others leave it; still far more than a sleeper.
  t.ok((of(second, busy)?.cpuMillis ?? 0) >= 50, `a busy loop uses a share of a core (${of(second, busy)?.cpuMillis}m)`);
  t.ok((of(second, idle)?.cpuMillis ?? Infinity) < 50, `a sleeper next to nothing (${of(second, idle)?.cpuMillis}m)`);
  t.equal(of(second, busy)?.labels[LABEL_CONTAINER], 'main', 'with the labels that tie it to its pod');

  await runtime.stop(busy, 0);
  t.same((await runtime.stats()).map((stats) => stats.id), [idle], 'a stopped container has no figures');
});
