/**
 * What a rollout needs to know of one pod, read from its status: whether it is Ready and
 * since when, when it was bound, and whether it has crashed or could not start. Pure.
 */
import type { Pod } from '../../../shared/objects.js';
import type { RolloutPod } from './progress.js';

/**
 * Waiting reasons that mean the container cannot run as specified: a wrong image, a registry
 * that refuses it, a command that does not exist. Kubernetes' kubelet reports the same words.
 */
const START_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerError',
  'CreateContainerConfigError',
  'RunContainerError',
  'CrashLoopBackOff',
]);

/**
 * Why the pod has failed, in a few words (`CrashLoopBackOff`, `exited with code 1`,
 * `restarted 2 times`), or undefined while nothing went wrong. A restart of a pod of a new
 * revision is a crash: the pod is new, so it has never been restarted for any other reason.
 */
export function podProblem(pod: Pod): string | undefined {
  const status = pod.status;
  if (status === undefined) return undefined;
  for (const container of status.containerStatuses ?? []) {
    const waiting = container.state.waiting?.reason;
    if (waiting !== undefined && START_FAILURES.has(waiting)) return waiting;
    const terminated = container.state.terminated;
    if (terminated !== undefined && terminated.exitCode !== 0) return `container ${container.name} exited with code ${terminated.exitCode}`;
    if (container.restartCount > 0) return `container ${container.name} restarted ${container.restartCount} time${container.restartCount === 1 ? '' : 's'}`;
  }
  if (status.phase === 'Failed') return status.reason ?? 'Failed';
  return undefined;
}

/**
 * Pods from the store are frozen and replaced, never changed, on every write: what is read
 * from one can be kept with it. A rollout over 10,000 pods asks on every reconcile, and
 * parsing their times again each time was most of its cost.
 */
const readyTimes = new WeakMap<Pod, number | undefined>();
const boundTimes = new WeakMap<Pod, number | undefined>();

function remembered(cache: WeakMap<Pod, number | undefined>, pod: Pod, read: (pod: Pod) => number | undefined): number | undefined {
  if (cache.has(pod)) return cache.get(pod);
  const value = read(pod);
  if (Object.isFrozen(pod)) cache.set(pod, value);
  return value;
}

/** Epoch ms the pod became Ready, or undefined when it is not Ready. */
export function readySince(pod: Pod): number | undefined {
  return remembered(readyTimes, pod, readReadySince);
}

function readReadySince(pod: Pod): number | undefined {
  const status = pod.status;
  if (status?.phase !== 'Running') return undefined;
  const containers = status.containerStatuses ?? [];
  if (containers.length === 0 || !containers.every((c) => c.ready)) return undefined;
  const condition = status.conditions?.find((c) => c.type === 'Ready');
  if (condition?.status === 'False') return undefined;
  const since = Date.parse(condition?.lastTransitionTime ?? status.startTime ?? '');
  // Ready with no time to go by: count it as Ready for as long as can be.
  return Number.isNaN(since) ? 0 : since;
}

/** Epoch ms the scheduler bound the pod to its device, or undefined while it is unbound. */
export function boundAt(pod: Pod): number | undefined {
  return remembered(boundTimes, pod, readBoundAt);
}

function readBoundAt(pod: Pod): number | undefined {
  if (pod.spec.nodeName === undefined) return undefined;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True');
  const at = Date.parse(scheduled?.lastTransitionTime ?? pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(at) ? undefined : at;
}

/** The pod as the rollout engine reads it. `offline`: its device is Offline. */
export function rolloutPod(pod: Pod, updated: boolean, offline: boolean): RolloutPod {
  const view: RolloutPod = { name: pod.metadata.name, updated, offline };
  const ready = readySince(pod);
  if (ready !== undefined) view.readySince = ready;
  else {
    // Only a pod that is not Ready can miss its deadline.
    const bound = boundAt(pod);
    if (bound !== undefined) view.boundAt = bound;
  }
  if (updated) {
    // Only pods of the revision being rolled out are judged; an old pod's crash is not the new template's fault.
    const problem = podProblem(pod);
    if (problem !== undefined) view.problem = problem;
  }
  if (pod.spec.nodeName !== undefined) view.device = pod.spec.nodeName;
  return view;
}
