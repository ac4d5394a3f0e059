import t from 'tap';
import { podReady, podRestarts, podStatus, podTable } from '../../../../hub/cli/format/pods.js';
import type { ContainerStatus, Pod, PodStatus } from '../../../../shared/objects.js';

function pod(status?: PodStatus, containers = 1): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2026-01-01T12:00:00Z' },
    spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: `img:${i}` })) },
  };
  if (status !== undefined) p.status = status;
  return p;
}

function container(state: ContainerStatus['state'], ready = false, restartCount = 0): ContainerStatus {
  return { name: 'c0', image: 'img:0', ready, restartCount, state };
}

t.test('a pod without status is Pending', (t) => {
  t.equal(podStatus(pod()), 'Pending');
  t.end();
});

t.test('a waiting container shows its reason instead of the phase', (t) => {
  t.equal(podStatus(pod({ phase: 'Running', containerStatuses: [container({ waiting: { reason: 'CrashLoopBackOff' } }, false, 4)] })), 'CrashLoopBackOff');
  t.equal(podStatus(pod({ phase: 'Pending', containerStatuses: [container({ waiting: { reason: 'ErrImagePull' } })] })), 'ErrImagePull');
  t.equal(podStatus(pod({ phase: 'Pending', containerStatuses: [container({ waiting: { reason: 'ContainerCreating' } })] })), 'ContainerCreating');
  t.end();
});

t.test('a terminated container shows its reason, or its exit code when it has none', (t) => {
  t.equal(podStatus(pod({ phase: 'Failed', containerStatuses: [container({ terminated: { exitCode: 137, reason: 'OOMKilled' } })] })), 'OOMKilled');
  t.equal(podStatus(pod({ phase: 'Failed', containerStatuses: [container({ terminated: { exitCode: 3 } })] })), 'ExitCode:3');
  t.end();
});

t.test("the pod's own reason wins over its phase", (t) => {
  t.equal(podStatus(pod({ phase: 'Failed', reason: 'Evicted' })), 'Evicted');
  t.end();
});

t.test('a completed container next to a running ready one reads as Running', (t) => {
  const status: PodStatus = {
    phase: 'Running',
    containerStatuses: [
      { ...container({ running: {} }, true), name: 'c0' },
      { ...container({ terminated: { exitCode: 0, reason: 'Completed' } }), name: 'c1' },
    ],
  };
  t.equal(podStatus(pod(status, 2)), 'Running');
  t.end();
});

t.test('READY counts ready containers of all declared, RESTARTS sums them', (t) => {
  const status: PodStatus = {
    phase: 'Running',
    containerStatuses: [
      { ...container({ running: {} }, true, 2), name: 'c0' },
      { ...container({ waiting: { reason: 'CrashLoopBackOff' } }, false, 5), name: 'c1' },
    ],
  };
  t.equal(podReady(pod(status, 3)), '1/3');
  t.equal(podRestarts(pod(status, 3)), 7);
  t.end();
});

t.test('the wide pod table adds the device and images, and -A a namespace column first', (t) => {
  const p = pod({ phase: 'Running', containerStatuses: [container({ running: {} }, true)] });
  p.spec.nodeName = 'cam-1';
  const now = Date.parse('2026-01-01T12:05:00Z');
  t.equal(
    podTable([p], { wide: true, allNamespaces: true, now }),
    'NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   DEVICE   IMAGES\n' +
      'default     web-1   1/1     Running   0          5m    cam-1    img:0\n',
  );
  const unscheduled = pod();
  t.match(podTable([unscheduled], { wide: true, allNamespaces: false, now }), /web-1 .* Pending .* <none> +img:0\n$/);
  t.end();
});
