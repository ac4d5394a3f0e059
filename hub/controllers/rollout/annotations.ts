/**
 * Annotations through which `flotilla rollout` and the controllers talk about a workload's
 * rollout. They live in metadata, not spec: neither changes the template, so neither starts
 * a new revision; and an `apply` of the manifest, which replaces annotations, clears both,
 * which is what a new manifest means.
 */
import type { TypedObject } from '../../../shared/objects.js';

/**
 * Set by the controller when it rolled the workload back by itself: the revision that failed.
 * While it is there, the restored template goes out as a rollback (un-waved, phase RolledBack).
 */
export const ROLLED_BACK_FROM_ANNOTATION = 'flotilla.io/rolled-back-from';

/**
 * Set by `rollout resume` to `<revision>/<wave>`: the rollout of that revision may go past the
 * pause after that wave. Naming the revision keeps a resume from carrying over to the next one.
 */
export const RESUME_ANNOTATION = 'flotilla.io/rollout-resume';

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** The revision the workload was rolled back from, if the controller rolled it back. */
export function rolledBackFrom(workload: TypedObject): number | undefined {
  return positiveInteger(workload.metadata.annotations?.[ROLLED_BACK_FROM_ANNOTATION]);
}

/** The wave `rollout resume` let the rollout go past, and of which revision. */
export function resumedWave(workload: TypedObject): { revision: number; wave: number } | undefined {
  const [revision, wave] = (workload.metadata.annotations?.[RESUME_ANNOTATION] ?? '').split('/');
  const r = positiveInteger(revision);
  const w = positiveInteger(wave);
  return r === undefined || w === undefined ? undefined : { revision: r, wave: w };
}

export function resumeValue(revision: number, wave: number): string {
  return `${revision}/${wave}`;
}
