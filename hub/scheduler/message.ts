/**
 * The one-line answer to "why is my pod pending", in the words of Kubernetes' FitError:
 * `0/3 devices are available: 1 device is NotReady, 2 labels do not match selector role=camera.`
 * Devices are counted by the short form of their reasons, so twenty devices short of cpu by
 * different amounts read as "20 insufficient cpu"; `flotilla describe pod` shows each one.
 */
import type { Status } from './framework.js';

/** A device the pod cannot go to, and the plugin that said so. */
export interface Rejection {
  device: string;
  plugin: string;
  status: Status;
}

/** `0/N devices are available: <count> <reason>, ...` over the rejections of every device. */
export function unavailableMessage(total: number, rejections: readonly Rejection[]): string {
  const counts = new Map<string, number>();
  for (const { plugin, status } of rejections) {
    for (const summary of summariesOf(plugin, status)) counts.set(summary, (counts.get(summary) ?? 0) + 1);
  }
  // Fewest first then by wording, as Kubernetes sorts its histogram; numerically, so 10 follows 9.
  const parts = [...counts]
    .sort(([a, countA], [b, countB]) => countA - countB || (a < b ? -1 : a > b ? 1 : 0))
    .map(([summary, count]) => counted(count, summary));
  return withReasons(total, parts);
}

/** The message when one plugin turned the pod away before any device was looked at. */
export function rejectedMessage(total: number, plugin: string, status: Status): string {
  return withReasons(total, summariesOf(plugin, status));
}

function withReasons(total: number, parts: readonly string[]): string {
  const head = `0/${total} devices are available`;
  if (total === 0 && parts.length === 0) return `${head}: no device has enrolled yet.`;
  return parts.length === 0 ? `${head}.` : `${head}: ${parts.join(', ')}.`;
}

function summariesOf(plugin: string, status: Status): readonly string[] {
  if (status.code !== 'Error') return status.summaries;
  return status.summaries.map((summary) => `device hit an error in plugin ${plugin}: ${summary}`);
}

/**
 * "1 device is NotReady", "2 devices are NotReady": reasons about the device itself start
 * with "device" and agree with the count; others ("insufficient cpu") read as Kubernetes' do.
 */
function counted(count: number, summary: string): string {
  if (count === 1 || !summary.startsWith('device ')) return `${count} ${summary}`;
  const rest = summary.slice('device '.length);
  const plural = rest.replace(/^(is|has|does)\b/, (verb) => PLURAL_VERBS[verb] ?? verb);
  return `${count} devices ${plural}`;
}

const PLURAL_VERBS: Record<string, string> = { is: 'are', has: 'have', does: 'do' };
