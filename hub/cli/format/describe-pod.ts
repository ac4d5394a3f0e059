/** `flotilla describe pod`: where it runs, why it is not running, its containers and events. */
import type { ContainerStatus, FlotillaEvent, Pod, PodCondition } from '../../../shared/objects.js';
import { age } from './age.js';
import { Description, describeContainerSpec, describeEvents, mapLines } from './describe-layout.js';
import { podStatus } from './pods.js';
import { alignColumns } from './table.js';

/**
 * The scheduler's message is a summary line, then one line per device with its reasons:
 * printed as the summary with each device indented below it.
 */
export function schedulingLines(message: string): string[] {
  const [summary, ...devices] = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return summary === undefined ? [] : [summary, ...devices.map((device) => `  ${device}`)];
}

function describeState(out: Description, status: ContainerStatus | undefined, now: number): void {
  const state = status?.state;
  if (state?.running !== undefined) {
    out.field('State', 'Running').nested((inner) => inner.field('Started', startedText(state.running?.startedAt, now)));
  } else if (state?.waiting !== undefined) {
    out.field('State', 'Waiting').nested((inner) => {
      inner.field('Reason', state.waiting?.reason);
      if (state.waiting?.message !== undefined) inner.field('Message', state.waiting.message);
    });
  } else if (state?.terminated !== undefined) {
    const terminated = state.terminated;
    out.field('State', 'Terminated').nested((inner) => {
      inner.field('Reason', terminated.reason ?? '');
      if (terminated.message !== undefined) inner.field('Message', terminated.message);
      inner.field('Exit Code', String(terminated.exitCode));
      if (terminated.startedAt !== undefined) inner.field('Started', startedText(terminated.startedAt, now));
      if (terminated.finishedAt !== undefined) inner.field('Finished', startedText(terminated.finishedAt, now));
    });
  } else {
    out.field('State', 'Waiting').nested((inner) => inner.field('Reason', 'not reported yet'));
  }
  out.field('Ready', status?.ready === true ? 'True' : 'False');
  out.field('Restart Count', String(status?.restartCount ?? 0));
}

function startedText(timestamp: string | undefined, now: number): string {
  return timestamp === undefined ? '' : `${timestamp} (${age(timestamp, now)} ago)`;
}

function describeConditions(out: Description, conditions: readonly PodCondition[]): void {
  if (conditions.length === 0) {
    out.field('Conditions', '');
    return;
  }
  out.text('Conditions:');
  const rows = [['Type', 'Status', 'Reason'], ...conditions.map((c) => [c.type, c.status, c.reason ?? ''])];
  for (const line of alignColumns(rows, '  ').replace(/\n$/, '').split('\n')) out.text(line);
  const unscheduled = conditions.find((c) => c.type === 'PodScheduled' && c.status !== 'True' && c.message !== undefined);
  if (unscheduled?.message !== undefined) {
    out.text('Scheduling:');
    for (const line of schedulingLines(unscheduled.message)) out.text(`  ${line}`);
  }
}

export function describePod(pod: Pod, events: readonly FlotillaEvent[], now: number): string {
  const out = new Description();
  out.field('Name', pod.metadata.name);
  out.field('Namespace', pod.metadata.namespace ?? 'default');
  out.field('Device', pod.spec.nodeName ?? '');
  out.field('Start Time', pod.status?.startTime ?? '');
  out.field('Labels', mapLines(pod.metadata.labels));
  out.field('Annotations', mapLines(pod.metadata.annotations));
  out.field('Status', podStatus(pod));
  if (pod.status?.reason !== undefined) out.field('Reason', pod.status.reason);
  if (pod.status?.message !== undefined) out.field('Message', pod.status.message);
  const owner = pod.metadata.ownerReferences?.find((ref) => ref.controller === true) ?? pod.metadata.ownerReferences?.[0];
  if (owner !== undefined) out.field('Controlled By', `${owner.kind}/${owner.name}`);
  if (pod.spec.deviceSelector !== undefined) out.field('Device Selector', pod.spec.deviceSelector);
  out.field('Node Selector', mapLines(pod.spec.nodeSelector));
  out.field('Restart Policy', pod.spec.restartPolicy ?? 'Always');
  out.text('Containers:');
  for (const container of pod.spec.containers) {
    const status = pod.status?.containerStatuses?.find((s) => s.name === container.name);
    out.nested((block) => {
      block.text(`${container.name}:`).nested((inner) => {
        if (status?.containerID !== undefined) inner.field('Container ID', status.containerID);
        describeContainerSpec(inner, container);
        describeState(inner, status, now);
      });
    });
  }
  describeConditions(out, pod.status?.conditions ?? []);
  describeEvents(out, events, now);
  return out.render();
}
