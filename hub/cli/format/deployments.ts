/** The deployment table: how many replicas are ready, up to date and available. */
import type { Deployment } from '../../../shared/objects.js';
import { selectorFromObject } from '../../../shared/selector.js';
import { age } from './age.js';
import type { TableOptions } from './pods.js';
import { renderTable } from './table.js';

export function deploymentSelector(deployment: Deployment): string {
  const selector = deployment.spec.selector;
  if (selector === undefined) return '';
  try {
    return selectorFromObject(selector).toString();
  } catch {
    // Stored deployments were validated; this only guards a table against an odd object.
    return '';
  }
}

export function deploymentTable(deployments: readonly Deployment[], options: TableOptions): string {
  const headers = ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'];
  if (options.wide) headers.push('IMAGES', 'SELECTOR');
  if (options.allNamespaces) headers.unshift('NAMESPACE');
  const rows = deployments.map((deployment) => {
    const status = deployment.status;
    const desired = deployment.spec.replicas ?? 1;
    const row = [
      deployment.metadata.name,
      `${status?.readyReplicas ?? 0}/${desired}`,
      String(status?.updatedReplicas ?? 0),
      String(status?.availableReplicas ?? 0),
      age(deployment.metadata.creationTimestamp, options.now),
    ];
    if (options.wide) {
      row.push(deployment.spec.template.spec.containers.map((c) => c.image).join(','), deploymentSelector(deployment));
    }
    if (options.allNamespaces) row.unshift(deployment.metadata.namespace ?? '');
    return row;
  });
  return renderTable(headers, rows);
}
