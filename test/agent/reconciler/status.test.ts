import t from 'tap';
import { podStatuses, type StatusInput } from '../../../agent/reconciler/status.js';
import type { ContainerRecord } from '../../../agent/runtime/runtime.js';
import type { ContainerMemory } from '../../../agent/state/local-state.js';
import type { DesiredPodMessage, PodStatusMessage } from '../../../shared/proto/codec.js';
import { BACKOFF, desiredContainer, desiredPod, engineContainer, exitedContainer, NOW } from '../../helpers/desired-pods.js';

function statusOf(
  p: DesiredPodMessage,
  containers: ContainerRecord[],
  memory: Record<string, ContainerMemory> = {},
  now = NOW,
): PodStatusMessage {
  const input: StatusInput = { pods: [p], containers, memory: (key) => memory[key], now, backoff: BACKOFF };
  const [status] = podStatuses(input);
  if (status === undefined) throw new Error('expected one pod status');
  return status;
}

t.test('a pod whose containers all run is Running and its containers ready', async (t) => {
  const web = desiredPod('web', { containers: [desiredContainer('app'), desiredContainer('sidecar')] });
  const records = web.containers.map((c) => engineContainer(web, c));
  const status = statusOf(web, records);
  t.match(status, { namespace: 'default', name: 'web', uid: 'uid-web', phase: 'Running', reason: '', message: '' });
  t.same(
    status.containers.map((c) => [c.name, c.state, c.ready, c.containerId]),
    [
      ['app', 'running', true, records[0]!.id],
      ['sidecar', 'running', true, records[1]!.id],
    ],
  );
  t.equal(status.containers[0]?.startedAtMs, NOW - 60_000);
});

t.test('a paused container counts as running but not ready', async (t) => {
  const web = desiredPod('web');
  const status = statusOf(web, [engineContainer(web, web.containers[0]!, { state: 'paused' })]);
  t.equal(status.phase, 'Running');
  t.match(status.containers[0], { state: 'running', ready: false });
});

t.test('a pod with no container yet is Pending with its containers ContainerCreating', async (t) => {
  const status = statusOf(desiredPod('web'), []);
  t.equal(status.phase, 'Pending');
  t.match(status.containers[0], { state: 'waiting', reason: 'ContainerCreating', ready: false, containerId: '' });
  t.equal(status.reason, '', 'ContainerCreating is the ordinary wait, not a reason to show on the pod');
});

t.test('a container created but not started yet is ContainerCreating', async (t) => {
  const web = desiredPod('web');
  const status = statusOf(web, [engineContainer(web, web.containers[0]!, { state: 'created', startedAt: undefined })]);
  t.equal(status.phase, 'Pending');
  t.match(status.containers[0], { state: 'waiting', reason: 'ContainerCreating' });
});

t.test('a pod whose image cannot be pulled shows the remembered error as its reason', async (t) => {
  const memory = { 'uid-web/app': { restartCount: 0, lastError: { reason: 'ErrImagePull', message: 'image localhost/nope:1 not found' } } };
  const status = statusOf(desiredPod('web'), [], memory);
  t.equal(status.phase, 'Pending');
  t.match(status.containers[0], { state: 'waiting', reason: 'ErrImagePull', message: 'image localhost/nope:1 not found' });
  t.equal(status.reason, 'ErrImagePull');
  t.equal(status.message, 'image localhost/nope:1 not found');
});

t.test('a container of an outdated spec is not reported as the desired container', async (t) => {
  const before = desiredPod('web');
  const after = desiredPod('web', { containers: [desiredContainer('app', { image: 'localhost/busybox:v2' })] });
  const status = statusOf(after, [engineContainer(before, before.containers[0]!)]);
  t.equal(status.phase, 'Pending');
  t.match(status.containers[0], { state: 'waiting', reason: 'ContainerCreating', containerId: '' });
});

t.test(
  'reports the container of the current spec even while an outdated one is still beside it',

  async (t) => {
    const before = desiredPod('web');
    const after = desiredPod('web', { containers: [desiredContainer('app', { image: 'localhost/busybox:v2' })] });
    const stale = engineContainer(before, before.containers[0]!);
    const current = engineContainer(after, after.containers[0]!);
    const status = statusOf(after, [stale, current]);
    t.equal(status.phase, 'Running');
    t.match(status.containers[0], { state: 'running', containerId: current.id });
  },
);

t.test('a pod whose containers all exited 0 under restart policy Never has Succeeded', async (t) => {
  const job = desiredPod('job', { restartPolicy: 'Never' });
  const status = statusOf(job, [exitedContainer(job, 0)]);
  t.equal(status.phase, 'Succeeded');
  t.match(status.containers[0], { state: 'terminated', reason: 'Completed', exitCode: 0, finishedAtMs: NOW - 1_000 });
});

t.test('a pod with a container that exited non-zero under restart policy Never has Failed', async (t) => {
  const job = desiredPod('job', { restartPolicy: 'Never' });
  const status = statusOf(job, [exitedContainer(job, 3)]);
  t.equal(status.phase, 'Failed');
  t.match(status.containers[0], { state: 'terminated', reason: 'Error', exitCode: 3 });
});

t.test('a container killed for exceeding its memory limit says OOMKilled', async (t) => {
  const job = desiredPod('job', { restartPolicy: 'Never' });
  const status = statusOf(job, [exitedContainer(job, 137, { oomKilled: true })]);
  t.equal(status.phase, 'Failed');
  t.match(status.containers[0], { state: 'terminated', reason: 'OOMKilled', exitCode: 137 });
});

t.test('a pod with a container that exited 0 under restart policy OnFailure has Succeeded', async (t) => {
  const job = desiredPod('job', { restartPolicy: 'OnFailure' });
  t.equal(statusOf(job, [exitedContainer(job, 0)]).phase, 'Succeeded');
});

t.test('a crashed container waiting out its back-off is in CrashLoopBackOff and its pod stays Running', async (t) => {
  const web = desiredPod('web');
  const status = statusOf(web, [exitedContainer(web, 1)], { 'uid-web/app': { restartCount: 2 } });
  t.equal(status.phase, 'Running');
  t.equal(status.reason, 'CrashLoopBackOff');
  t.match(status.containers[0], { state: 'waiting', reason: 'CrashLoopBackOff', exitCode: 1, restartCount: 2, ready: false });
  t.equal(status.containers[0]?.message, 'back-off 20s restarting failed container app (exit code 1)');
  t.equal(status.message, status.containers[0]?.message);
});

t.test('a crash-looping container keeps the same status while its back-off runs down', async (t) => {
  const web = desiredPod('web');
  const records = [exitedContainer(web, 1)];
  const memory = { 'uid-web/app': { restartCount: 3 } };
  t.same(statusOf(web, records, memory, NOW), statusOf(web, records, memory, NOW + 30_000));
});

t.test('reports the restart count the agent remembers', async (t) => {
  const web = desiredPod('web');
  const status = statusOf(web, [engineContainer(web, web.containers[0]!)], { 'uid-web/app': { restartCount: 7 } });
  t.equal(status.containers[0]?.restartCount, 7);
  t.equal(statusOf(web, [engineContainer(web, web.containers[0]!)]).containers[0]?.restartCount, 0);
});

t.test('a pod with one container running and one still being created is Pending', async (t) => {
  const web = desiredPod('web', { containers: [desiredContainer('app'), desiredContainer('sidecar')] });
  const status = statusOf(web, [engineContainer(web, web.containers[0]!)]);
  t.equal(status.phase, 'Pending');
});

t.test('a pod without containers is Pending', async (t) => {
  t.equal(statusOf(desiredPod('empty', { containers: [] }), []).phase, 'Pending');
});

t.test(
  'a pod under restart policy Always whose container just exited is not reported as finished',

  async (t) => {
    const web = desiredPod('web');
    t.equal(statusOf(web, [exitedContainer(web, 1)]).phase, 'Running', 'exit 1');
    t.equal(statusOf(web, [exitedContainer(web, 0)]).phase, 'Running', 'exit 0');
  },
);

t.test(
  'a pod under restart policy OnFailure whose container just failed is not reported as Failed',

  async (t) => {
    const job = desiredPod('job', { restartPolicy: 'OnFailure' });
    t.equal(statusOf(job, [exitedContainer(job, 1)]).phase, 'Running');
  },
);

t.test('reports one status per desired pod, in the desired order', async (t) => {
  const pods = [desiredPod('b'), desiredPod('a')];
  const statuses = podStatuses({ pods, containers: [], memory: () => undefined, now: NOW, backoff: BACKOFF });
  t.same(statuses.map((s) => s.name), ['b', 'a']);
});
