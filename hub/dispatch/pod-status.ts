/**
 * What an agent reports of its pods, turned into Pod status. Pure: the hub only writes a pod
 * when this produces something different from what is stored.
 */
import type { ContainerStatus, Pod, PodCondition, PodStatus } from '../../shared/objects.js';
import type { ContainerStatusMessage, PodStatusMessage } from '../../shared/proto/codec.js';

const PHASES = new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);

function iso(ms: number): string | undefined {
  return ms > 0 ? new Date(ms).toISOString() : undefined;
}

function containerStatus(message: ContainerStatusMessage): ContainerStatus {
  const status: ContainerStatus = {
    name: message.name,
    image: message.image,
    ready: message.ready,
    restartCount: message.restartCount,
    state: {},
  };
  if (message.containerId) status.containerID = message.containerId;
  const startedAt = iso(message.startedAtMs);
  if (message.state === 'running') {
    status.state.running = startedAt ? { startedAt } : {};
  } else if (message.state === 'terminated') {
    const finishedAt = iso(message.finishedAtMs);
    status.state.terminated = {
      exitCode: message.exitCode,
      ...(message.reason ? { reason: message.reason } : {}),
      ...(message.message ? { message: message.message } : {}),
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt ? { finishedAt } : {}),
    };
  } else {
    status.state.waiting = { reason: message.reason || 'ContainerCreating', ...(message.message ? { message: message.message } : {}) };
  }
  return status;
}

export function podStatusFromReport(pod: Pod, report: PodStatusMessage, observedGeneration: number): PodStatus {
  const containerStatuses = report.containers.map(containerStatus);
  const ready = report.phase === 'Running' && containerStatuses.length > 0 && containerStatuses.every((c) => c.ready);
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const previousReady = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const readyStatus = ready ? 'True' : 'False';
  const readyCondition: PodCondition = {
    type: 'Ready',
    status: readyStatus,
    lastTransitionTime:
      previousReady?.status === readyStatus && previousReady.lastTransitionTime ? previousReady.lastTransitionTime : new Date().toISOString(),
  };
  const status: PodStatus = {
    phase: PHASES.has(report.phase) ? (report.phase as PodStatus['phase']) : 'Unknown',
    conditions: [...(scheduled ? [scheduled] : []), readyCondition],
    containerStatuses,
    observedGeneration,
  };
  if (report.reason) status.reason = report.reason;
  if (report.message) status.message = report.message;
  const started = containerStatuses.map((c) => c.state.running?.startedAt ?? c.state.terminated?.startedAt).find(Boolean);
  const startTime = pod.status?.startTime ?? started;
  if (startTime) status.startTime = startTime;
  return status;
}

export interface PodStatusEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

const WAITING_PROBLEMS = new Set(['ErrImagePull', 'ErrImageNeverPull', 'CreateContainerError', 'RunContainerError']);

/**
 * What a person would want in `describe pod` about a status change, as the kubelet reports
 * it: containers started or restarted, back-offs, failures to pull or start, exits.
 */
export function podStatusEvents(before: PodStatus | undefined, after: PodStatus, device: string): PodStatusEvent[] {
  const events: PodStatusEvent[] = [];
  for (const now of after.containerStatuses ?? []) {
    const was = before?.containerStatuses?.find((c) => c.name === now.name);
    const name = now.name;
    if (now.state.running && (!was?.state.running || was.state.running.startedAt !== now.state.running.startedAt)) {
      events.push(
        now.restartCount > (was?.restartCount ?? 0)
          ? { type: 'Normal', reason: 'Restarted', message: `restarted container ${name} on ${device} (restart ${now.restartCount})` }
          : { type: 'Normal', reason: 'Started', message: `started container ${name} on ${device}` },
      );
    }
    const waiting = now.state.waiting;
    if (waiting && waiting.reason !== was?.state.waiting?.reason) {
      if (waiting.reason === 'CrashLoopBackOff') {
        events.push({ type: 'Warning', reason: 'BackOff', message: waiting.message ?? `back-off restarting failed container ${name}` });
      } else if (WAITING_PROBLEMS.has(waiting.reason)) {
        events.push({ type: 'Warning', reason: 'Failed', message: `${waiting.reason}: ${waiting.message ?? ''}`.trim() });
      }
    }
    const terminated = now.state.terminated;
    if (terminated && !was?.state.terminated) {
      const type = terminated.exitCode === 0 ? 'Normal' : 'Warning';
      events.push({ type, reason: terminated.reason ?? 'Terminated', message: `container ${name} exited with code ${terminated.exitCode}` });
    }
  }
  return events;
}

/**
 * A pod on a device that stopped answering: what it runs is unknown, so it is not Ready
 * (Kubernetes' node lifecycle does the same). The device's next report sets it right.
 */
export function podStatusOnLostDevice(status: PodStatus | undefined, message: string): PodStatus {
  const now = new Date().toISOString();
  const conditions = (status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  conditions.push({ type: 'Ready', status: 'False', reason: 'DeviceNotReady', message, lastTransitionTime: now });
  return {
    ...status,
    phase: status?.phase ?? 'Pending',
    conditions,
    ...(status?.containerStatuses ? { containerStatuses: status.containerStatuses.map((c) => ({ ...c, ready: false })) } : {}),
  };
}

/**
 * Whether two statuses differ in anything a person would notice: the time a condition last
 * moved and the generation the report answered are left out, or every desired-state change
 * of a device would rewrite each of its pods for nothing.
 */
export function sameStatus(a: PodStatus | undefined, b: PodStatus): boolean {
  const strip = (s: PodStatus | undefined) =>
    JSON.stringify({ ...s, observedGeneration: undefined, conditions: s?.conditions?.map((c) => ({ ...c, lastTransitionTime: undefined })) });
  return strip(a) === strip(b);
}
