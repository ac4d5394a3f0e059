import t from 'tap';
import { podStatusEvents, podStatusFromReport, sameStatus } from '../../../hub/dispatch/pod-status.js';
import type { Pod, PodStatus } from '../../../shared/objects.js';
import type { ContainerStatusMessage, PodStatusMessage } from '../../../shared/proto/codec.js';

const STARTED = Date.parse('2024-05-01T10:00:00.000Z');
const FINISHED = Date.parse('2024-05-01T10:05:00.000Z');

function boundPod(status?: PodStatus): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web' },
    spec: { nodeName: 'pi-1', containers: [{ name: 'app', image: 'busybox' }] },
    ...(status ? { status } : {}),
  };
}

function reported(overrides: Partial<ContainerStatusMessage> = {}): ContainerStatusMessage {
  return {
    name: 'app',
    image: 'busybox',
    state: 'running',
    reason: '',
    message: '',
    exitCode: 0,
    restartCount: 0,
    startedAtMs: STARTED,
    finishedAtMs: 0,
    containerId: 'abc123',
    ready: true,
    ...overrides,
  };
}

function report(containers: ContainerStatusMessage[], overrides: Partial<PodStatusMessage> = {}): PodStatusMessage {
  return { namespace: 'default', name: 'web', uid: 'uid-web', phase: 'Running', reason: '', message: '', containers, ...overrides };
}

t.test('maps a running container with its start time and id', async (t) => {
  const status = podStatusFromReport(boundPod(), report([reported({ restartCount: 2 })]), 7);
  t.same(status.containerStatuses, [
    { name: 'app', image: 'busybox', ready: true, restartCount: 2, state: { running: { startedAt: '2024-05-01T10:00:00.000Z' } }, containerID: 'abc123' },
  ]);
  t.equal(status.phase, 'Running');
  t.equal(status.observedGeneration, 7);
  t.equal(status.startTime, '2024-05-01T10:00:00.000Z');
});

t.test('maps a terminated container with its exit code, reason and times', async (t) => {
  const status = podStatusFromReport(
    boundPod(),
    report([reported({ state: 'terminated', exitCode: 137, reason: 'OOMKilled', message: 'out of memory', finishedAtMs: FINISHED, ready: false })], {
      phase: 'Failed',
    }),
    1,
  );
  t.same(status.containerStatuses?.[0]?.state, {
    terminated: {
      exitCode: 137,
      reason: 'OOMKilled',
      message: 'out of memory',
      startedAt: '2024-05-01T10:00:00.000Z',
      finishedAt: '2024-05-01T10:05:00.000Z',
    },
  });
  t.equal(status.phase, 'Failed');
});

t.test('maps a waiting container with its reason and message, and gives the pod the reason', async (t) => {
  const status = podStatusFromReport(
    boundPod(),
    report([reported({ state: 'waiting', reason: 'ErrImagePull', message: 'not found', startedAtMs: 0, containerId: '', ready: false })], {
      phase: 'Pending',
      reason: 'ErrImagePull',
      message: 'not found',
    }),
    1,
  );
  t.same(status.containerStatuses?.[0], { name: 'app', image: 'busybox', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } });
  t.equal(status.reason, 'ErrImagePull');
  t.equal(status.message, 'not found');
  t.notOk('startTime' in status, 'a pod that never started has no start time');
});

t.test('calls a waiting container without a reason ContainerCreating', async (t) => {
  const status = podStatusFromReport(boundPod(), report([reported({ state: '', startedAtMs: 0, ready: false })], { phase: 'Pending' }), 1);
  t.same(status.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
});

t.test('is Ready only when the pod runs and every container is ready', async (t) => {
  const ready = (r: PodStatusMessage) => podStatusFromReport(boundPod(), r, 1).conditions?.find((c) => c.type === 'Ready')?.status;
  t.equal(ready(report([reported(), reported({ name: 'sidecar' })])), 'True');
  t.equal(ready(report([reported(), reported({ name: 'sidecar', ready: false })])), 'False');
  t.equal(ready(report([reported()], { phase: 'Pending' })), 'False');
  t.equal(ready(report([], { phase: 'Running' })), 'False');
});

t.test('keeps the PodScheduled condition the scheduler wrote, first', async (t) => {
  const scheduled = { type: 'PodScheduled' as const, status: 'True' as const, reason: 'Scheduled', lastTransitionTime: '2024-05-01T09:59:00.000Z' };
  const status = podStatusFromReport(boundPod({ phase: 'Pending', conditions: [scheduled] }), report([reported()]), 1);
  t.same(status.conditions?.[0], scheduled);
  t.equal(status.conditions?.[1]?.type, 'Ready');
  t.equal(status.conditions?.length, 2);
});

t.test('keeps the time the Ready condition last moved while it does not move', async (t) => {
  const before = { type: 'Ready' as const, status: 'True' as const, lastTransitionTime: '2024-05-01T10:00:01.000Z' };
  const status = podStatusFromReport(boundPod({ phase: 'Running', conditions: [before] }), report([reported({ restartCount: 1 })]), 2);
  t.equal(status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, '2024-05-01T10:00:01.000Z');
});

t.test('stamps the Ready condition with the current time when it moves', async (t) => {
  const before = { type: 'Ready' as const, status: 'True' as const, lastTransitionTime: '2024-05-01T10:00:01.000Z' };
  const lower = Date.now();
  const status = podStatusFromReport(boundPod({ phase: 'Running', conditions: [before] }), report([reported({ ready: false })]), 2);
  const condition = status.conditions?.find((c) => c.type === 'Ready');
  t.equal(condition?.status, 'False');
  const at = Date.parse(condition?.lastTransitionTime ?? '');
  t.ok(at >= lower - 1 && at <= Date.now() + 1, `stamped ${condition?.lastTransitionTime}`);
});

t.test('keeps the start time the pod already has', async (t) => {
  const status = podStatusFromReport(boundPod({ phase: 'Running', startTime: '2024-04-01T00:00:00.000Z' }), report([reported()]), 3);
  t.equal(status.startTime, '2024-04-01T00:00:00.000Z');
});

t.test('turns a phase it does not know into Unknown', async (t) => {
  t.equal(podStatusFromReport(boundPod(), report([reported()], { phase: 'Exploded' }), 1).phase, 'Unknown');
  t.equal(podStatusFromReport(boundPod(), report([reported()], { phase: '' }), 1).phase, 'Unknown');
});

t.test('sees no change when only the time a condition moved differs', async (t) => {
  const a = podStatusFromReport(boundPod(), report([reported()]), 4);
  const b: PodStatus = structuredClone(a);
  for (const condition of b.conditions ?? []) condition.lastTransitionTime = '2030-01-01T00:00:00.000Z';
  t.equal(sameStatus(a, b), true);
});

t.test('sees a change in phase, reason, containers or conditions', async (t) => {
  const base = podStatusFromReport(boundPod(), report([reported()]), 4);
  const variants: [string, PodStatus][] = [
    ['phase', { ...base, phase: 'Failed' }],
    ['reason', { ...base, reason: 'CrashLoopBackOff' }],
    ['restart count', podStatusFromReport(boundPod(), report([reported({ restartCount: 1 })]), 4)],
    ['container state', podStatusFromReport(boundPod(), report([reported({ state: 'waiting', reason: 'CrashLoopBackOff' })]), 4)],
    ['ready condition', podStatusFromReport(boundPod(), report([reported({ ready: false })]), 4)],
  ];
  for (const [what, other] of variants) t.equal(sameStatus(base, other), false, what);
  t.equal(sameStatus(undefined, base), false, 'no status before');
});

t.test('does not rewrite a pod whose status differs only in the generation the report answered', async (t) => {
  const a = podStatusFromReport(boundPod(), report([reported()]), 4);
  const b = podStatusFromReport(boundPod(a), report([reported()]), 5);
  t.equal(sameStatus(a, b), true);
});

t.test('a status change becomes the events describe pod shows', async (t) => {
  const running = (startedAt: string, restartCount: number) => ({
    phase: 'Running' as const,
    containerStatuses: [{ name: 'app', image: 'i', ready: true, restartCount, state: { running: { startedAt } } }],
  });
  const waiting = (reason: string, message: string) => ({
    phase: 'Pending' as const,
    containerStatuses: [{ name: 'app', image: 'i', ready: false, restartCount: 1, state: { waiting: { reason, message } } }],
  });
  t.match(podStatusEvents(undefined, running('2026-01-01T00:00:00.000Z', 0), 'cam-1'), [{ type: 'Normal', reason: 'Started', message: 'started container app on cam-1' }]);
  t.match(podStatusEvents(running('2026-01-01T00:00:00.000Z', 0), running('2026-01-01T00:01:00.000Z', 1), 'cam-1'), [
    { type: 'Normal', reason: 'Restarted', message: /restart 1/ },
  ]);
  t.match(podStatusEvents(running('2026-01-01T00:00:00.000Z', 0), waiting('CrashLoopBackOff', 'back-off 10s'), 'cam-1'), [{ type: 'Warning', reason: 'BackOff' }]);
  t.match(podStatusEvents(undefined, waiting('ErrImagePull', 'no such image'), 'cam-1'), [{ type: 'Warning', reason: 'Failed', message: /ErrImagePull: no such image/ }]);
  t.same(podStatusEvents(running('2026-01-01T00:00:00.000Z', 0), running('2026-01-01T00:00:00.000Z', 0), 'cam-1'), [], 'no change, no event');
});
