import t from 'tap';
import { boundAt, podProblem, readySince, rolloutPod } from '../../../../hub/controllers/rollout/pod-health.js';
import type { ContainerState, Pod } from '../../../../shared/objects.js';

function pod(state: ContainerState, options: { restarts?: number; ready?: boolean; phase?: 'Pending' | 'Running' | 'Failed'; readyAt?: string } = {}): Pod {
  const ready = options.ready ?? false;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2025-06-01T11:59:00.000Z' },
    spec: { containers: [{ name: 'main', image: 'app:2' }], nodeName: 'cam-1' },
    status: {
      phase: options.phase ?? (ready ? 'Running' : 'Pending'),
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-06-01T12:00:00.000Z' },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: options.readyAt ?? '2025-06-01T12:00:05.000Z' },
      ],
      containerStatuses: [{ name: 'main', image: 'app:2', ready, restartCount: options.restarts ?? 0, state }],
    },
  };
}

t.test('a container that crash-loops, cannot be pulled or cannot start has failed, named by its reason', async (t) => {
  for (const reason of ['CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff', 'CreateContainerError', 'RunContainerError']) {
    t.equal(podProblem(pod({ waiting: { reason } })), reason);
  }
  t.equal(podProblem(pod({ waiting: { reason: 'ContainerCreating' } })), undefined, 'starting up is no failure');
});

t.test('a container that exited with an error, or restarted at all, has crashed', async (t) => {
  t.equal(podProblem(pod({ terminated: { exitCode: 1 } })), 'container main exited with code 1');
  t.equal(podProblem(pod({ terminated: { exitCode: 0 } })), undefined);
  t.equal(podProblem(pod({ running: {} }, { restarts: 2, ready: true })), 'container main restarted 2 times');
  t.equal(podProblem(pod({ running: {} }, { ready: true })), undefined);
});

t.test('a pod is Ready since its Ready condition turned True, and bound since it was scheduled', async (t) => {
  t.equal(readySince(pod({ running: {} }, { ready: true, readyAt: '2025-06-01T12:00:30.000Z' })), Date.parse('2025-06-01T12:00:30.000Z'));
  t.equal(readySince(pod({ running: {} })), undefined);
  t.equal(boundAt(pod({ running: {} })), Date.parse('2025-06-01T12:00:00.000Z'));
  const unbound = pod({ running: {} });
  delete unbound.spec.nodeName;
  t.equal(boundAt(unbound), undefined);
});

t.test('only pods of the revision being rolled out are judged for failures', async (t) => {
  const crashing = pod({ waiting: { reason: 'CrashLoopBackOff' } });
  t.match(rolloutPod(crashing, true, false), { name: 'web-1', updated: true, offline: false, problem: 'CrashLoopBackOff', device: 'cam-1' });
  t.equal(rolloutPod(crashing, false, true).problem, undefined);
  t.equal(rolloutPod(crashing, false, true).offline, true);
});
