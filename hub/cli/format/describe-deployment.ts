/** `flotilla describe deployment`: replicas, strategy, the pod template, its pods and events. */
import type { Deployment, FlotillaEvent, Pod } from '../../../shared/objects.js';
import { DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE } from '../../../shared/validation.js';
import { Description, describeEvents, describePodTemplate, mapLines } from './describe-layout.js';
import { deploymentSelector } from './deployments.js';
import { podStatus } from './pods.js';
import { rolloutSummary } from './rollout-status.js';

export function replicasText(deployment: Deployment, pods: readonly Pod[]): string {
  const desired = deployment.spec.replicas ?? 1;
  const status = deployment.status;
  const total = status?.replicas ?? pods.length;
  const available = status?.availableReplicas ?? 0;
  const unavailable = Math.max(0, total - available);
  return `${desired} desired | ${status?.updatedReplicas ?? 0} updated | ${total} total | ${available} available | ${unavailable} unavailable`;
}

export function describeDeployment(deployment: Deployment, pods: readonly Pod[], events: readonly FlotillaEvent[], now: number): string {
  const out = new Description();
  out.field('Name', deployment.metadata.name);
  out.field('Namespace', deployment.metadata.namespace ?? 'default');
  out.field('CreationTimestamp', deployment.metadata.creationTimestamp ?? '');
  out.field('Labels', mapLines(deployment.metadata.labels));
  out.field('Annotations', mapLines(deployment.metadata.annotations));
  out.field('Selector', deploymentSelector(deployment));
  out.field('Replicas', replicasText(deployment, pods));
  if (deployment.status?.rollout !== undefined) out.field('Rollout', rolloutSummary(deployment.status.rollout));
  const strategy = deployment.spec.strategy;
  out.field('StrategyType', strategy?.type ?? 'RollingUpdate');
  if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const rolling = strategy?.rollingUpdate;
    out.field('RollingUpdateStrategy', `${rolling?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE} max unavailable, ${rolling?.maxSurge ?? DEFAULT_MAX_SURGE} max surge`);
  }
  const template = deployment.spec.template;
  describePodTemplate(out, template);
  const counts = new Map<string, number>();
  for (const pod of pods) counts.set(podStatus(pod), (counts.get(podStatus(pod)) ?? 0) + 1);
  out.field(
    'Pods Status',
    [...counts.entries()].map(([status, count]) => `${count} ${status}`).join(' / '),
  );
  const notPlaced = notPlacedText(pods);
  if (notPlaced !== undefined) out.field('Not Placed', notPlaced);
  describeEvents(out, events, now);
  return out.render();
}

/** Why pods of the workload wait for a device: how many, and the scheduler's one line for the first. */
export function notPlacedText(pods: readonly Pod[]): string | undefined {
  let waiting = 0;
  let line: string | undefined;
  for (const pod of pods) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (pod.spec.nodeName !== undefined || scheduled?.status !== 'False') continue;
    waiting++;
    line ??= scheduled.message?.split('\n')[0];
  }
  if (waiting === 0) return undefined;
  return `${waiting} ${waiting === 1 ? 'pod' : 'pods'}${line === undefined ? '' : `: ${line}`}`;
}
