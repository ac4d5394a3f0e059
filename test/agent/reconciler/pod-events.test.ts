/**
 * The events a device tells about its pods as they happen: what a person reads in
 * `flotilla describe pod` about a time the hub could not see.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { PodEvent } from '../../../agent/reconciler/pod-events.js';
import { Reconciler } from '../../../agent/reconciler/reconciler.js';
import type { ContainerCreateSpec, ContainerRecord, ContainerRuntime, PullPolicy, RuntimeEvent, RuntimeInfo } from '../../../agent/runtime/runtime.js';
import { LocalState } from '../../../agent/state/local-state.js';
import { createLogger } from '../../../shared/log.js';
import type { DesiredPodMessage, StatusReportMessage } from '../../../shared/proto/codec.js';
import { desiredPod, engineContainer } from '../../helpers/desired-pods.js';

/** An engine in memory where the test makes containers exit, and pulls fail. */
class TestRuntime implements ContainerRuntime {
  readonly name = 'test';
  readonly calls: string[] = [];
  readonly containers = new Map<string, ContainerRecord>();
  /** Images whose pull fails, and whether each is on the device anyway. */
  readonly unpullable = new Map<string, { present: boolean }>();
  failStart = false;
  #next = 0;
  #onEvent: ((event: RuntimeEvent) => void) | undefined;

  async info(): Promise<RuntimeInfo> {
    return { name: 'test', version: '1', os: 'linux', arch: 'amd64' };
  }

  async list(): Promise<ContainerRecord[]> {
    this.calls.push('list');
    return [...this.containers.values()].map((record) => ({ ...record }));
  }

  async inspect(id: string): Promise<ContainerRecord | undefined> {
    const record = this.containers.get(id);
    return record && { ...record };
  }

  async ensureImage(image: string, policy: PullPolicy): Promise<void> {
    const broken = this.unpullable.get(image);
    if (broken === undefined) return;
    if (policy === 'Never' && broken.present) return;
    this.calls.push(`pull ${image} failed`);
    throw new Error(`pulling ${image}: registry.local: no route to host`);
  }

  async create(spec: ContainerCreateSpec): Promise<string> {
    const id = `new${++this.#next}`;
    this.calls.push(`create ${id}`);
    this.containers.set(id, { id, name: spec.name, image: spec.image, labels: { ...spec.labels }, state: 'created' });
    return id;
  }

  async start(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
    if (this.failStart) throw new Error(`the engine refused to start ${id}`);
    const record = this.containers.get(id);
    if (record) this.containers.set(id, { ...record, state: 'running', startedAt: Date.now() });
  }

  async stop(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
  }

  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    this.containers.delete(id);
  }

  async events(onEvent: (event: RuntimeEvent) => void): Promise<() => void> {
    this.#onEvent = onEvent;
    return () => (this.#onEvent = undefined);
  }

  async close(): Promise<void> {}

  /** The container exits with this code now, as `podman kill` makes it, and the engine says so. */
  exit(id: string, exitCode: number): number {
    const record = this.containers.get(id);
    if (!record) throw new Error(`no container ${id}`);
    const finishedAt = Date.now();
    this.containers.set(id, { ...record, state: 'exited', exitCode, finishedAt });
    this.#onEvent?.({ containerId: id, action: 'die', labels: record.labels });
    return finishedAt;
  }

  running(pod: DesiredPodMessage): ContainerRecord {
    const record = engineContainer(pod, pod.containers[0]!, { startedAt: Date.now() - 60_000 });
    this.containers.set(record.id, record);
    return record;
  }
}

interface Harness {
  runtime: TestRuntime;
  events: PodEvent[];
  reports: StatusReportMessage[];
  reconciler: Reconciler;
}

/**
 * State directories live under one root removed when every test is done: a test's own
 * directory, removed as the test ends, could go while its reconciler still writes to it.
 */
const STATE_ROOT = mkdtempSync(join(tmpdir(), 'flotilla-pod-events-'));
t.teardown(() => rmSync(STATE_ROOT, { recursive: true, force: true }));

function newStateDir(): string {
  return mkdtempSync(join(STATE_ROOT, 'state-'));
}

/** A reconciler telling events, on `stateDir` (a new one unless given: pass one to play an agent restart). */
function agent(t: Test, options: { runtime?: TestRuntime; stateDir?: string; backoffMs?: number } = {}): Harness {
  const runtime = options.runtime ?? new TestRuntime();
  const events: PodEvent[] = [];
  const reports: StatusReportMessage[] = [];
  const reconciler = new Reconciler({
    device: 'pi-1',
    runtime,
    state: LocalState.open(options.stateDir ?? newStateDir()),
    backoff: { baseMs: options.backoffMs ?? 1_000, maxMs: 8_000 },
    resyncMs: 3_600_000,
    log: createLogger('pod-events-test', 'silent'),
    onStatus: (report) => reports.push(report),
    onEvent: (event) => events.push(event),
  });
  t.teardown(() => reconciler.stop());
  return { runtime, events, reports, reconciler };
}

function story(events: PodEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.reason}: ${e.message}`);
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

t.test('tells a container started, then its exit with the exit code and the restart that followed, in that order', async (t) => {
  const { runtime, events, reconciler } = agent(t);
  await reconciler.start();
  reconciler.setDesired({ generation: 1, pods: [desiredPod('web')] });
  await reconciler.idle();
  t.same(story(events), ['Normal Started: started container app']);
  t.match(events[0], { namespace: 'default', name: 'web', uid: 'uid-web' });

  const finishedAt = runtime.exit('new1', 137);
  await until(() => events.length >= 3, 'the exit and the restart');
  t.same(story(events).slice(1), ['Warning Error: container app exited with code 137', 'Normal Restarted: restarted container app (restart 1)']);
  t.equal(events[1]?.atMs, finishedAt, 'the exit is told at the time the engine says it happened');
});

t.test('a second crash in a row waits out its back-off: tells the back-off, then the restart after it', async (t) => {
  const { runtime, events, reconciler } = agent(t, { backoffMs: 1_000 });
  await reconciler.start();
  reconciler.setDesired({ generation: 1, pods: [desiredPod('web')] });
  await reconciler.idle();
  runtime.exit('new1', 1);
  await until(() => events.length >= 3, 'the first restart');
  runtime.exit('new1', 1);
  await until(() => events.length >= 5, 'the back-off');
  t.same(story(events).slice(3, 5), [
    'Warning Error: container app exited with code 1',
    'Warning BackOff: back-off 1s restarting failed container app (exit code 1)',
  ]);
  await until(() => events.length >= 6, 'the second restart', 3_000);
  t.same(story(events).slice(5), ['Normal Restarted: restarted container app after 1s back-off (restart 2)']);
});

t.test('an exit is told once, even by an agent started again on the same state', async (t) => {
  const stateDir = newStateDir();
  const runtime = new TestRuntime();
  const first = agent(t, { runtime, stateDir });
  await first.reconciler.start();
  first.reconciler.setDesired({ generation: 1, pods: [desiredPod('job', { restartPolicy: 'Never' })] });
  await first.reconciler.idle();
  runtime.exit('new1', 0);
  await until(() => first.events.length >= 2, 'the exit');
  t.same(story(first.events).slice(1), ['Normal Completed: container app exited with code 0']);
  await first.reconciler.stop();

  const second = agent(t, { runtime, stateDir });
  await second.reconciler.start();
  await second.reconciler.reconcileNow();
  t.same(second.events, [], 'the restarted agent tells nothing it told before');
});

t.test('pods from local state whose containers are gone at start are restored, and told so once', async (t) => {
  const stateDir = newStateDir();
  const state = LocalState.open(stateDir);
  state.setDesired({ generation: 4, pods: [desiredPod('web'), desiredPod('db')] });
  state.flush();
  await state.flushed();
  const runtime = new TestRuntime();
  runtime.running(desiredPod('db'));
  // A reboot took the web container; the db one is still there.
  const { events, reconciler } = agent(t, { runtime, stateDir });
  await reconciler.start();
  await until(() => events.length >= 2, 'the restore');
  await reconciler.idle();
  t.same(story(events), [
    "Normal Restored: container app was gone when the agent started; restoring from the device's local state",
    'Normal Started: started container app',
  ]);
  t.ok(events.every((e) => e.name === 'web'), 'only the pod that was gone');
  await reconciler.reconcileNow();
  t.equal(events.length, 2, 'nothing more on the next pass');
});

t.test('containers running when the agent starts are adopted without a word or an engine call beyond the list', async (t) => {
  const stateDir = newStateDir();
  const state = LocalState.open(stateDir);
  const pods = [desiredPod('web'), desiredPod('db')];
  state.setDesired({ generation: 4, pods });
  state.flush();
  await state.flushed();
  const runtime = new TestRuntime();
  for (const pod of pods) runtime.running(pod);
  const { events, reconciler } = agent(t, { runtime, stateDir });
  await reconciler.start();
  await until(() => runtime.calls.length > 0, 'the first pass');
  await reconciler.idle();
  // The hub's document after a reconnect: a newer generation, the same pods.
  reconciler.setDesired({ generation: 9, pods: pods.map((pod) => ({ ...pod })) });
  await reconciler.idle();
  t.same(runtime.calls, ['list'], 'nothing created, started, stopped or removed');
  t.same(events, []);
});

t.test('with no desired state known at all, containers found on the engine are left alone until the hub speaks', async (t) => {
  const runtime = new TestRuntime();
  const web = desiredPod('web');
  const record = runtime.running(web);
  // An agent whose state file was lost: it knows of no pod.
  const { events, reports, reconciler } = agent(t, { runtime });
  await reconciler.start();
  await until(() => runtime.calls.length > 0, 'the first pass');
  await reconciler.idle();
  t.same(runtime.calls, ['list'], 'the container is not removed');
  t.same(reports.at(-1)?.pods, []);
  reconciler.setDesired({ generation: 2, pods: [web] });
  await reconciler.idle();
  t.notOk(runtime.calls.some((call) => call !== 'list'), 'and the hub’s document finds it running');
  t.equal(runtime.containers.get(record.id)?.state, 'running');
  t.same(events, []);
});

t.test('a failure repeated pass after pass is told once, until it changes', async (t) => {
  const { runtime, events, reconciler } = agent(t, { backoffMs: 50 });
  const image = 'registry.local/reader:1.4';
  runtime.unpullable.set(image, { present: false });
  await reconciler.start();
  reconciler.setDesired({ generation: 1, pods: [desiredPod('reader', { containers: [{ ...desiredPod('x').containers[0]!, image }] })] });
  await until(() => runtime.calls.filter((call) => call.startsWith('pull')).length >= 3, 'three pull attempts');
  t.same(story(events), [`Warning Failed: ErrImagePull: pulling ${image}: registry.local: no route to host`]);
  runtime.unpullable.delete(image);
  await until(() => events.length >= 2, 'the start');
  t.equal(story(events)[1], 'Normal Started: started container app');
});

t.test('an image with pull policy Always whose registry is out of reach starts from the copy on the device, with a warning', async (t) => {
  const { runtime, events, reports, reconciler } = agent(t);
  const image = 'registry.local/reader:1.4';
  runtime.unpullable.set(image, { present: true });
  await reconciler.start();
  reconciler.setDesired({
    generation: 1,
    pods: [desiredPod('reader', { containers: [{ ...desiredPod('x').containers[0]!, image, imagePullPolicy: 'Always' }] })],
  });
  await reconciler.idle();
  t.equal(reports.at(-1)?.pods[0]?.phase, 'Running');
  t.same(story(events), [
    `Warning PullFailedUsingLocalImage: pulling image ${image} failed (pulling ${image}: registry.local: no route to host); starting container app from the copy on the device`,
    'Normal Started: started container app',
  ]);
});

t.test('status reports say the device tells its own events, so the hub infers none', async (t) => {
  const { reports, reconciler } = agent(t);
  t.equal(reconciler.status.deviceEvents, true, 'from the first birth on');
  reconciler.setDesired({ generation: 1, pods: [desiredPod('web')] });
  await reconciler.idle();
  t.equal(reports.at(-1)?.deviceEvents, true);
});
