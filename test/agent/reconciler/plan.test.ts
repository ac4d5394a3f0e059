import t from 'tap';
import { plan, restartAt, wantsRestart, type PlanInput, type Step } from '../../../agent/reconciler/plan.js';
import { LABEL_DEVICE, LABEL_HOST_PORTS, type ContainerRecord } from '../../../agent/runtime/runtime.js';
import type { ContainerMemory } from '../../../agent/state/local-state.js';
import type { DesiredContainerMessage, DesiredPodMessage } from '../../../shared/proto/codec.js';
import { BACKOFF, desiredContainer, desiredPod, DEVICE, engineContainer, exitedContainer, NOW } from '../../helpers/desired-pods.js';

function input(
  pods: DesiredPodMessage[],
  containers: ContainerRecord[],
  memory: Record<string, ContainerMemory> = {},
  now = NOW,
): PlanInput {
  return { pods, containers, memory: (key) => memory[key], now, backoff: BACKOFF };
}

function actions(steps: Step[]): string[] {
  return steps.map((s) => s.action);
}

t.test('creates a container for a desired one the engine does not have', async (t) => {
  const web = desiredPod('web');
  const steps = plan(input([web], []));
  t.equal(steps.length, 1);
  const [step] = steps;
  t.equal(step?.action, 'create');
  if (step?.action !== 'create') return;
  t.equal(step.key, 'uid-web/app');
  t.equal(step.pod, web);
  t.equal(step.container, web.containers[0]);
});

t.test('creates only the missing container of a pod whose other container runs', async (t) => {
  const web = desiredPod('web', { containers: [desiredContainer('app'), desiredContainer('sidecar')] });
  const steps = plan(input([web], [engineContainer(web, web.containers[0]!)]));
  t.same(steps.map((s) => [s.action, 'key' in s ? s.key : '']), [['create', 'uid-web/sidecar']]);
});

t.test('adopts a running container with the right spec after an agent restart: nothing to do', async (t) => {
  const web = desiredPod('web');
  t.same(plan(input([web], [engineContainer(web, web.containers[0]!)])), []);
});

t.test('leaves alone containers that are paused, restarting or in an unknown state', async (t) => {
  for (const state of ['paused', 'restarting', 'unknown'] as const) {
    const web = desiredPod('web');
    t.same(plan(input([web], [engineContainer(web, web.containers[0]!, { state })])), [], state);
  }
});

t.test('removes a container of a pod that is no longer desired', async (t) => {
  const gone = desiredPod('gone');
  const record = engineContainer(gone, gone.containers[0]!);
  t.same(plan(input([], [record])), [{ action: 'remove', id: record.id, name: record.name, graceSeconds: gone.terminationGracePeriodSeconds, reason: 'not desired', blocking: false }]);
});

t.test('removes the container of an earlier pod of the same name and creates one for the new pod', async (t) => {
  const before = desiredPod('web', { uid: 'uid-1' });
  const after = desiredPod('web', { uid: 'uid-2' });
  const steps = plan(input([after], [engineContainer(before, before.containers[0]!)]));
  t.same(actions(steps), ['remove', 'create']);
  t.match(steps[0], { reason: 'not desired', blocking: true }, 'the new one needs the engine name the old one holds');
});

t.test("an old pod's removal holds up nothing that needs neither its name nor its host ports", async (t) => {
  const old = desiredPod('web-7f9c-abcde', { uid: 'uid-1', containers: [desiredContainer('app', { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] })] });
  const successor = desiredPod('web-88aa-fghij', { uid: 'uid-2', containers: [desiredContainer('app', { ports: [{ containerPort: 80, hostPort: 0, protocol: 'TCP' }] })] });
  const steps = plan(input([successor], [engineContainer(old, old.containers[0]!)]));
  t.same(actions(steps), ['remove', 'create']);
  t.match(steps[0], { reason: 'not desired', blocking: false });
});

t.test("a successor that binds a host port the old pod's container holds waits for its removal", async (t) => {
  const port = { containerPort: 80, hostPort: 8080, protocol: 'TCP' };
  const old = desiredPod('web-7f9c-abcde', { uid: 'uid-1', containers: [desiredContainer('app', { ports: [port] })] });
  const successor = desiredPod('web-88aa-fghij', { uid: 'uid-2', containers: [desiredContainer('app', { ports: [port] })] });
  t.match(plan(input([successor], [engineContainer(old, old.containers[0]!)]))[0], { reason: 'not desired', blocking: true });
  const udp = desiredPod('web-88aa-fghij', { uid: 'uid-2', containers: [desiredContainer('app', { ports: [{ ...port, protocol: 'UDP' }] })] });
  t.match(plan(input([udp], [engineContainer(old, old.containers[0]!)]))[0], { blocking: false }, 'the same number over UDP is another port');
});

t.test('a container made before host ports were labelled is taken to hold any a successor needs', async (t) => {
  const old = desiredPod('web-7f9c-abcde', { uid: 'uid-1' });
  const record = engineContainer(old, old.containers[0]!);
  delete record.labels[LABEL_HOST_PORTS];
  const withPort = desiredPod('web-88aa-fghij', { uid: 'uid-2', containers: [desiredContainer('app', { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] })] });
  const withoutPort = desiredPod('web-88aa-fghij', { uid: 'uid-2' });
  t.match(plan(input([withPort], [record]))[0], { blocking: true });
  t.match(plan(input([withoutPort], [record]))[0], { blocking: false });
});

t.test('replaces a container whose spec changed, removing the old one first', async (t) => {
  const before = desiredPod('web', { terminationGracePeriodSeconds: 30 });
  const after = desiredPod('web', { terminationGracePeriodSeconds: 30, containers: [desiredContainer('app', { image: 'localhost/busybox:v2' })] });
  const old = engineContainer(before, before.containers[0]!);
  const steps = plan(input([after], [old]));
  t.same(actions(steps), ['remove', 'create']);
  t.same(steps[0], { action: 'remove', id: old.id, name: old.name, graceSeconds: 30, reason: 'spec changed', blocking: true });
  t.match(steps[1], { action: 'create', key: 'uid-web/app' });
});

t.test('treats a changed limit, env, port or command as a spec change', async (t) => {
  const changes: Partial<DesiredContainerMessage>[] = [
    { memoryBytes: 64 * 1024 * 1024 },
    { cpuMillis: 500 },
    { env: [{ name: 'MODE', value: 'fast' }] },
    { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] },
    { command: ['/bin/sh', '-c', 'sleep 1000'] },
    { args: ['--verbose'] },
  ];
  for (const change of changes) {
    const before = desiredPod('web');
    const after = desiredPod('web', { containers: [desiredContainer('app', change)] });
    t.same(actions(plan(input([after], [engineContainer(before, before.containers[0]!)]))), ['remove', 'create'], JSON.stringify(change));
  }
});

t.test('does not recreate a container when only its pull policy or the pod restart policy changed', async (t) => {
  const before = desiredPod('web');
  const after = desiredPod('web', { restartPolicy: 'OnFailure', containers: [desiredContainer('app', { imagePullPolicy: 'Always' })] });
  t.same(plan(input([after], [engineContainer(before, before.containers[0]!)])), []);
});

t.test('removes duplicates of a container, keeping the running one', async (t) => {
  const web = desiredPod('web');
  const c = web.containers[0]!;
  const stopped = engineContainer(web, c, { state: 'exited', exitCode: 0, startedAt: NOW - 1_000, finishedAt: NOW - 500 });
  const running = engineContainer(web, c, { state: 'running', startedAt: NOW - 90_000 });
  const created = engineContainer(web, c, { state: 'created', startedAt: undefined });
  const steps = plan(input([web], [stopped, running, created]));
  t.same(actions(steps), ['remove', 'remove']);
  t.same(steps.map((s) => (s.action === 'remove' ? s.id : '')).sort(), [stopped.id, created.id].sort());
  t.ok(steps.every((s) => s.action === 'remove' && s.reason === 'duplicate'));
});

t.test('among duplicates none of which runs, keeps the most recently started', async (t) => {
  const web = desiredPod('web', { restartPolicy: 'Never', terminationGracePeriodSeconds: 30 });
  const c = web.containers[0]!;
  const older = engineContainer(web, c, { state: 'exited', exitCode: 0, startedAt: NOW - 50_000, finishedAt: NOW - 40_000 });
  const newer = engineContainer(web, c, { state: 'exited', exitCode: 0, startedAt: NOW - 5_000, finishedAt: NOW - 4_000 });
  t.same(plan(input([web], [newer, older])), [{ action: 'remove', id: older.id, name: older.name, graceSeconds: 30, reason: 'duplicate', blocking: true }]);
});

t.test('starts a container that was created but never started', async (t) => {
  const web = desiredPod('web');
  const created = engineContainer(web, web.containers[0]!, { state: 'created', startedAt: undefined });
  t.same(plan(input([web], [created])), [{ action: 'start', key: 'uid-web/app', id: created.id }]);
});

t.test('ignores engine containers that carry no pod labels', async (t) => {
  const foreign: ContainerRecord = { id: 'x1', name: 'something-else', image: 'nginx', labels: { [LABEL_DEVICE]: DEVICE }, state: 'exited', exitCode: 1 };
  const partial: ContainerRecord = { id: 'x2', name: 'half', image: 'nginx', labels: { [LABEL_DEVICE]: DEVICE, 'io.flotilla.pod.uid': 'u' }, state: 'running' };
  t.same(plan(input([], [foreign, partial])), []);
});

t.test('puts every removal before any create, start or restart', async (t) => {
  const a = desiredPod('a');
  const b = desiredPod('b');
  const gone = desiredPod('gone');
  const steps = plan(input([a, b], [exitedContainer(a, 1), engineContainer(gone, gone.containers[0]!)]));
  t.same(actions(steps), ['remove', 'restart', 'create']);
});

t.test('restart policy Always restarts an exited container at once the first time', async (t) => {
  for (const exitCode of [0, 1, 137]) {
    const web = desiredPod('web');
    const record = exitedContainer(web, exitCode);
    t.same(plan(input([web], [record])), [{ action: 'restart', key: 'uid-web/app', id: record.id }], `exit ${exitCode}`);
  }
});

t.test('restarts a dead container under restart policy Always', async (t) => {
  const web = desiredPod('web');
  const record = exitedContainer(web, 1, { state: 'dead' });
  t.same(actions(plan(input([web], [record]))), ['restart']);
});

t.test('after a restart, a crashed container waits out a back-off that doubles per restart up to the maximum', async (t) => {
  const web = desiredPod('web');
  const finishedAt = NOW - 1_000;
  const record = exitedContainer(web, 1, { finishedAt, startedAt: finishedAt - 500 });
  const expected: [number, number][] = [
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [4, 80_000],
    [5, 160_000],
    [6, 300_000],
    [12, 300_000],
  ];
  for (const [restartCount, delay] of expected) {
    const steps = plan(input([web], [record], { 'uid-web/app': { restartCount } }));
    t.same(steps, [{ action: 'wait', key: 'uid-web/app', until: finishedAt + delay }], `after ${restartCount} restarts`);
  }
});

t.test('restarts a backed-off container once its back-off has passed, not before', async (t) => {
  const web = desiredPod('web');
  const finishedAt = NOW - 1_000;
  const record = exitedContainer(web, 1, { finishedAt, startedAt: finishedAt - 500 });
  const memory = { 'uid-web/app': { restartCount: 2 } };
  t.same(actions(plan(input([web], [record], memory, finishedAt + 19_999))), ['wait']);
  t.same(actions(plan(input([web], [record], memory, finishedAt + 20_000))), ['restart']);
});

t.test('restarts at once a container that ran for long before it exited, whatever its restart count', async (t) => {
  const web = desiredPod('web');
  const finishedAt = NOW - 1_000;
  const record = exitedContainer(web, 1, { finishedAt, startedAt: finishedAt - 2 * BACKOFF.maxMs - 1 });
  t.same(actions(plan(input([web], [record], { 'uid-web/app': { restartCount: 9 } }))), ['restart']);
});

t.test('restart policy OnFailure restarts only a container that exited non-zero', async (t) => {
  const web = desiredPod('web', { restartPolicy: 'OnFailure' });
  t.same(plan(input([web], [exitedContainer(web, 0)])), []);
  t.same(actions(plan(input([web], [exitedContainer(web, 2)]))), ['restart']);
});

t.test('restart policy Never never restarts, whatever the exit code', async (t) => {
  const web = desiredPod('web', { restartPolicy: 'Never' });
  t.same(plan(input([web], [exitedContainer(web, 0)])), []);
  t.same(plan(input([web], [exitedContainer(web, 1)])), []);
  t.same(plan(input([web], [exitedContainer(web, 1, { oomKilled: true })])), []);
});

t.test('treats a missing restart policy (an older hub) as Always', async (t) => {
  const web = desiredPod('web', { restartPolicy: '' });
  t.same(actions(plan(input([web], [exitedContainer(web, 0)]))), ['restart']);
});

t.test('stops a replaced container with the grace period its pod asks for', async (t) => {
  const before = desiredPod('web', { terminationGracePeriodSeconds: 3 });
  const after = desiredPod('web', { terminationGracePeriodSeconds: 3, containers: [desiredContainer('app', { image: 'localhost/busybox:v2' })] });
  t.match(plan(input([after], [engineContainer(before, before.containers[0]!)]))[0], { action: 'remove', graceSeconds: 3 });
});

t.test('stops a replaced container without a grace period when its pod asks for none', async (t) => {
  const before = desiredPod('web', { terminationGracePeriodSeconds: 0 });
  const after = desiredPod('web', { terminationGracePeriodSeconds: 0, containers: [desiredContainer('app', { image: 'localhost/busybox:v2' })] });
  t.match(plan(input([after], [engineContainer(before, before.containers[0]!)]))[0], { action: 'remove', graceSeconds: 0 });
});

t.test(
  'stops a container of a pod that is no longer desired with the grace period that pod asked for',

  async (t) => {
    const database = desiredPod('database', { terminationGracePeriodSeconds: 60 });
    const record = engineContainer(database, database.containers[0]!);
    t.match(plan(input([], [record]))[0], { action: 'remove', reason: 'not desired', graceSeconds: 60 });
  },
);

t.test('wantsRestart follows the restart policy', async (t) => {
  t.equal(wantsRestart('Always', 0), true);
  t.equal(wantsRestart('Always', 1), true);
  t.equal(wantsRestart('OnFailure', 0), false);
  t.equal(wantsRestart('OnFailure', 1), true);
  t.equal(wantsRestart('Never', 1), false);
});

t.test('restartAt is the finish time itself for a container never restarted before', async (t) => {
  const web = desiredPod('web');
  const record = exitedContainer(web, 1);
  t.equal(restartAt(record, undefined, BACKOFF), record.finishedAt);
  t.equal(restartAt(record, { restartCount: 0 }, BACKOFF), record.finishedAt);
});
