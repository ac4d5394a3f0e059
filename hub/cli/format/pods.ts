/** The pod table and the figures kubectl derives for it: READY, STATUS, RESTARTS. */
import type { Pod } from '../../../shared/objects.js';
import { age } from './age.js';
import { renderTable } from './table.js';

export function podReady(pod: Pod): string {
  const total = pod.spec.containers.length;
  const ready = (pod.status?.containerStatuses ?? []).filter((status) => status.ready).length;
  return `${ready}/${total}`;
}

export function podRestarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, status) => sum + status.restartCount, 0);
}

/**
 * kubectl's STATUS column: the pod's reason or phase, overridden by the most telling
 * container state (a waiting reason such as CrashLoopBackOff or ErrImagePull, a terminated
 * reason, or the exit code), and `Completed` turned back into `Running` while a ready
 * container still runs.
 */
export function podStatus(pod: Pod): string {
  const status = pod.status;
  let reason: string = status?.reason ?? status?.phase ?? 'Pending';
  let running = false;
  // Backwards, as kubectl: the first container's state has the last word.
  for (const container of [...(status?.containerStatuses ?? [])].reverse()) {
    const state = container.state;
    if (state.waiting?.reason !== undefined && state.waiting.reason !== '') reason = state.waiting.reason;
    else if (state.terminated !== undefined) {
      reason = state.terminated.reason ?? `ExitCode:${state.terminated.exitCode}`;
    } else if (state.running !== undefined && container.ready) running = true;
  }
  if (reason === 'Completed' && running) reason = 'Running';
  return reason;
}

export interface TableOptions {
  wide: boolean;
  allNamespaces: boolean;
  now: number;
}

export function podTable(pods: readonly Pod[], options: TableOptions): string {
  const headers = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  if (options.wide) headers.push('DEVICE', 'IMAGES');
  if (options.allNamespaces) headers.unshift('NAMESPACE');
  const rows = pods.map((pod) => {
    const row = [pod.metadata.name, podReady(pod), podStatus(pod), String(podRestarts(pod)), age(pod.metadata.creationTimestamp, options.now)];
    if (options.wide) row.push(pod.spec.nodeName ?? '', pod.spec.containers.map((c) => c.image).join(','));
    if (options.allNamespaces) row.unshift(pod.metadata.namespace ?? '');
    return row;
  });
  return renderTable(headers, rows);
}
