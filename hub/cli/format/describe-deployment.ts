/** `flotilla describe deployment`: replicas, strategy, the pod template, its pods and events. */
import type { Deployment, FlotillaEvent, Pod } from '../../../shared/objects.js';
import { Description, describeContainerSpec, describeEvents, mapLines } from './describe-layout.js';
import { deploymentSelector } from './deployments.js';
import { podStatus } from './pods.js';

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
  const strategy = deployment.spec.strategy;
  out.field('StrategyType', strategy?.type ?? 'RollingUpdate');
  if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const rolling = strategy?.rollingUpdate;
    out.field('RollingUpdateStrategy', `${rolling?.maxUnavailable ?? 0} max unavailable, ${rolling?.maxSurge ?? 1} max surge`);
  }
  const template = deployment.spec.template;
  out.text('Pod Template:').nested((inner) => {
    inner.field('Labels', mapLines(template.metadata?.labels));
    if (template.spec.deviceSelector !== undefined) inner.field('Device Selector', template.spec.deviceSelector);
    if (template.spec.nodeSelector !== undefined) inner.field('Node Selector', mapLines(template.spec.nodeSelector));
    inner.text('Containers:');
    for (const container of template.spec.containers) {
      inner.nested((block) => block.text(`${container.name}:`).nested((spec) => describeContainerSpec(spec, container)));
    }
  });
  const counts = new Map<string, number>();
  for (const pod of pods) counts.set(podStatus(pod), (counts.get(podStatus(pod)) ?? 0) + 1);
  out.field(
    'Pods Status',
    [...counts.entries()].map(([status, count]) => `${count} ${status}`).join(' / '),
  );
  describeEvents(out, events, now);
  return out.render();
}
