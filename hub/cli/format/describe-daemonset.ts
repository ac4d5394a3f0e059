/**
 * `flotilla describe daemonset`: kubectl's layout (devices where it says nodes), the update
 * strategy and where its rollout stands, the pod template, its pods by status, and events.
 */
import type { DaemonSet, FlotillaEvent, Pod, RolloutStatus } from '../../../shared/objects.js';
import { daemonSetSelector, deviceSelectorText } from './daemonsets.js';
import { Description, describeEvents, describePodTemplate, mapLines } from './describe-layout.js';

/** `3 Running / 1 Waiting / 0 Succeeded / 0 Failed`, as kubectl counts a DaemonSet's pods. */
export function podsStatusText(pods: readonly Pod[]): string {
  let running = 0;
  let waiting = 0;
  let succeeded = 0;
  let failed = 0;
  for (const pod of pods) {
    const phase = pod.status?.phase ?? 'Pending';
    if (phase === 'Running') running++;
    else if (phase === 'Succeeded') succeeded++;
    else if (phase === 'Failed') failed++;
    else waiting++;
  }
  return `${running} Running / ${waiting} Waiting / ${succeeded} Succeeded / ${failed} Failed`;
}

/** The strategy in one line: `RollingUpdate: 1 max unavailable, 0 max surge; waves 1, 10%, 100%; stops above 5% failed, rolls back`. */
export function updateStrategyText(daemonSet: DaemonSet): string {
  const strategy = daemonSet.spec.updateStrategy;
  const type = strategy?.type ?? 'RollingUpdate';
  if (type === 'OnDelete') return 'OnDelete: a pod gets the new template when it is deleted';
  const rolling = strategy?.rollingUpdate;
  const parts = [`${String(rolling?.maxUnavailable ?? 1)} max unavailable, ${String(rolling?.maxSurge ?? 0)} max surge`];
  const waves = strategy?.waves ?? [];
  if (waves.length > 0) {
    const sizes = waves.map((wave) => {
      const pause = wave.pause === undefined ? '' : wave.pause.seconds === undefined ? ' (then wait for resume)' : ` (then pause ${wave.pause.seconds}s)`;
      return `${String(wave.size)}${pause}`;
    });
    parts.push(`waves ${sizes.join(', ')}`);
  }
  if (strategy?.failureThreshold !== undefined) {
    parts.push(`stops above ${String(strategy.failureThreshold)} failed${strategy.rollbackOnFailure === true ? ', rolls back' : ''}`);
  }
  return `${type}: ${parts.join('; ')}`;
}

/** Where the rollout of the current revision stands, as lines under `Rollout:`. */
export function rolloutLines(rollout: RolloutStatus): string[] {
  const lines = [
    `revision ${rollout.revision}: ${rollout.phase}, wave ${rollout.wave} of ${rollout.waves}`,
    `${rollout.updated} updated, ${rollout.ready} ready, ${rollout.failed} failed, ${rollout.pending} pending of ${rollout.target}`,
  ];
  if (rollout.rolledBackFrom !== undefined) lines.push(`rolled back from revision ${rollout.rolledBackFrom}`);
  if (rollout.message !== undefined && rollout.message !== '') lines.push(rollout.message);
  return lines;
}

export function describeDaemonSet(daemonSet: DaemonSet, pods: readonly Pod[], events: readonly FlotillaEvent[], now: number): string {
  const out = new Description();
  const { metadata, spec, status } = daemonSet;
  out.field('Name', metadata.name);
  out.field('Namespace', metadata.namespace ?? 'default');
  out.field('CreationTimestamp', metadata.creationTimestamp ?? '');
  out.field('Selector', daemonSetSelector(daemonSet));
  out.field('Node-Selector', deviceSelectorText(daemonSet));
  out.field('Labels', mapLines(metadata.labels));
  out.field('Annotations', mapLines(metadata.annotations));
  out.field('Desired Number of Devices Scheduled', String(status?.desiredNumberScheduled ?? 0));
  out.field('Current Number of Devices Scheduled', String(status?.currentNumberScheduled ?? 0));
  out.field('Number of Devices Scheduled with Up-to-date Pods', String(status?.updatedNumberScheduled ?? 0));
  out.field('Number of Devices Scheduled with Available Pods', String(status?.numberAvailable ?? 0));
  out.field('Number of Devices Misscheduled', String(status?.numberMisscheduled ?? 0));
  out.field('Pods Status', podsStatusText(pods));
  out.field('Update Strategy', updateStrategyText(daemonSet));
  if (spec.minReadySeconds !== undefined) out.field('Min Ready Seconds', String(spec.minReadySeconds));
  if (status?.rollout !== undefined) out.field('Rollout', rolloutLines(status.rollout));
  const template = spec.template;
  describePodTemplate(out, template);
  describeEvents(out, events, now);
  return out.render();
}
