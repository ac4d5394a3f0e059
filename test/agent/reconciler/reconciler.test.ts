import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { EVENT_DEBOUNCE_MS, Reconciler } from '../../../agent/reconciler/reconciler.js';
import type {
  ContainerCreateSpec,
  ContainerRecord,
  ContainerRuntime,
  RuntimeEvent,
  RuntimeInfo,
} from '../../../agent/runtime/runtime.js';
import { LocalState } from '../../../agent/state/local-state.js';
import type { DesiredPodMessage, StatusReportMessage } from '../../../shared/proto/codec.js';
import { createLogger } from '../../../shared/log.js';
import { BACKOFF, desiredPod, DEVICE, engineContainer } from '../../helpers/desired-pods.js';

/**
 * An engine in memory that writes down every call the reconciler makes, so a test can say
 * how much work a pass asked of the engine.
 */
class CountingRuntime implements ContainerRuntime {
  readonly name = 'counting';
  readonly calls: string[] = [];
  readonly containers = new Map<string, ContainerRecord>();
  failStart = false;
  #next = 0;
  #onEvent: ((event: RuntimeEvent) => void) | undefined;
  #onError: ((error: Error) => void) | undefined;

  async info(): Promise<RuntimeInfo> {
    return { name: 'counting', version: '1.0', os: 'linux', arch: 'amd64' };
  }

  async list(): Promise<ContainerRecord[]> {
    this.calls.push('list');
    return [...this.containers.values()].map((record) => ({ ...record }));
  }

  async inspect(id: string): Promise<ContainerRecord | undefined> {
    this.calls.push(`inspect ${id}`);
    const record = this.containers.get(id);
    return record && { ...record };
  }

  async ensureImage(): Promise<void> {}

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

  /** While set, stops wait for it: a container that takes its grace period to stop. */
  stopsHeld: Promise<void> | undefined;

  async stop(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
    await this.stopsHeld;
  }

  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    this.containers.delete(id);
  }

  async events(onEvent: (event: RuntimeEvent) => void, onError: (error: Error) => void): Promise<() => void> {
    this.#onEvent = onEvent;
    this.#onError = onError;
    return () => (this.#onEvent = undefined);
  }

  emit(containerId: string, action: string): void {
    this.#onEvent?.({ containerId, action, labels: {} });
  }

  breakEventStream(): void {
    this.#onError?.(new Error('the engine closed the event stream'));
    this.#onEvent = undefined;
  }

  async close(): Promise<void> {}

  /** Puts a running container of the pod on the engine, as an earlier pass would have. */
  adopt(pod: DesiredPodMessage): ContainerRecord {
    const record = engineContainer(pod, pod.containers[0]!, { startedAt: Date.now() - 60_000 });
    this.containers.set(record.id, record);
    return record;
  }
}

function setup(t: Test, resyncMs = 3_600_000) {
  const runtime = new CountingRuntime();
  const reports: StatusReportMessage[] = [];
  // Its own directory, removed only after stop() has written the last state to it.
  const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-reconciler-'));
  const reconciler = new Reconciler({
    device: DEVICE,
    runtime,
    state: LocalState.open(stateDir),
    backoff: BACKOFF,
    resyncMs,
    log: createLogger('reconciler-test', 'silent'),
    onStatus: (report) => reports.push(report),
  });
  t.teardown(async () => {
    await reconciler.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { runtime, reports, reconciler };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function phases(report: StatusReportMessage | undefined): Record<string, string> {
  return Object.fromEntries((report?.pods ?? []).map((pod) => [pod.name, pod.phase]));
}

t.test('a new desired state starts a pass at once, without waiting out the event debounce', async (t) => {
  const { runtime, reconciler } = setup(t);
  reconciler.setDesired({ generation: 1, pods: [desiredPod('web')] });
  t.same(runtime.calls, ['list'], 'the engine is asked before setDesired even returns');
  await reconciler.idle();
  t.ok(runtime.calls.includes('start new1'), 'and the pod’s container is started');
});

t.test('engine events that come close together make one pass, after the debounce', async (t) => {
  const { runtime, reconciler } = setup(t);
  await reconciler.start();
  await until(() => runtime.calls.length > 0, 'the first pass');
  await reconciler.idle();
  runtime.calls.length = 0;
  runtime.emit('c1', 'kill');
  runtime.emit('c1', 'die');
  runtime.emit('c1', 'stop');
  t.same(runtime.calls, [], 'no pass yet');
  await until(() => runtime.calls.length > 0, 'a pass after the events');
  await sleep(EVENT_DEBOUNCE_MS * 3);
  t.same(runtime.calls, ['list'], 'one pass for the three events');
});

t.test('starting one pod among thirty running lists once and inspects only the new container', async (t) => {
  const { runtime, reports, reconciler } = setup(t);
  const running = Array.from({ length: 30 }, (_, i) => desiredPod(`running-${i}`));
  for (const pod of running) runtime.adopt(pod);
  const fresh = desiredPod('fresh');

  reconciler.setDesired({ generation: 2, pods: [...running, fresh] });
  await reconciler.idle();

  t.same(runtime.calls, ['list', 'create new1', 'start new1', 'inspect new1'], 'work in proportion to what changed');
  const report = reports.at(-1);
  t.equal(report?.observedGeneration, 2);
  t.equal(phases(report)['fresh'], 'Running', 'the new pod is reported Running from that one inspect');
  t.equal(Object.values(phases(report)).filter((phase) => phase === 'Running').length, 31, 'and the others still Running');
  t.equal(report?.pods.find((pod) => pod.name === 'fresh')?.containers[0]?.containerId, 'new1');
});

t.test('a removed pod drops out of the report without listing the engine again', async (t) => {
  const { runtime, reports, reconciler } = setup(t);
  const keep = desiredPod('keep');
  const gone = desiredPod('gone');
  runtime.adopt(keep);
  const goneRecord = runtime.adopt(gone);

  reconciler.setDesired({ generation: 3, pods: [keep] });
  await reconciler.idle();

  t.same(runtime.calls, ['list', `stop ${goneRecord.id}`, `remove ${goneRecord.id}`]);
  t.same(phases(reports.at(-1)), { keep: 'Running' });
});

t.test("an old pod taking its grace period to stop holds up neither its successor nor the report that it runs", async (t) => {
  const { runtime, reports, reconciler } = setup(t);
  const old = desiredPod('web-7f9c-abcde', { uid: 'uid-old' });
  const successor = desiredPod('web-88aa-fghij', { uid: 'uid-new' });
  const oldRecord = runtime.adopt(old);
  let release = (): void => undefined;
  runtime.stopsHeld = new Promise((resolve) => (release = resolve));

  reconciler.setDesired({ generation: 4, pods: [successor] });
  await until(() => phases(reports.at(-1))['web-88aa-fghij'] === 'Running', 'the successor reported Running');
  t.ok(runtime.calls.includes(`stop ${oldRecord.id}`), 'the old container is being stopped');
  t.notOk(runtime.calls.includes(`remove ${oldRecord.id}`), 'and is not removed yet');

  let idle = false;
  const idled = reconciler.idle().then(() => (idle = true));
  await sleep(20);
  t.notOk(idle, 'the reconciler is not idle while a removal is under way');
  release();
  await idled;
  t.notOk(runtime.containers.has(oldRecord.id), 'the old container is gone once its stop ends');
  t.equal(runtime.calls.filter((call) => call === `stop ${oldRecord.id}`).length, 1, 'and was stopped once, however many passes ran meanwhile');
});

t.test('a successor that needs the engine name of the container it replaces waits for its removal', async (t) => {
  const { runtime, reconciler } = setup(t);
  const before = desiredPod('web', { uid: 'uid-1' });
  const after = desiredPod('web', { uid: 'uid-2' });
  const oldRecord = runtime.adopt(before);
  reconciler.setDesired({ generation: 5, pods: [after] });
  await reconciler.idle();
  const order = runtime.calls.filter((call) => call.startsWith('remove') || call.startsWith('create'));
  t.same(order, [`remove ${oldRecord.id}`, 'create new1']);
});

t.test('a container that fails to start is looked at again and reported with the engine’s reason', async (t) => {
  const { runtime, reports, reconciler } = setup(t);
  runtime.failStart = true;
  reconciler.setDesired({ generation: 4, pods: [desiredPod('broken')] });
  await reconciler.idle();

  t.same(runtime.calls.slice(0, 4), ['list', 'create new1', 'start new1', 'inspect new1']);
  const container = reports.at(-1)?.pods[0]?.containers[0];
  t.equal(container?.containerId, 'new1', 'the created container is known without a second list');
  t.equal(container?.reason, 'RunContainerError');
  t.match(container?.message, /refused to start new1/);
});

t.test('a new desired state that arrives during a pass runs right after it', async (t) => {
  const { runtime, reports, reconciler } = setup(t);
  reconciler.setDesired({ generation: 5, pods: [desiredPod('first')] });
  reconciler.setDesired({ generation: 6, pods: [desiredPod('first'), desiredPod('second')] });
  await reconciler.idle();
  t.equal(reports.at(-1)?.observedGeneration, 6);
  t.same(phases(reports.at(-1)), { first: 'Running', second: 'Running' });
  t.equal(runtime.calls.filter((call) => call.startsWith('create')).length, 2, 'each pod created once');
});

/** Starts the reconciler following engine events and waits out its first pass. */
async function started(reconciler: Reconciler, runtime: CountingRuntime): Promise<void> {
  await reconciler.idle();
  runtime.calls.length = 0;
  await reconciler.start();
  await until(() => runtime.calls.includes('list'), 'the first pass');
  await reconciler.idle();
  runtime.calls.length = 0;
}

t.test('while engine events are followed and quiet, a new pod is started without listing the engine again', async (t) => {
  const { runtime, reports, reconciler } = setup(t);
  const running = Array.from({ length: 30 }, (_, i) => desiredPod(`running-${i}`));
  for (const pod of running) runtime.adopt(pod);
  reconciler.setDesired({ generation: 1, pods: running });
  await started(reconciler, runtime);

  reconciler.setDesired({ generation: 2, pods: [...running, desiredPod('fresh')] });
  await reconciler.idle();
  t.same(runtime.calls, ['create new1', 'start new1', 'inspect new1'], 'the last pass’s view still holds');
  t.equal(Object.values(phases(reports.at(-1))).filter((phase) => phase === 'Running').length, 31);
});

t.test('an engine event since the last pass makes the next pass list the engine', async (t) => {
  const { runtime, reconciler } = setup(t);
  const web = desiredPod('web');
  const record = runtime.adopt(web);
  await started(reconciler, runtime);

  runtime.containers.set(record.id, { ...record, state: 'exited', exitCode: 1, finishedAt: Date.now() });
  runtime.emit(record.id, 'die');
  reconciler.setDesired({ generation: 1, pods: [web] });
  await reconciler.idle();
  t.same(runtime.calls.slice(0, 2), ['list', `start ${record.id}`], 'the exit is seen and the container restarted');
});

t.test('once the event stream fails, every pass lists the engine', async (t) => {
  const { runtime, reconciler } = setup(t);
  await started(reconciler, runtime);
  runtime.breakEventStream();
  reconciler.setDesired({ generation: 1, pods: [] });
  await reconciler.idle();
  t.same(runtime.calls, ['list'], 'nothing vouches for the last view any more');
});

t.test('the resync lists the engine even when no event came', async (t) => {
  const { runtime, reconciler } = setup(t, 100);
  await started(reconciler, runtime);
  await until(() => runtime.calls.includes('list'), 'a resync pass');
  t.pass('the engine was listed again');
});

t.test('the first pass after the event stream opens lists the engine, even when an earlier pass saw it', async (t) => {
  const { runtime, reconciler } = setup(t);
  reconciler.setDesired({ generation: 1, pods: [] });
  await reconciler.idle();
  runtime.calls.length = 0;
  await reconciler.start();
  await until(() => runtime.calls.length > 0, 'the first pass after start');
  t.same(runtime.calls, ['list'], 'changes before the stream opened have no event to tell of them');
});
