/**
 * The hollow runtime runs no processes, so the runtime contract suite (which checks what a
 * process in the container sees: env, logs, published ports, limits) cannot run on it. These
 * are the contract's checks that do not need a process, with the engine looked at from
 * outside through HollowEngine, plus what only the simulator needs: the start delay, image
 * pull failures on demand, and heartbeat figures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import { Reconciler } from '../../../agent/reconciler/reconciler.js';
import {
  HOLLOW_RUNTIME_NAME,
  dockerArch,
  HollowEngine,
  HollowHeartbeat,
  HollowRuntime,
  seededRandom,
  type HollowRuntimeOptions,
} from '../../../agent/runtime/hollow.js';
import { createRuntime, knownRuntimes } from '../../../agent/runtime/registry.js';
import { LABEL_DEVICE, LABEL_POD_NAME, type ContainerCreateSpec, type RuntimeEvent } from '../../../agent/runtime/runtime.js';
import { LocalState } from '../../../agent/state/local-state.js';
import { hasCode } from '../../../shared/errors.js';
import type { StatusReportMessage } from '../../../shared/proto/codec.js';
import { desiredPod } from '../../helpers/desired-pods.js';

const IMAGE = 'registry.example/camera-feed:1.4';

let serial = 0;

function spec(device: string, overrides: Partial<ContainerCreateSpec> = {}): ContainerCreateSpec {
  return {
    name: `${device}-c${++serial}`,
    image: IMAGE,
    cmd: ['sleep', '300'],
    env: [],
    ports: [],
    labels: { [LABEL_DEVICE]: device, [LABEL_POD_NAME]: 'web' },
    ...overrides,
  };
}

/** A runtime with no start delay unless the test asks for one. */
function hollow(options: Partial<HollowRuntimeOptions> = {}): HollowRuntime {
  return new HollowRuntime({ device: 'hollow-1', startDelayMs: 0, ...options });
}

async function waitUntil(what: string, check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

t.test('reports itself as the hollow engine on linux, with the architecture it was given', async (t) => {
  const info = await hollow({ arch: 'arm64' }).info();
  t.same(info, { name: 'hollow', version: info.version, os: 'linux', arch: 'arm64' });
  t.match(info.version, /^\d+\.\d+/);
  t.equal((await hollow().info()).arch, dockerArch(arch()), 'the host architecture by default, in the engine spelling');
  t.equal(dockerArch('x64'), 'amd64', 'never Node’s own name for amd64');
});

t.test('cannot be chosen by name where a real agent runs: it is not in the runtime registry', async (t) => {
  t.notOk(knownRuntimes().includes(HOLLOW_RUNTIME_NAME));
  t.throws(() => createRuntime(HOLLOW_RUNTIME_NAME, { device: 'pi-1', endpoint: '/nowhere.sock' }), /unknown container runtime "hollow"/);
});

t.test('creates a container that is "created", and runs it only once the start delay has passed', async (t) => {
  const runtime = hollow({ startDelayMs: 150 });
  const s = spec(runtime.device);
  const id = await runtime.create(s);
  t.match(id, /^[0-9a-f]{64}$/, 'an engine-style id');
  t.equal((await runtime.inspect(id))?.state, 'created', 'created, not started');

  const began = Date.now();
  const starting = runtime.start(id);
  await sleep(50);
  t.equal((await runtime.inspect(id))?.state, 'created', 'not running while it starts');
  await starting;
  t.ok(Date.now() - began >= 140, 'start returns once the container runs, after the delay');

  const record = await runtime.inspect(id);
  t.equal(record?.state, 'running');
  t.equal(record?.name, s.name);
  t.equal(record?.image, IMAGE);
  t.ok((record?.startedAt ?? 0) >= began, 'startedAt is the start time, in epoch ms');
  t.equal(record?.exitCode, undefined, 'no exit code while running');
  const listed = await runtime.list();
  t.same(listed.map((r) => [r.id, r.state]), [[id, 'running']], 'list shows exactly this device’s one container, running');
  t.same(listed[0], record, 'list gives the same detail as inspect');
  t.same(runtime.engine.containers().map((r) => r.state), ['running'], 'the engine runs it');
});

t.test('spreads start times over the jitter it is given', async (t) => {
  const random = seededRandom('jitter');
  const runtime = hollow({ startDelayMs: 20, startJitterMs: 80, random });
  const durations: number[] = [];
  for (let i = 0; i < 6; i++) {
    const id = await runtime.create(spec(runtime.device));
    const began = Date.now();
    await runtime.start(id);
    durations.push(Date.now() - began);
  }
  t.ok(durations.every((d) => d >= 19 && d < 600), `each start takes the delay plus at most the jitter (and timer lateness): ${durations.join(', ')} ms`);
  t.ok(Math.max(...durations) - Math.min(...durations) >= 10, `starts do not all take the same time: ${durations.join(', ')} ms`);
});

t.test('starts once when asked twice while starting, and a running container stays as it is', async (t) => {
  const runtime = hollow({ startDelayMs: 50 });
  const events: RuntimeEvent[] = [];
  await runtime.events((e) => events.push(e), () => undefined);
  const id = await runtime.create(spec(runtime.device));
  await Promise.all([runtime.start(id), runtime.start(id)]);
  const startedAt = (await runtime.inspect(id))?.startedAt;
  await runtime.start(id);
  t.equal((await runtime.inspect(id))?.startedAt, startedAt, 'starting a running container does not restart it');
  await sleep(10);
  t.equal(events.filter((e) => e.action === 'start').length, 1, 'one start event');
});

t.test('keeps the labels given at create, on list and inspect', async (t) => {
  const runtime = hollow();
  const labels = { [LABEL_DEVICE]: runtime.device, [LABEL_POD_NAME]: 'cam-0', 'io.flotilla.spec-hash': 'abc123', site: 'plant-3' };
  const id = await runtime.create(spec(runtime.device, { labels }));
  t.same((await runtime.inspect(id))?.labels, labels);
  t.same((await runtime.list())[0]?.labels, labels);
  labels.site = 'changed-by-the-caller';
  t.equal((await runtime.inspect(id))?.labels.site, 'plant-3', 'the engine keeps its own copy');
});

t.test('stops a running container at once, then removes it; repeating either is not an error', async (t) => {
  const runtime = hollow();
  const id = await runtime.create(spec(runtime.device));
  await runtime.start(id);
  const began = Date.now();
  await runtime.stop(id, 30);
  t.ok(Date.now() - began < 1000, 'the simulated process honours SIGTERM, so the grace period is not waited out');
  const stopped = await runtime.inspect(id);
  t.equal(stopped?.state, 'exited');
  t.equal(stopped?.exitCode, 0);
  t.ok(stopped?.finishedAt !== undefined && stopped.startedAt !== undefined && stopped.finishedAt >= stopped.startedAt, 'finished after it started');
  await t.resolves(runtime.stop(id, 1), 'stopping a stopped container is quiet');

  await runtime.remove(id);
  t.equal(await runtime.inspect(id), undefined, 'inspect of a removed container is undefined');
  t.same(await runtime.list(), []);
  await t.resolves(runtime.remove(id), 'removing a missing container is quiet');
  await t.resolves(runtime.stop(id, 1), 'stopping a missing container is quiet');
});

t.test('starts an exited container again, as a restart, without its old exit details', async (t) => {
  const runtime = hollow();
  const id = await runtime.create(spec(runtime.device));
  await runtime.start(id);
  runtime.engine.kill(id, 2);
  t.equal((await runtime.inspect(id))?.exitCode, 2);
  await runtime.start(id);
  const record = await runtime.inspect(id);
  t.equal(record?.state, 'running');
  t.equal(record?.exitCode, undefined);
  t.equal(record?.finishedAt, undefined);
});

t.test('removes a running container without stopping it first, reporting it killed', async (t) => {
  const runtime = hollow();
  const events: RuntimeEvent[] = [];
  await runtime.events((e) => events.push(e), () => undefined);
  const id = await runtime.create(spec(runtime.device));
  await runtime.start(id);
  await runtime.remove(id);
  t.equal(await runtime.inspect(id), undefined);
  await waitUntil('the destroy event', () => events.some((e) => e.action === 'destroy'));
  t.same(events.map((e) => e.action), ['create', 'start', 'die', 'destroy']);
});

t.test('refuses to start a container that does not exist, naming it', async (t) => {
  const runtime = hollow();
  const error = await runtime.start('no-such-container-here').catch((e: unknown) => e);
  t.match(error, { code: 'NotFound', message: /no-such-container-here/ });
});

t.test('refuses a start that finds its container removed while it was starting', async (t) => {
  const runtime = hollow({ startDelayMs: 50 });
  const id = await runtime.create(spec(runtime.device));
  const starting = runtime.start(id);
  await runtime.remove(id);
  await t.rejects(starting, new RegExp(`container ${id} does not exist`));
});

t.test('refuses to create a container whose labels lack this device or name another', async (t) => {
  const runtime = hollow();
  const device = runtime.device;
  await t.rejects(runtime.create(spec(device, { labels: { [LABEL_POD_NAME]: 'web' } })), new RegExp(`lacks the label ${LABEL_DEVICE}=${device}`));
  await t.rejects(runtime.create(spec(device, { labels: { [LABEL_DEVICE]: 'someone-else' } })), /someone-else/);
  t.same(await runtime.list(), [], 'nothing was created');
});

t.test('refuses a second container with a name already in use on the engine', async (t) => {
  const runtime = hollow();
  const s = spec(runtime.device);
  await runtime.create(s);
  const error = await runtime.create({ ...s }).catch((e: unknown) => e);
  t.ok(hasCode(error, 'AlreadyExists'), 'AlreadyExists, as Docker answers 409');
  t.match(error, { message: new RegExp(`"${s.name}" is already in use`) });
});

t.test("keeps one device's containers out of another device's sight and reach on a shared engine", async (t) => {
  const engine = new HollowEngine();
  const mine = hollow({ device: 'hollow-mine', engine });
  const theirs = hollow({ device: 'hollow-theirs', engine });
  const id = await mine.create(spec('hollow-mine'));
  await mine.start(id);

  t.same(await theirs.list(), [], 'the other device lists nothing');
  const notTheirs = new RegExp(`container ${id} does not belong to device hollow-theirs`);
  await t.rejects(theirs.inspect(id), notTheirs);
  await t.rejects(theirs.start(id), notTheirs);
  await t.rejects(theirs.stop(id, 0), notTheirs);
  await t.rejects(theirs.remove(id), notTheirs);
  t.equal((await mine.inspect(id))?.state, 'running', 'the container is untouched');
});

t.test('reports die when a container is killed behind its back, only to its own device', async (t) => {
  const engine = new HollowEngine();
  const runtime = hollow({ device: 'hollow-a', engine });
  const bystander = hollow({ device: 'hollow-b', engine });
  const seen: RuntimeEvent[] = [];
  const seenByBystander: RuntimeEvent[] = [];
  const stop = await runtime.events((e) => seen.push(e), () => undefined);
  await bystander.events((e) => seenByBystander.push(e), () => undefined);

  const id = await runtime.create(spec('hollow-a'));
  await runtime.start(id);
  t.ok(engine.kill(id, 137, { oomKilled: true }), 'the engine killed it');
  await waitUntil('a die event', () => seen.some((e) => e.action === 'die'));
  const died = seen.find((e) => e.action === 'die');
  t.equal(died?.containerId, id);
  t.equal(died?.labels[LABEL_DEVICE], 'hollow-a', 'the event carries the container labels');
  t.equal(died?.labels[LABEL_POD_NAME], 'web');
  t.ok(seen.some((e) => e.action === 'start' && e.containerId === id), 'start was reported before it');
  t.same(seenByBystander, [], 'another device hears nothing of it');
  const record = await runtime.inspect(id);
  t.equal(record?.exitCode, 137);
  t.equal(record?.oomKilled, true, 'an OOM kill shows as such');
  t.notOk(engine.kill(id), 'killing an exited container does nothing');

  stop();
  const count = seen.length;
  await runtime.remove(id);
  await sleep(20);
  t.equal(seen.length, count, 'nothing arrives after the stream is stopped');
});

t.test('stops every event stream when the runtime is closed', async (t) => {
  const engine = new HollowEngine();
  const runtime = hollow({ engine });
  const watcher = hollow({ engine });
  const seen: RuntimeEvent[] = [];
  await watcher.events((e) => seen.push(e), () => undefined);
  await watcher.close();
  await runtime.start(await runtime.create(spec(runtime.device)));
  await sleep(20);
  t.same(seen, [], 'a closed runtime reports nothing');
});

t.test('has every image, under every pull policy', async (t) => {
  const runtime = hollow();
  for (const policy of ['Always', 'IfNotPresent', 'Never'] as const) {
    await t.resolves(runtime.ensureImage(`registry.example/anything-${policy.toLowerCase()}:1`, policy), policy);
  }
});

t.test('fails the pull of an image matching the failing pattern, naming the image', async (t) => {
  const runtime = hollow({ failImages: /:broken$/ });
  const pull = await runtime.ensureImage('registry.example/app:broken', 'IfNotPresent').catch((e: unknown) => e);
  t.match(pull, { code: 'Unavailable', message: /pulling image registry\.example\/app:broken failed/ });
  const never = await runtime.ensureImage('registry.example/app:broken', 'Never').catch((e: unknown) => e);
  t.match(never, { code: 'NotFound', message: /image registry\.example\/app:broken is not present on device hollow-1/ });
  await t.resolves(runtime.ensureImage('registry.example/app:fine', 'Always'), 'other images still pull');
});

t.test('refuses an unknown pull policy, naming the field', async (t) => {
  const error = await hollow()
    .ensureImage(IMAGE, 'Sometimes' as 'Always')
    .catch((e: unknown) => e);
  t.match(error, { code: 'Invalid', details: [{ field: 'imagePullPolicy' }] });
});

t.test('takes the pull time on the first pull of an image, and every time under Always', async (t) => {
  const runtime = hollow({ pullDelayMs: 80 });
  const timed = async (policy: 'Always' | 'IfNotPresent') => {
    const began = Date.now();
    await runtime.ensureImage(IMAGE, policy);
    return Date.now() - began;
  };
  t.ok((await timed('IfNotPresent')) >= 75, 'the first pull takes the pull time');
  t.ok((await timed('IfNotPresent')) < 40, 'a present image is not pulled again');
  t.ok((await timed('Always')) >= 75, 'Always pulls again');
});

t.test("runs the agent's own reconciler: a desired pod reaches Running after the start delay", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-hollow-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const runtime = hollow({ device: 'pi-1', startDelayMs: 100 });
  const reports: StatusReportMessage[] = [];
  const reconciler = new Reconciler({
    device: 'pi-1',
    runtime,
    state: LocalState.open(dir),
    backoff: { baseMs: 1000, maxMs: 10_000 },
    resyncMs: 60_000,
    log: pino({ level: 'silent' }),
    onStatus: (report) => reports.push(report),
  });
  t.teardown(() => reconciler.stop());
  await reconciler.start();
  reconciler.setDesired({ generation: 3, pods: [desiredPod('camera-feed')] });
  await waitUntil('the pod Running', () => reports.some((r) => r.pods[0]?.phase === 'Running'), 3000);
  const running = reports.find((r) => r.pods[0]?.phase === 'Running');
  t.equal(running?.observedGeneration, 3);
  t.equal(running?.pods[0]?.containers[0]?.state, 'running');
  t.equal((await runtime.list()).length, 1, 'one container on the engine');

  runtime.engine.kill(running?.pods[0]?.containers[0]?.containerId ?? '', 1);
  await waitUntil('the restart', () => reports.some((r) => (r.pods[0]?.containers[0]?.restartCount ?? 0) >= 1), 3000);
  t.pass('a container killed behind its back is restarted by the agent, as on a real engine');

  reconciler.setDesired({ generation: 4, pods: [] });
  await waitUntil('the container removed', () => runtime.engine.containers().length === 0, 3000);
  t.pass('a pod no longer desired is removed');
});

t.test('heartbeats: the same seed gives the same device, another seed another device', async (t) => {
  const clock = () => 1_700_000_000_000;
  const figures = async (seed: string) => {
    const beat = new HollowHeartbeat({ seed, memoryTotalBytes: 4 * 1024 ** 3, now: clock });
    return [await beat.sample(2, 7), await beat.sample(2, 7)];
  };
  t.same(await figures('hollow-0001'), await figures('hollow-0001'));
  t.not(JSON.stringify(await figures('hollow-0001')), JSON.stringify(await figures('hollow-0002')));
});

t.test('heartbeats: plausible figures that follow the pods and drift slowly', async (t) => {
  const total = 4 * 1024 ** 3;
  const beat = new HollowHeartbeat({ seed: 'hollow-0042', memoryTotalBytes: total });
  const idle = await beat.sample(0, 3);
  t.equal(idle.runningPods, 0);
  t.equal(idle.bdSeq, 3, 'the session’s bdSeq is carried');
  t.equal(idle.memoryTotalBytes, total);
  t.ok(idle.cpuPercent > 0 && idle.cpuPercent < 30, `resting CPU ${idle.cpuPercent}%`);
  t.ok(idle.memoryUsedBytes > 0.1 * total && idle.memoryUsedBytes < 0.6 * total, 'resting memory is a share of the total');
  t.ok(idle.diskTotalBytes > 0 && idle.diskUsedBytes > 0 && idle.diskUsedBytes < idle.diskTotalBytes);
  t.ok(idle.temperatureCelsius >= 30 && idle.temperatureCelsius <= 90, `temperature ${idle.temperatureCelsius} °C`);
  t.ok(idle.uptimeSeconds >= 0 && idle.uptimeSeconds <= 31 * 86_400, 'booted within the last month');
  t.ok(Math.abs(idle.sentAtMs - Date.now()) < 5000);

  const busy = await beat.sample(8, 3);
  t.ok(busy.cpuPercent > idle.cpuPercent + 10, `8 pods load the CPU more: ${idle.cpuPercent}% → ${busy.cpuPercent}%`);
  t.ok(busy.memoryUsedBytes > idle.memoryUsedBytes + 200 * 1024 ** 2, '8 pods use more memory');

  const series: (typeof idle)[] = [];
  for (let i = 0; i < 50; i++) series.push(await beat.sample(4, 3));
  const steps = series.slice(1).map((next, i) => Math.abs(next.cpuPercent - (series[i]?.cpuPercent ?? 0)));
  t.ok(Math.max(...steps) < 5, `CPU moves a little from beat to beat (largest step ${Math.max(...steps)} points)`);
  t.ok(Math.max(...steps) > 0, 'but it does move');
  t.ok(series.every((b) => b.memoryUsedBytes <= total), 'never more memory than there is');
});

t.test('seeded random numbers repeat for a seed and stay in [0, 1)', async (t) => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const first = Array.from({ length: 100 }, () => a());
  t.same(first, Array.from({ length: 100 }, () => b()));
  t.not(first[0], c());
  t.ok(first.every((x) => x >= 0 && x < 1));
  const mean = first.reduce((sum, x) => sum + x, 0) / first.length;
  t.ok(mean > 0.35 && mean < 0.65, `spread over the range (mean ${mean.toFixed(2)})`);
});
