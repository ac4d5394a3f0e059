/** `flotilla rollout history`: a workload's revisions, or one revision's pod template. */
import type { ControllerRevision } from '../../../shared/objects.js';
import { age } from './age.js';
import { Description, describePodTemplate } from './describe-layout.js';
import { resourceName } from './names.js';
import { renderTable } from './table.js';

const CHANGE_CAUSE = 'kubernetes.io/change-cause';

export interface HistoryOptions {
  kind: string;
  name: string;
  /** The revision the workload's template is now. */
  current: number | undefined;
  now: number;
}

/** A heading naming the workload and its current revision, then one row per revision, oldest first. */
export function historyTable(revisions: readonly ControllerRevision[], options: HistoryOptions): string {
  const current = options.current === undefined ? '' : ` (current revision ${options.current})`;
  const heading = `${resourceName(options.kind, options.name)}${current}\n`;
  if (revisions.length === 0) return `${heading}No revisions yet\n`;
  const rows = revisions.map((revision) => [
    String(revision.revision),
    revision.data.template.spec.containers.map((c) => c.image).join(','),
    age(revision.metadata.creationTimestamp, options.now),
    revision.metadata.annotations?.[CHANGE_CAUSE] ?? '',
  ]);
  return heading + renderTable(['REVISION', 'IMAGES', 'AGE', 'CHANGE-CAUSE'], rows);
}

/** One revision's pod template, laid out as `describe` lays out a Deployment's. */
export function revisionDetail(revision: ControllerRevision, options: Pick<HistoryOptions, 'kind' | 'name'>): string {
  const out = new Description();
  out.text(`${resourceName(options.kind, options.name)} with revision #${revision.revision}`);
  const template = revision.data.template;
  describePodTemplate(out, template);
  return out.render();
}

/** `flotilla get controllerrevisions`, as kubectl lays it out: NAME CONTROLLER REVISION AGE. */
export function controllerRevisionTable(revisions: readonly ControllerRevision[], options: { allNamespaces: boolean; now: number }): string {
  const rows = revisions.map((revision) => {
    const owner = revision.metadata.ownerReferences?.find((o) => o.controller) ?? revision.metadata.ownerReferences?.[0];
    const row = [
      revision.metadata.name,
      owner === undefined ? '<none>' : resourceName(owner.kind, owner.name),
      String(revision.revision),
      age(revision.metadata.creationTimestamp, options.now),
    ];
    return options.allNamespaces ? [revision.metadata.namespace ?? 'default', ...row] : row;
  });
  const headers = ['NAME', 'CONTROLLER', 'REVISION', 'AGE'];
  return renderTable(options.allNamespaces ? ['NAMESPACE', ...headers] : headers, rows);
}
