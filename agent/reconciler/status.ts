/**
 * Pod statuses as the hub shows them, computed from the engine's containers and the agent's
 * memory. Pure, like the planner.
 */
import type {
  ContainerStatusMessage,
  DesiredPodMessage,
  PodStatusMessage,
} from '../../shared/proto/codec.js';
import { LABEL_SPEC_HASH, type ContainerRecord } from '../runtime/runtime.js';
import type { ContainerMemory } from '../state/local-state.js';
import { containerKey, groupByKey, specHash } from './containers.js';
import { restartAt, wantsRestart, type PlanInput } from './plan.js';

export interface StatusInput {
  pods: readonly DesiredPodMessage[];
  containers: readonly ContainerRecord[];
  memory: (key: string) => Readonly<ContainerMemory> | undefined;
  now: number;
  backoff: PlanInput['backoff'];
}

export function podStatuses(input: StatusInput): PodStatusMessage[] {
  const byKey = groupByKey(input.containers);

  return input.pods.map((pod) => {
    const containers = pod.containers.map((container): ContainerStatusMessage => {
      const key = containerKey(pod.uid, container.name);
      const memory = input.memory(key);
      // Only a container of the current spec speaks for the pod; a running one first.
      const hash = specHash(pod, container);
      const candidates = (byKey.get(key) ?? []).filter((r) => r.labels[LABEL_SPEC_HASH] === hash);
      const record = candidates.find((r) => r.state === 'running') ?? candidates[0];
      const base = {
        name: container.name,
        image: container.image,
        restartCount: memory?.restartCount ?? 0,
        containerId: record?.id ?? '',
        startedAtMs: record?.startedAt ?? 0,
        finishedAtMs: record?.finishedAt ?? 0,
        exitCode: 0,
        message: '',
        ready: false,
      };
      if (record === undefined || record.state === 'created') {
        const error = memory?.lastError;
        return { ...base, state: 'waiting', reason: error?.reason ?? 'ContainerCreating', message: error?.message ?? '' };
      }
      if (record.state === 'running' || record.state === 'restarting' || record.state === 'paused') {
        return { ...base, state: 'running', reason: '', ready: record.state === 'running' };
      }
      const exitCode = record.exitCode ?? 0;
      if (wantsRestart(pod.restartPolicy, exitCode)) {
        const at = restartAt(record, memory, input.backoff);
        if (at > input.now) {
          // The whole delay, not a countdown: a status that changes every second would be resent every pass.
          const seconds = Math.ceil((at - (record.finishedAt ?? 0)) / 1000);
          return {
            ...base,
            exitCode,
            state: 'waiting',
            reason: 'CrashLoopBackOff',
            message: `back-off ${seconds}s restarting failed container ${container.name} (exit code ${exitCode})`,
          };
        }
      }
      const reason = record.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
      return { ...base, exitCode, state: 'terminated', reason };
    });
    return { namespace: pod.namespace, name: pod.name, uid: pod.uid, ...phaseOf(pod, containers) };
  });
}

function phaseOf(pod: DesiredPodMessage, containers: ContainerStatusMessage[]): Pick<PodStatusMessage, 'phase' | 'reason' | 'message' | 'containers'> {
  const everRan = (c: ContainerStatusMessage) => c.startedAtMs > 0 || c.restartCount > 0;
  let phase: string;
  if (containers.every((c) => c.state === 'running')) phase = 'Running';
  else if (containers.every((c) => c.state === 'terminated' && !wantsRestart(pod.restartPolicy, c.exitCode))) {
    // Only a pod none of whose containers will run again is finished.
    phase = containers.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed';
  } else if (containers.some((c) => c.state === 'waiting' && !everRan(c))) phase = 'Pending';
  else phase = 'Running';
  const waiting = containers.find((c) => c.state === 'waiting' && c.reason !== 'ContainerCreating');
  return {
    phase: pod.containers.length === 0 ? 'Pending' : phase,
    reason: waiting?.reason ?? '',
    message: waiting?.message ?? '',
    containers,
  };
}
