/** The daemonset table, as kubectl's: how many devices should run the pod, do, and run it ready and up to date. */
import type { DaemonSet } from '../../../shared/objects.js';
import { selectorFromObject } from '../../../shared/selector.js';
import { age } from './age.js';
import type { TableOptions } from './pods.js';
import { labelText, renderTable } from './table.js';

export function daemonSetSelector(daemonSet: DaemonSet): string {
  const selector = daemonSet.spec.selector;
  if (selector === undefined) return '';
  try {
    return selectorFromObject(selector).toString();
  } catch {
    // Stored DaemonSets were validated; this only guards a table against an odd object.
    return '';
  }
}

/**
 * Which devices the pod goes to: kubectl's NODE SELECTOR column, with Flotilla's
 * `deviceSelector` after the `nodeSelector` labels, as the two are ANDed.
 */
export function deviceSelectorText(daemonSet: DaemonSet): string {
  const spec = daemonSet.spec.template.spec;
  return [labelText(spec.nodeSelector), spec.deviceSelector?.trim() ?? ''].filter((part) => part !== '').join(',');
}

export function daemonSetTable(daemonSets: readonly DaemonSet[], options: TableOptions): string {
  const headers = ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'];
  if (options.wide) headers.push('CONTAINERS', 'IMAGES', 'SELECTOR');
  if (options.allNamespaces) headers.unshift('NAMESPACE');
  const rows = daemonSets.map((daemonSet) => {
    const status = daemonSet.status;
    const row = [
      daemonSet.metadata.name,
      String(status?.desiredNumberScheduled ?? 0),
      String(status?.currentNumberScheduled ?? 0),
      String(status?.numberReady ?? 0),
      String(status?.updatedNumberScheduled ?? 0),
      String(status?.numberAvailable ?? 0),
      deviceSelectorText(daemonSet),
      age(daemonSet.metadata.creationTimestamp, options.now),
    ];
    if (options.wide) {
      const containers = daemonSet.spec.template.spec.containers;
      row.push(containers.map((c) => c.name).join(','), containers.map((c) => c.image).join(','), daemonSetSelector(daemonSet));
    }
    if (options.allNamespaces) row.unshift(daemonSet.metadata.namespace ?? '');
    return row;
  });
  return renderTable(headers, rows);
}
