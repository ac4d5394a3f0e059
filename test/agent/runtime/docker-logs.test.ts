/**
 * The Docker Engine API adapter's logs, against real Podman: the engine's framing is gone,
 * stdout and stderr both come, and the adapter keeps to its own device's containers.
 */
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { DockerRuntime } from '../../../agent/runtime/docker.js';
import { LABEL_DEVICE, type ContainerRuntime } from '../../../agent/runtime/runtime.js';
import { ensurePodmanService, ensureTestImage, podmanLogs, removeDeviceContainers, TEST_IMAGE } from '../../helpers/podman.js';

const service = await ensurePodmanService();
if (service.stop) t.teardown(service.stop);
await ensureTestImage();

function runtimeFor(t: Test): { runtime: DockerRuntime; device: string } {
  const device = `test-dlogs-${randomBytes(3).toString('hex')}`;
  const runtime = new DockerRuntime({ device, endpoint: service.socketPath });
  t.teardown(async () => {
    await runtime.close();
    await removeDeviceContainers(device);
  });
  return { runtime, device };
}

async function run(runtime: ContainerRuntime, device: string, script: string): Promise<string> {
  const id = await runtime.create({ name: `${device}-${randomBytes(3).toString('hex')}`, image: TEST_IMAGE, cmd: ['sh', '-c', script], env: [], ports: [], labels: { [LABEL_DEVICE]: device } });
  await runtime.start(id);
  return id;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

t.test('gives stdout and stderr as plain text, without the engine\'s frame headers', async (t) => {
  const { runtime, device } = runtimeFor(t);
  const id = await run(runtime, device, 'echo to-stdout; echo to-stderr >&2; sleep 3600');
  await until('both lines', async () => (await podmanLogs(id)).includes('to-stderr'));
  const log = await text(await runtime.logs(id, { follow: false, timestamps: false }));
  t.same(log.split('\n').filter(Boolean).sort(), ['to-stderr', 'to-stdout']);
  t.notMatch(log, /[\x00-\x08]/, 'no header bytes');
});

t.test('a follow ends when the container exits', async (t) => {
  const { runtime, device } = runtimeFor(t);
  const id = await run(runtime, device, 'echo start; sleep 2; echo last');
  const log = await text(await runtime.logs(id, { follow: true, timestamps: false }));
  t.equal(log, 'start\nlast\n');
});

t.test("refuses another device's container, and names a missing one", async (t) => {
  const mine = runtimeFor(t);
  const other = runtimeFor(t);
  const id = await run(other.runtime, other.device, 'sleep 3600');
  await t.rejects(mine.runtime.logs(id, { follow: false, timestamps: false }), { code: 'Conflict', message: new RegExp(`belongs to device ${other.device}`) });
  await t.rejects(mine.runtime.logs('no-such-container', { follow: false, timestamps: false }), { code: 'NotFound', message: /container no-such-container does not exist/ });
});
