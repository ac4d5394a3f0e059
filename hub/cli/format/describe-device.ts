/** `flotilla describe device`: its state, what it is, what it has and uses, its pods and events. */
import { UNREACHABLE_TAINT_KEY, type Device, type FlotillaEvent, type Pod } from '../../../shared/objects.js';
import { formatMemory, parseMemory } from '../../../shared/quantity.js';
import { age, humanDuration } from './age.js';
import { describeConditions, thresholdsText } from './conditions.js';
import { Description, describeEvents, mapLines } from './describe-layout.js';
import { deviceCpu, deviceMemory } from './devices.js';
import { podReady, podRestarts, podStatus } from './pods.js';
import { alignColumns } from './table.js';

/** Capacity memory is a quantity of bytes; people read it as `7.8Gi`. */
function memoryText(quantity: string): string {
  try {
    return formatMemory(parseMemory(quantity));
  } catch {
    return quantity;
  }
}

/** As kubectl prints them, `key=value:Effect` a line each; the unreachable taint while the device is Offline. */
function taintLines(device: Device): string[] {
  const taints = (device.spec?.taints ?? []).map((t) => `${t.key}${t.value === undefined ? '' : `=${t.value}`}:${t.effect}`);
  if (device.status?.state === 'Offline') taints.push(`${UNREACHABLE_TAINT_KEY}:NoExecute`);
  return taints;
}

/** Whether the device has caught up with what the hub last sent it, in words. */
function appliedGeneration(observed: number, desired: number | undefined): string {
  return desired !== undefined && observed < desired ? `${observed} (catching up)` : String(observed);
}

function describePods(out: Description, pods: readonly Pod[], now: number): void {
  if (pods.length === 0) {
    out.field('Pods', '');
    return;
  }
  out.text(`Pods: (${pods.length} in total)`);
  const rows = [
    ['Namespace', 'Name', 'Ready', 'Status', 'Restarts', 'Age'],
    ...pods.map((pod) => [
      pod.metadata.namespace ?? 'default',
      pod.metadata.name,
      podReady(pod),
      podStatus(pod),
      String(podRestarts(pod)),
      age(pod.metadata.creationTimestamp, now),
    ]),
  ];
  for (const line of alignColumns(rows, '  ').replace(/\n$/, '').split('\n')) out.text(line);
}

export function describeDevice(device: Device, pods: readonly Pod[], events: readonly FlotillaEvent[], now: number): string {
  const out = new Description();
  const status = device.status;
  out.field('Name', device.metadata.name);
  out.field('Labels', mapLines(device.metadata.labels));
  out.field('Annotations', mapLines(device.metadata.annotations));
  out.field('Created', device.metadata.creationTimestamp ?? '');
  out.field('State', status?.state ?? 'Unknown');
  if (status?.message !== undefined) out.field('Message', status.message);
  describeConditions(out, status?.conditions, now);
  out.field('Taints', taintLines(device));
  out.field('Unschedulable', device.spec?.unschedulable === true ? 'true' : 'false');
  out.field('Last Seen', status?.lastSeen === undefined ? 'never' : `${status.lastSeen} (${age(status.lastSeen, now)} ago)`);
  if (status?.offlineSince !== undefined) out.field('Offline Since', `${status.offlineSince} (${age(status.offlineSince, now)} ago)`);
  if (status?.desiredGeneration !== undefined) out.field('Desired Generation', String(status.desiredGeneration));
  if (status?.observedGeneration !== undefined) out.field('Applied Generation', appliedGeneration(status.observedGeneration, status.desiredGeneration));
  const identity = status?.identity;
  if (identity === undefined) out.field('Identity', '<none> (development listener)');
  else {
    out.text('Identity:').nested((inner) => {
      inner.field('Certificate', identity.certificateFingerprint);
      inner.field('Valid Until', identity.notAfter);
      inner.field('Enrolled', `${identity.enrolledAt} with join token ${identity.joinToken}`);
    });
  }
  const info = status?.info;
  if (info === undefined) out.field('System Info', '');
  else {
    out.text('System Info:').nested((inner) => {
      inner.field('Architecture', info.arch);
      inner.field('OS', info.os);
      inner.field('Kernel', info.kernel);
      inner.field('Hostname', info.hostname);
      inner.field('Runtime', `${info.runtime} ${info.runtimeVersion}`.trim());
      inner.field('Agent', info.agentVersion);
      inner.field('Firmware Profile', info.profile || '<none>');
      inner.field('Health Thresholds', thresholdsText(device));
    });
  }
  const capacity = status?.capacity;
  if (capacity === undefined) out.field('Capacity', '');
  else {
    out.text('Capacity:').nested((inner) => {
      inner.field('cpu', capacity.cpu);
      inner.field('memory', memoryText(capacity.memory));
      inner.field('pods', String(capacity.pods));
    });
  }
  const usage = status?.usage;
  if (usage === undefined) out.field('Usage', '');
  else {
    out.text('Usage:').nested((inner) => {
      inner.field('cpu', deviceCpu(device));
      inner.field('memory', deviceMemory(device));
      if (usage.diskUsedBytes !== undefined && usage.diskTotalBytes !== undefined) {
        inner.field('disk', `${formatMemory(usage.diskUsedBytes)}/${formatMemory(usage.diskTotalBytes)}`);
      }
      if (usage.temperatureCelsius !== undefined) inner.field('temperature', `${usage.temperatureCelsius.toFixed(1)} °C`);
      if (usage.uptimeSeconds !== undefined) inner.field('uptime', humanDuration(usage.uptimeSeconds * 1000));
    });
  }
  describePods(out, pods, now);
  describeEvents(out, events, now);
  return out.render();
}
