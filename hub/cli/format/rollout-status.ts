/**
 * `flotilla rollout status`: one line per change of where a workload's rollout stands, and
 * the verdict a script can act on (done or not, well or not, and what to do next).
 */
import type { DaemonSet, Deployment, RolloutStatus } from '../../../shared/objects.js';
import { resourceName } from './names.js';

export type RolloutWorkload = Deployment | DaemonSet;

export interface RolloutVerdict {
  /** The rollout of the current template has ended, one way or the other. */
  done: boolean;
  /** It ended well (Complete). */
  ok: boolean;
  /** Where it stands, for a person: printed whenever it changes. */
  line: string;
  /** What to do about a rollout that ended badly. */
  hint?: string;
}

/** `deployment/web`, the form the CLI takes back. */
function reference(workload: RolloutWorkload): string {
  return `${workload.kind.toLowerCase()}/${workload.metadata.name}`;
}

/** `revision 3, wave 1/2, Progressing: 1/4 updated, 1 ready, 0 failed, 0 pending` and the message. */
export function rolloutSummary(rollout: RolloutStatus): string {
  const counts = `${rollout.updated}/${rollout.target} updated, ${rollout.ready} ready, ${rollout.failed} failed, ${rollout.pending} pending`;
  const message = rollout.message === undefined ? '' : `; ${rollout.message}`;
  return `revision ${rollout.revision}, wave ${rollout.wave}/${rollout.waves}, ${rollout.phase}: ${counts}${message}`;
}

/** The summary, after the workload's name. */
export function rolloutLine(workload: RolloutWorkload, rollout: RolloutStatus): string {
  return `${resourceName(workload.kind, workload.metadata.name)}: ${rolloutSummary(rollout)}`;
}

/** Whether the hub has looked at the workload since it last changed. */
function observed(workload: RolloutWorkload): boolean {
  const generation = workload.metadata.generation ?? 1;
  return (workload.status?.observedGeneration ?? 0) >= generation && workload.status?.rollout !== undefined;
}

export function rolloutVerdict(workload: RolloutWorkload): RolloutVerdict {
  const name = resourceName(workload.kind, workload.metadata.name);
  const rollout = workload.status?.rollout;
  if (!observed(workload) || rollout === undefined) {
    return { done: false, ok: false, line: `Waiting for ${name}: the hub has not taken up its latest change yet` };
  }
  const ref = reference(workload);
  switch (rollout.phase) {
    case 'Complete': {
      const waiting = rollout.pending > 0 ? ` (${rollout.pending} of ${rollout.target} pods wait for Offline devices and update when they return)` : '';
      return { done: true, ok: true, line: `${name} successfully rolled out (revision ${rollout.revision})${waiting}` };
    }
    case 'Failed':
      return {
        done: true,
        ok: false,
        line: `${name} rollout failed: ${rollout.message ?? `revision ${rollout.revision} failed`}`,
        hint: `fix the template (the image, its command) and apply it again, or go back with: flotilla rollout undo ${ref}`,
      };
    case 'RolledBack':
      return {
        done: true,
        ok: false,
        line: `${name} was rolled back from revision ${rollout.rolledBackFrom ?? '?'}: ${rollout.message ?? 'its rollout failed'}`,
        hint: `fix the template (the image, its command) and apply it again; flotilla rollout history ${ref} lists the revisions`,
      };
    default:
      return { done: false, ok: false, line: rolloutLine(workload, rollout) };
  }
}
