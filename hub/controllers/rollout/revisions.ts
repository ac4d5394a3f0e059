/**
 * Revisions of a workload's pod template, kept as ControllerRevision objects the way
 * Kubernetes keeps them for DaemonSets: one per distinct template, owned by the workload,
 * named `<workload>-<template hash>`, numbered 1, 2, … in the order templates were first (or
 * last) rolled out. A template that comes back (an undo, a re-apply of an old manifest) gets
 * the next number, as in Kubernetes, so the highest number is always the current template.
 * `rollout history` lists them and `rollout undo` goes back to one. Deployment and DaemonSet
 * controllers both use this module.
 */
import { createHash } from 'node:crypto';
import { hasCode } from '../../../shared/errors.js';
import type { ControllerRevision, DaemonSet, Deployment, OwnerReference, PodTemplate } from '../../../shared/objects.js';
import type { Store } from '../../store/store.js';
import { Informer } from '../informer.js';

/** A workload that rolls out revisions of a pod template. */
export type RolloutWorkload = Deployment | DaemonSet;

/** Pods and revisions both carry the hash of the template they were made from. */
export const TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Copied from the workload onto a new revision, as kubectl's `rollout history` shows it. */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

/** Kubernetes' default for `revisionHistoryLimit`. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** Stable across key order, so the same template always gives the same hash. */
export function templateHash(template: PodTemplate): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 8);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function revisionName(workload: string, hash: string): string {
  return `${workload}-${hash}`;
}

/** The hash of the template a revision holds. */
export function revisionHash(revision: ControllerRevision): string {
  return revision.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? templateHash(revision.data.template);
}

/** `Kind/namespace/name` of the workload that controls a revision: the `owner` index's values. */
export function ownerKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? 'default'}/${name}`;
}

function controllerOf(revision: ControllerRevision): OwnerReference | undefined {
  return revision.metadata.ownerReferences?.find((o) => o.controller === true);
}

export function isOwnedBy(revision: ControllerRevision, workload: RolloutWorkload): boolean {
  const owner = controllerOf(revision);
  return owner !== undefined && owner.kind === workload.kind && owner.uid === workload.metadata.uid;
}

export type RevisionInformer = Informer<'ControllerRevision', 'owner'>;

/** A cache of every revision, by the workload that controls it. */
export function revisionInformer(store: Store): RevisionInformer {
  return new Informer(store, 'ControllerRevision', {
    owner: (revision) => {
      const owner = controllerOf(revision);
      return owner === undefined ? [] : [ownerKey(owner.kind, revision.metadata.namespace, owner.name)];
    },
  });
}

function byNumber(a: ControllerRevision, b: ControllerRevision): number {
  return a.revision - b.revision;
}

/** The workload's revisions in a cache, oldest number first. */
export function cachedRevisions(cache: RevisionInformer, workload: RolloutWorkload): ControllerRevision[] {
  const { kind, metadata } = workload;
  return cache
    .byIndex('owner', ownerKey(kind, metadata.namespace, metadata.name))
    .filter((revision) => isOwnedBy(revision, workload))
    .sort(byNumber);
}

/** The workload's revisions, read from the store, oldest number first. */
export async function listRevisions(store: Store, workload: RolloutWorkload): Promise<ControllerRevision[]> {
  const { items } = await store.list('ControllerRevision', { namespace: workload.metadata.namespace ?? 'default' });
  return items.filter((revision) => isOwnedBy(revision, workload)).sort(byNumber);
}

/** The revision before `current`: what a rollback goes back to. */
export function previousRevision(revisions: readonly ControllerRevision[], current: ControllerRevision): ControllerRevision | undefined {
  let previous: ControllerRevision | undefined;
  for (const revision of revisions) {
    if (revision.revision < current.revision && (previous === undefined || revision.revision > previous.revision)) previous = revision;
  }
  return previous;
}

export interface EnsuredRevision {
  current: ControllerRevision;
  /** Every revision of the workload afterwards, oldest number first. */
  revisions: ControllerRevision[];
}

/**
 * The revision of `template` (whose hash is `hash`), made if it is new, renumbered to the
 * next number if it comes back after another. `revisions`: the workload's revisions as the
 * caller has them (a cache); read from the store when not given.
 */
export async function ensureRevision(
  store: Store,
  workload: RolloutWorkload,
  template: PodTemplate,
  hash: string,
  revisions?: readonly ControllerRevision[],
): Promise<EnsuredRevision> {
  const known = [...(revisions ?? (await listRevisions(store, workload)))].sort(byNumber);
  const highest = known.at(-1)?.revision ?? 0;
  const existing = known.find((revision) => revisionHash(revision) === hash);
  if (existing !== undefined && existing.revision === highest) return { current: existing, revisions: known };
  if (existing !== undefined) {
    const renumbered = await store.update({ ...existing, revision: highest + 1 });
    return { current: renumbered, revisions: [...known.filter((r) => r !== existing), renumbered] };
  }
  const created = await createRevision(store, workload, template, hash, highest + 1);
  return { current: created, revisions: [...known, created] };
}

async function createRevision(store: Store, workload: RolloutWorkload, template: PodTemplate, hash: string, number: number): Promise<ControllerRevision> {
  const { metadata } = workload;
  const namespace = metadata.namespace ?? 'default';
  const changeCause = metadata.annotations?.[CHANGE_CAUSE_ANNOTATION];
  const build = (name: string): ControllerRevision => ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace,
      labels: { [TEMPLATE_HASH_LABEL]: hash },
      ...(changeCause === undefined ? {} : { annotations: { [CHANGE_CAUSE_ANNOTATION]: changeCause } }),
      ownerReferences: [{ apiVersion: workload.apiVersion, kind: workload.kind, name: metadata.name, uid: metadata.uid ?? '', controller: true }],
    },
    data: { template: structuredClone(template) },
    revision: number,
  });
  const name = revisionName(metadata.name, hash);
  try {
    return await store.create(build(name));
  } catch (error) {
    if (!hasCode(error, 'AlreadyExists')) throw error;
  }
  const taken = await store.get('ControllerRevision', namespace, name);
  const owner = taken === undefined ? undefined : controllerOf(taken);
  if (taken !== undefined && owner?.kind === workload.kind && owner.name === metadata.name) {
    // Left by an earlier workload of the same name, deleted while the hub was down.
    const { resourceVersion } = taken.metadata;
    await store.delete('ControllerRevision', namespace, name, resourceVersion === undefined ? {} : { resourceVersion });
    return store.create(build(name));
  }
  // A workload of another kind with the same name and template holds the name.
  return store.create(build(`${name}-${workload.kind.toLowerCase()}`));
}

/**
 * Deletes the oldest revisions beyond `limit` old ones, never the current one nor one whose
 * template still has pods (`inUse`: template hashes of the workload's pods). Returns the
 * revisions left, oldest number first.
 */
export async function pruneRevisions(
  store: Store,
  revisions: readonly ControllerRevision[],
  options: { limit: number; current: ControllerRevision; inUse: ReadonlySet<string> },
): Promise<ControllerRevision[]> {
  const sorted = [...revisions].sort(byNumber);
  const old = sorted.filter((revision) => revision.metadata.name !== options.current.metadata.name);
  let excess = old.length - Math.max(0, options.limit);
  if (excess <= 0) return sorted;
  const doomed = new Set<ControllerRevision>();
  for (const revision of old) {
    if (excess <= 0) break;
    if (options.inUse.has(revisionHash(revision))) continue;
    doomed.add(revision);
    excess--;
  }
  await deleteRevisions(store, [...doomed]);
  return sorted.filter((revision) => !doomed.has(revision));
}

/** Deletes revisions; one already gone is no error. */
export async function deleteRevisions(store: Store, revisions: readonly ControllerRevision[]): Promise<void> {
  await Promise.all(
    revisions.map(async (revision) => {
      try {
        await store.delete('ControllerRevision', revision.metadata.namespace, revision.metadata.name);
      } catch (error) {
        if (!hasCode(error, 'NotFound')) throw error;
      }
    }),
  );
}
