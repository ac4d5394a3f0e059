/**
 * The one-line answer to "why is my pod pending", after Kubernetes' FitError:
 * `0/40 devices are available: 25 do not match role=camera, 10 are NotReady, 5 have too little memory.`
 *
 * Devices are counted by the short form of their reasons (a Status' summaries), most first,
 * so the biggest obstacle is read first. A summary about the device itself is written in the
 * singular after the word "device" ("device is NotReady", "device has too little memory");
 * the message drops "device" and puts the verb in agreement with the count, so every part
 * reads after a number. Other summaries are printed after the count as they are.
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
  // Most first, then by wording so equal counts always come out in the same order.
  const parts = [...counts]
    .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0))
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

const DEVICE = 'device ';

/** "1 is NotReady", "10 are NotReady"; a summary not about the device: "2 insufficient gpu". */
export function counted(count: number, summary: string): string {
  if (!summary.startsWith(DEVICE)) return `${count} ${summary}`;
  const phrase = summary.slice(DEVICE.length);
  if (count === 1) return `1 ${phrase}`;
  return `${count} ${phrase.replace(/^(is|has|does|was)\b/, (verb) => PLURAL_VERBS[verb] ?? verb)}`;
}

const PLURAL_VERBS: Record<string, string> = { is: 'are', has: 'have', does: 'do', was: 'were' };
