/**
 * What every container runtime adapter must do, checked against a real engine. An adapter's
 * test file calls `runtimeContract(t, build, engine)`: `build` makes a runtime for a device
 * name, and `engine` looks at the engine from outside the adapter (the engine's own CLI), so
 * the adapter is never asked to vouch for itself.
 *
 * Every test uses device names of its own (`test-contract-…`) and removes their containers
 * when it ends, so tests can run side by side on one engine.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import {
  LABEL_DEVICE,
  LABEL_POD_NAME,
  type ContainerCreateSpec,
  type ContainerRecord,
  type ContainerRuntime,
  type RuntimeEvent,
} from '../../../agent/runtime/runtime.js';

/** A container as the engine itself reports it. */
export interface EngineView {
  running: boolean;
  status: string;
  exitCode: number;
  labels: Record<string, string>;
  /** "NAME=value" entries. */
  env: string[];
  /** Words joined by single spaces: engines differ in whether they keep the array. */
  entrypoint: string;
  cmd: string;
  memoryBytes: number;
  nanoCpus: number;
  /** "8080/tcp" → host ports bound to it. */
  publishedPorts: Record<string, string[]>;
  /** The engine's restart policy name; "" and "no" both mean none. */
  restartPolicy: string;
}

export interface ContractEngine {
  /** An image present on the engine with busybox's sh, sleep, echo and httpd. */
  image: string;
  view(id: string): Promise<EngineView>;
  /** Kills the container behind the adapter's back, as the OOM killer or a person would. */
  kill(id: string): Promise<void>;
  logs(id: string): Promise<string>;
  removeDeviceContainers(device: string): Promise<void>;
}

export type BuildRuntime = (device: string) => ContainerRuntime;

export function uniqueDevice(prefix = 'test-contract'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The device each runtime made by runtimeFor() serves: the interface does not expose it. */
const devices = new WeakMap<ContainerRuntime, string>();

export function deviceOf(runtime: ContainerRuntime): string {
  const device = devices.get(runtime);
  if (device === undefined) throw new Error('runtime was not made by runtimeFor()');
  return device;
}

/** A runtime for a fresh device; its containers are removed and the runtime closed when the test ends. */
export function runtimeFor(t: Test, build: BuildRuntime, engine: ContractEngine, device = uniqueDevice()): ContainerRuntime {
  const runtime = build(device);
  devices.set(runtime, device);
  t.teardown(async () => {
    await runtime.close();
    await engine.removeDeviceContainers(device);
  });
  return runtime;
}

/** A create spec for `device` running `cmd` in the test image; `overrides` replace fields. */
export function containerSpec(
  engine: ContractEngine,
  device: string,
  cmd: string[],
  overrides: Partial<ContainerCreateSpec> = {},
): ContainerCreateSpec {
  return {
    name: `${device}-${randomBytes(3).toString('hex')}`,
    image: engine.image,
    cmd,
    env: [],
    ports: [],
    labels: { [LABEL_DEVICE]: device, [LABEL_POD_NAME]: 'web' },
    ...overrides,
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function waitForState(runtime: ContainerRuntime, id: string, state: ContainerRecord['state']): Promise<ContainerRecord> {
  return waitFor(`container ${id} to be ${state}`, async () => {
    const record = await runtime.inspect(id);
    return record?.state === state ? record : undefined;
  });
}

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function runtimeContract(t: Test, build: BuildRuntime, engine: ContractEngine): void {
  const SLEEP = ['sleep', '300'];

  t.test('reports the engine name, version, operating system and architecture', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const info = await runtime.info();
    t.match(info.name, /\S/);
    t.match(info.version, /^\d+\.\d+/);
    t.match(info.os, /\S/);
    t.match(info.arch, /\S/);
  });

  t.test('creates and starts a container that list, inspect and the engine all see running', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const specForDevice = containerSpec(engine, deviceOf(runtime), SLEEP);
    const before = Date.now();
    const id = await runtime.create(specForDevice);
    t.match(id, /\S/, 'create returns the engine id');
    t.equal((await runtime.inspect(id))?.state, 'created', 'created, not started');
    await runtime.start(id);

    const record = await runtime.inspect(id);
    t.equal(record?.state, 'running');
    t.equal(record?.id, id);
    t.equal(record?.name, specForDevice.name);
    t.equal(record?.image, engine.image);
    t.ok((record?.startedAt ?? 0) >= before - 2000, 'startedAt is the start time, in epoch ms');
    t.equal(record?.exitCode, undefined, 'no exit code while running');

    const listed = await runtime.list();
    t.same(
      listed.map((r) => [r.id, r.state]),
      [[id, 'running']],
      'list shows exactly this device’s one container, running',
    );
    t.same(listed[0], record, 'list gives the same detail as inspect');

    const view = await engine.view(id);
    t.equal(view.running, true, 'the engine runs it');
  });

  t.test('keeps the labels given at create, on list and inspect', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const device = deviceOf(runtime);
    const labels = { [LABEL_DEVICE]: device, [LABEL_POD_NAME]: 'cam-0', 'io.flotilla.spec-hash': 'abc123', 'site': 'plant-3' };
    const id = await runtime.create(containerSpec(engine, device, SLEEP, { labels }));
    t.same((await runtime.inspect(id))?.labels, labels);
    t.same((await runtime.list())[0]?.labels, labels);
    t.same((await engine.view(id)).labels, labels, 'the engine holds the same labels');
  });

  t.test('passes env, entrypoint and cmd to the process in the container', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const device = deviceOf(runtime);
    const id = await runtime.create(
      containerSpec(engine, device, ['echo "$GREETING, $AUDIENCE"'], {
        entrypoint: ['/bin/sh', '-c'],
        env: [
          { name: 'GREETING', value: 'hello from flotilla' },
          { name: 'AUDIENCE', value: 'a=b c' },
        ],
      }),
    );
    const view = await engine.view(id);
    t.equal(view.entrypoint, '/bin/sh -c');
    t.equal(view.cmd, 'echo "$GREETING, $AUDIENCE"');
    t.ok(view.env.includes('GREETING=hello from flotilla'), 'env is NAME=value');
    t.ok(view.env.includes('AUDIENCE=a=b c'), 'a value may hold "=" and spaces');

    await runtime.start(id);
    await waitForState(runtime, id, 'exited');
    t.equal((await engine.logs(id)).trim(), 'hello from flotilla, a=b c', 'the process saw its environment');
  });

  t.test('publishes a container port on its hostPort, and leaves hostPort 0 unpublished', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const device = deviceOf(runtime);
    const hostPort = await freePort();
    const script = 'mkdir -p /www && echo served-by-busybox > /www/index.html && exec httpd -f -p 8080 -h /www';
    const id = await runtime.create(
      containerSpec(engine, device, ['sh', '-c', script], {
        ports: [
          { containerPort: 8080, hostPort, protocol: 'tcp' },
          { containerPort: 9090, hostPort: 0, protocol: 'tcp' },
        ],
      }),
    );
    await runtime.start(id);
    const view = await engine.view(id);
    t.same(view.publishedPorts, { '8080/tcp': [String(hostPort)] }, 'only the port with a hostPort is bound');

    const body = await waitFor(`http://127.0.0.1:${hostPort}/`, async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${hostPort}/index.html`);
        return response.ok ? await response.text() : undefined;
      } catch {
        return undefined;
      }
    });
    t.equal(body.trim(), 'served-by-busybox');
  });

  t.test('sets memory and CPU limits and no engine restart policy', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const device = deviceOf(runtime);
    const id = await runtime.create(containerSpec(engine, device, SLEEP, { cpuMillis: 250, memoryBytes: 64 * 1024 * 1024 }));
    const view = await engine.view(id);
    t.equal(view.nanoCpus, 250_000_000, '250 millicores is a quarter of a CPU');
    t.equal(view.memoryBytes, 67_108_864);
    t.match(view.restartPolicy, /^(no)?$/, 'the agent restarts containers itself, with back-off');

    const unlimited = await runtime.create(containerSpec(engine, device, SLEEP, { cpuMillis: 0, memoryBytes: 0 }));
    const unlimitedView = await engine.view(unlimited);
    t.equal(unlimitedView.nanoCpus, 0, '0 millicores means no CPU limit');
    t.equal(unlimitedView.memoryBytes, 0, '0 bytes means no memory limit');
  });

  t.test('reports a container that exits with its exit code and finish time, on inspect and list', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const device = deviceOf(runtime);
    const id = await runtime.create(containerSpec(engine, device, ['sh', '-c', 'exit 3']));
    await runtime.start(id);
    const record = await waitForState(runtime, id, 'exited');
    t.equal(record.exitCode, 3);
    t.ok(record.finishedAt !== undefined && record.startedAt !== undefined && record.finishedAt >= record.startedAt, 'finished after it started');
    t.notOk(record.oomKilled, 'not killed for memory');
    const listed = (await runtime.list()).find((r) => r.id === id);
    t.equal(listed?.state, 'exited');
    t.equal(listed?.exitCode, 3, 'list carries the exit code too');
    t.equal((await engine.view(id)).exitCode, 3);
  });

  t.test('stops a running container after its grace period, then removes it; repeating either is not an error', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const device = deviceOf(runtime);
    // sleep as PID 1 ignores SIGTERM, so stop has to escalate to SIGKILL after the grace period.
    const id = await runtime.create(containerSpec(engine, device, SLEEP));
    await runtime.start(id);
    const began = Date.now();
    await runtime.stop(id, 1);
    t.ok(Date.now() - began < 15_000, 'stop gives up waiting after the grace period');
    t.equal((await runtime.inspect(id))?.state, 'exited');
    t.equal((await engine.view(id)).running, false);
    await t.resolves(runtime.stop(id, 1), 'stopping a stopped container is quiet');

    await runtime.remove(id);
    t.equal(await runtime.inspect(id), undefined, 'inspect of a removed container is undefined');
    t.same(await runtime.list(), []);
    await t.resolves(runtime.remove(id), 'removing a missing container is quiet');
  });

  t.test('removes a running container without stopping it first', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const id = await runtime.create(containerSpec(engine, deviceOf(runtime), SLEEP));
    await runtime.start(id);
    await runtime.remove(id);
    t.equal(await runtime.inspect(id), undefined);
  });

  t.test('refuses to start a container that does not exist, naming it', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    await t.rejects(runtime.start('no-such-container-here'), /no-such-container-here/);
  });

  t.test('refuses to create a container whose labels lack this device or name another', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const device = deviceOf(runtime);
    const unlabelled = containerSpec(engine, device, SLEEP, { labels: { [LABEL_POD_NAME]: 'web' } });
    await t.rejects(runtime.create(unlabelled), new RegExp(`lacks the label ${LABEL_DEVICE}=${device}`));
    const foreign = containerSpec(engine, device, SLEEP, { labels: { [LABEL_DEVICE]: 'someone-else' } });
    await t.rejects(runtime.create(foreign), /someone-else/);
    t.same(await runtime.list(), [], 'nothing was created');
  });

  t.test("keeps one device's containers out of another device's sight and reach", async (t) => {
    const mine = runtimeFor(t, build, engine);
    const theirs = runtimeFor(t, build, engine);
    const myDevice = deviceOf(mine);
    const theirDevice = deviceOf(theirs);
    const id = await mine.create(containerSpec(engine, myDevice, SLEEP));
    await mine.start(id);

    t.same(await theirs.list(), [], 'the other device lists nothing');
    const notTheirs = new RegExp(`container ${id} does not belong to device ${theirDevice}`);
    await t.rejects(theirs.inspect(id), notTheirs);
    await t.rejects(theirs.start(id), notTheirs);
    await t.rejects(theirs.stop(id, 0), notTheirs);
    await t.rejects(theirs.remove(id), notTheirs);
    t.equal((await mine.inspect(id))?.state, 'running', 'the container is untouched');
  });

  t.test('reports die when a container is killed behind its back, only to its own device', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const bystander = runtimeFor(t, build, engine);
    const device = deviceOf(runtime);
    const seen: RuntimeEvent[] = [];
    const seenByBystander: RuntimeEvent[] = [];
    const errors: Error[] = [];
    const stop = await runtime.events((event) => seen.push(event), (error) => errors.push(error));
    const stopBystander = await bystander.events((event) => seenByBystander.push(event), (error) => errors.push(error));
    t.teardown(() => {
      stop();
      stopBystander();
    });

    const spec = containerSpec(engine, device, SLEEP);
    const id = await runtime.create(spec);
    await runtime.start(id);
    await engine.kill(id);

    const died = await waitFor('a die event', async () => seen.find((e) => e.action === 'die' && e.containerId === id));
    t.equal(died.labels[LABEL_DEVICE], device, 'the event carries the container labels');
    t.equal(died.labels[LABEL_POD_NAME], 'web');
    t.ok(seen.some((e) => e.action === 'start' && e.containerId === id), 'start was reported before it');
    t.same(seenByBystander, [], 'another device hears nothing of it');

    stop();
    const count = seen.length;
    await runtime.remove(id);
    await sleep(1000);
    t.equal(seen.length, count, 'nothing arrives after the stream is stopped');
    t.same(errors, [], 'stopping the stream is not an error');
  });

  t.test('stops every event stream when the runtime is closed', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const watcher = build(deviceOf(runtime));
    t.teardown(() => watcher.close());
    const seen: RuntimeEvent[] = [];
    const errors: Error[] = [];
    await watcher.events((event) => seen.push(event), (error) => errors.push(error));
    await watcher.close();
    await runtime.create(containerSpec(engine, deviceOf(runtime), SLEEP));
    await sleep(1000);
    t.same(seen, [], 'a closed runtime reports nothing');
    t.same(errors, []);
  });

  t.test('refuses ensureImage with pull policy Never for a missing image, naming the image', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const missing = `localhost/flotilla-missing-${randomBytes(3).toString('hex')}:1`;
    await t.rejects(runtime.ensureImage(missing, 'Never'), new RegExp(missing.replace(/[.]/g, '\\.')));
  });

  t.test('accepts a present image with pull policy IfNotPresent or Never, without a registry', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    await t.resolves(runtime.ensureImage(engine.image, 'IfNotPresent'));
    await t.resolves(runtime.ensureImage(engine.image, 'Never'));
  });
}

