/** `-o` formats: tables (plain and wide), json, yaml and name. */
import { stringify } from 'yaml';
import type { AccessToken, AnyObject, ControllerRevision, DaemonSet, Deployment, Device, FlotillaEvent, JoinToken, Kind, Pod, Secret } from '../../../shared/objects.js';
import { accessTokenTable, joinTokenTable, secretTable } from './credentials.js';
import { daemonSetTable } from './daemonsets.js';
import { deploymentTable } from './deployments.js';
import { deviceTable } from './devices.js';
import { eventTable } from './events.js';
import { resourceName } from './names.js';
import { podTable } from './pods.js';
import { controllerRevisionTable } from './rollout-history.js';
import type { TableOptions } from './pods.js';

export const OUTPUT_FORMATS = ['wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number] | 'table';

export function table(kind: Kind, items: readonly AnyObject[], options: TableOptions): string {
  switch (kind) {
    case 'Pod':
      return podTable(items as Pod[], options);
    case 'Device':
      return deviceTable(items as Device[], options);
    case 'Deployment':
      return deploymentTable(items as Deployment[], options);
    case 'DaemonSet':
      return daemonSetTable(items as DaemonSet[], options);
    case 'Event':
      return eventTable(items as FlotillaEvent[], options);
    case 'Secret':
      return secretTable(items as Secret[], options);
    case 'JoinToken':
      return joinTokenTable(items as JoinToken[], options);
    case 'AccessToken':
      return accessTokenTable(items as AccessToken[], options);
    case 'ControllerRevision':
      return controllerRevisionTable(items as ControllerRevision[], options);
  }
}

/** A document as `-o json` or `-o yaml` prints it. */
export function documentText(document: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : stringify(document);
}

/** A list in kubectl's shape for json and yaml, so it can be applied again. */
export function listDocument(items: readonly AnyObject[], resourceVersion?: string): Record<string, unknown> {
  const list: Record<string, unknown> = { apiVersion: 'v1', kind: 'List', items };
  if (resourceVersion !== undefined) list['metadata'] = { resourceVersion };
  return list;
}

/**
 * The text for `items`. `single` prints one object as itself rather than as a List, as
 * `kubectl get pod x -o json` does.
 */
export function formatObjects(
  kind: Kind,
  items: readonly AnyObject[],
  format: OutputFormat,
  options: { allNamespaces: boolean; now: number; single?: boolean; resourceVersion?: string },
): string {
  const document = options.single === true && items.length === 1 ? items[0] : listDocument(items, options.resourceVersion);
  switch (format) {
    case 'json':
    case 'yaml':
      return documentText(document, format);
    case 'name':
      return items.map((item) => `${resourceName(item.kind, item.metadata.name)}\n`).join('');
    case 'wide':
    case 'table':
      return table(kind, items, { wide: format === 'wide', allNamespaces: options.allNamespaces, now: options.now });
  }
}
