/**
 * `apply`: validate every manifest, then create what is missing and update what changed.
 *
 * Nothing is written unless every item is valid and none asks for a change the hub refuses
 * (a Pod's spec is immutable), so a file with one bad document changes nothing. Updates are
 * conditional on the resourceVersion that was read (or the one the manifest carries), so a
 * concurrent write is never silently overwritten.
 *
 * A Secret's manifest replaces its type and keys, except that an empty value in `data` for a
 * key the stored Secret has keeps the stored value: reads show every value empty, so a Secret
 * read with `get -o yaml`, relabelled and applied again must not lose what it holds.
 */
import { isDeepStrictEqual } from 'node:util';
import { FlotillaError, hasCode, isFlotillaError } from '../../shared/errors.js';
import type { FieldError } from '../../shared/errors.js';
import { KINDS } from '../../shared/objects.js';
import type { AnyObject, DaemonSet, Deployment, Device, DeviceSpec, Kind, ObjectMeta, Pod, Secret } from '../../shared/objects.js';
import { validateManifest } from '../../shared/validation.js';
import type { Store } from '../store/store.js';
import { objectName } from './resources.js';

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyResultItem {
  kind: Kind;
  namespace?: string;
  name: string;
  action: ApplyAction;
}

export type ApplyPlan = { action: 'created' | 'configured'; object: AnyObject } | { action: 'unchanged'; object: AnyObject };

/** Attempts per item when a concurrent writer (a controller, an agent) gets in between. */
const RACE_ATTEMPTS = 5;

function itemPrefix(index: number): string {
  return `items[${index}]`;
}

function prefixed(index: number, details: FieldError[]): FieldError[] {
  return details.map((detail) => ({
    field: detail.field === '' ? itemPrefix(index) : `${itemPrefix(index)}.${detail.field}`,
    message: detail.message,
  }));
}

/** What a raw item calls itself, for messages about an item that did not validate. */
function looseIdentity(item: unknown): string {
  if (typeof item !== 'object' || item === null) return '';
  const { kind, metadata } = item as { kind?: unknown; metadata?: { name?: unknown } };
  const name = typeof metadata === 'object' && metadata !== null ? metadata.name : undefined;
  if (typeof kind === 'string' && typeof name === 'string') return ` (${kind} ${name})`;
  return '';
}

function identityOf(object: AnyObject): { kind: Kind; namespace: string | undefined; name: string } {
  const kind = object.kind;
  return { kind, namespace: KINDS[kind].namespaced ? object.metadata.namespace : undefined, name: object.metadata.name };
}

/** Validates every item; throws one Invalid error listing the problems of all of them. */
export function validateItems(items: unknown[]): AnyObject[] {
  const objects: AnyObject[] = [];
  const details: FieldError[] = [];
  const invalidItems: string[] = [];
  const hints = new Set<string>();
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    try {
      const object = validateManifest(item, index);
      const id = identityOf(object);
      const key = objectName(id.kind, id.namespace, id.name);
      const first = seen.get(key);
      if (first !== undefined) {
        details.push({ field: `${itemPrefix(index)}.metadata.name`, message: `${key} is already in items[${first}]` });
        invalidItems.push(`${itemPrefix(index)}${looseIdentity(item)}`);
      }
      seen.set(key, index);
      objects.push(object);
    } catch (error) {
      if (!hasCode(error, 'Invalid')) throw error;
      const itemDetails = error.details.length > 0 ? error.details : [{ field: '', message: error.message }];
      details.push(...prefixed(index, itemDetails));
      invalidItems.push(`${itemPrefix(index)}${looseIdentity(item)}`);
      if (error.hint !== undefined) hints.add(error.hint);
    }
  });
  if (details.length > 0) throw invalidApply(invalidItems, items.length, details, hints);
  return objects;
}

function invalidApply(invalidItems: string[], total: number, details: FieldError[], hints: Set<string>): FlotillaError {
  const which =
    invalidItems.length === 1 ? `${invalidItems[0]} is invalid` : `${invalidItems.length} of ${total} items are invalid`;
  return new FlotillaError('Invalid', `${which}; nothing was applied`, {
    details,
    hint: hints.size > 0 ? [...hints].join('; ') : 'fix the fields listed and apply again',
  });
}

function normalised(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** Equal as JSON: an absent field and an undefined one are the same, key order does not matter. */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalised(a), normalised(b));
}

function nonEmpty<T extends object>(map: T | undefined): T | undefined {
  return map !== undefined && Object.keys(map).length > 0 ? map : undefined;
}

function conflict(object: AnyObject, stored: AnyObject | undefined): FlotillaError {
  const given = object.metadata.resourceVersion;
  const id = identityOf(object);
  const name = objectName(id.kind, id.namespace, id.name);
  if (stored === undefined) {
    return new FlotillaError('Conflict', `${name} no longer exists, but the manifest carries resourceVersion ${given}`, {
      hint: 'remove metadata.resourceVersion from the manifest to create it again',
    });
  }
  return new FlotillaError(
    'Conflict',
    `${name} has been modified: the manifest carries resourceVersion ${given}, the hub has ${stored.metadata.resourceVersion}`,
    { hint: 'read it again (flotilla get -o yaml), reapply your change, or drop metadata.resourceVersion' },
  );
}

function creationOf(object: AnyObject): AnyObject {
  const metadata: ObjectMeta = { name: object.metadata.name };
  if (KINDS[object.kind].namespaced) metadata.namespace = object.metadata.namespace ?? 'default';
  const labels = nonEmpty(object.metadata.labels);
  if (labels) metadata.labels = labels;
  const annotations = nonEmpty(object.metadata.annotations);
  if (annotations && object.kind !== 'Device') metadata.annotations = annotations;
  const created = { apiVersion: object.apiVersion, kind: object.kind, metadata } as AnyObject;
  if (object.kind === 'Device') {
    const spec = deviceSpecOf(object);
    if (spec !== undefined) (created as Device).spec = spec;
  } else if (object.kind === 'Pod' || object.kind === 'Deployment' || object.kind === 'DaemonSet') {
    (created as Pod | Deployment | DaemonSet).spec = structuredClone(object.spec) as never;
  } else if (object.kind === 'Secret') {
    const secret = created as Secret;
    if (object.type !== undefined) secret.type = object.type;
    secret.data = { ...object.data };
  }
  return created;
}

function withMetadata<T extends AnyObject>(stored: T, labels: ObjectMeta['labels'], annotations: ObjectMeta['annotations'], resourceVersion: string | undefined): T {
  const metadata: ObjectMeta = { ...stored.metadata };
  delete metadata.labels;
  delete metadata.annotations;
  const nextLabels = nonEmpty(labels);
  const nextAnnotations = nonEmpty(annotations);
  if (nextLabels) metadata.labels = nextLabels;
  if (nextAnnotations) metadata.annotations = nextAnnotations;
  if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion;
  return { ...stored, metadata };
}

function podUpdate(manifest: Pod, stored: Pod): Pod {
  // The scheduler fills nodeName; a manifest without one means "wherever it was placed".
  const spec = { ...manifest.spec, nodeName: manifest.spec.nodeName ?? stored.spec.nodeName };
  if (!sameJson(spec, stored.spec)) {
    throw new FlotillaError('Invalid', `${objectName('Pod', stored.metadata.namespace, stored.metadata.name)}: a Pod's spec cannot change once it exists`, {
      details: [{ field: 'spec', message: 'is immutable: only metadata.labels and metadata.annotations of a Pod can change' }],
      hint: 'delete the pod and apply it again, or run it from a Deployment, which replaces pods when its template changes',
    });
  }
  return withMetadata(stored, manifest.metadata.labels, manifest.metadata.annotations, stored.metadata.resourceVersion);
}

function deploymentUpdate(manifest: Deployment, stored: Deployment): Deployment {
  const updated = withMetadata(stored, manifest.metadata.labels, manifest.metadata.annotations, stored.metadata.resourceVersion);
  return { ...updated, spec: structuredClone(manifest.spec) };
}

function daemonSetUpdate(manifest: DaemonSet, stored: DaemonSet): DaemonSet {
  const updated = withMetadata(stored, manifest.metadata.labels, manifest.metadata.annotations, stored.metadata.resourceVersion);
  return { ...updated, spec: structuredClone(manifest.spec) };
}

/**
 * A Device is the agent's: only its labels (when the manifest has any), whether it is cordoned
 * and its taints (when the manifest has them; `taints: []` removes them) are set by apply, so
 * a manifest that only cordons keeps the announced labels and the taints.
 */
function deviceUpdate(manifest: Device, stored: Device): Device {
  const labels = manifest.metadata.labels ?? stored.metadata.labels;
  const updated = withMetadata(stored, labels, stored.metadata.annotations, stored.metadata.resourceVersion);
  const given = deviceSpecOf(manifest);
  if (given === undefined) return updated;
  const spec = { ...stored.spec, ...given };
  if (spec.taints?.length === 0) delete spec.taints;
  return { ...updated, spec };
}

/** The parts of a Device's spec that apply sets: its cordon and its taints, as far as given. */
function deviceSpecOf(device: Device): DeviceSpec | undefined {
  const spec: DeviceSpec = {};
  if (device.spec?.unschedulable !== undefined) spec.unschedulable = device.spec.unschedulable;
  if (device.spec?.taints !== undefined) spec.taints = structuredClone(device.spec.taints);
  return Object.keys(spec).length === 0 ? undefined : spec;
}

/** See the module comment: an empty value keeps what the key holds. */
function secretUpdate(manifest: Secret, stored: Secret): Secret {
  const type = manifest.type ?? stored.type;
  if (type !== stored.type) {
    throw new FlotillaError('Invalid', `${objectName('Secret', stored.metadata.namespace, stored.metadata.name)}: a Secret's type cannot change once it exists`, {
      details: [{ field: 'type', message: `is immutable: it is "${stored.type ?? ''}", the manifest has "${type ?? ''}"` }],
      hint: 'delete the Secret and apply it again with the new type',
    });
  }
  const updated = withMetadata(stored, manifest.metadata.labels, manifest.metadata.annotations, stored.metadata.resourceVersion);
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(manifest.data ?? {})) {
    data[key] = value === '' ? (stored.data?.[key] ?? '') : value;
  }
  const next: Secret = { ...updated, data };
  delete next.stringData;
  return next;
}

/** What applying `manifest` over `stored` means; pure. Throws Invalid or Conflict. */
export function planApply(manifest: AnyObject, stored: AnyObject | undefined): ApplyPlan {
  const given = manifest.metadata.resourceVersion;
  if (given !== undefined && given !== stored?.metadata.resourceVersion) throw conflict(manifest, stored);
  if (stored === undefined) return { action: 'created', object: creationOf(manifest) };
  let next: AnyObject;
  switch (manifest.kind) {
    case 'Pod':
      next = podUpdate(manifest, stored as Pod);
      break;
    case 'Deployment':
      next = deploymentUpdate(manifest, stored as Deployment);
      break;
    case 'DaemonSet':
      next = daemonSetUpdate(manifest, stored as DaemonSet);
      break;
    case 'Device':
      next = deviceUpdate(manifest, stored as Device);
      break;
    case 'Secret':
      next = secretUpdate(manifest, stored as Secret);
      break;
    default:
      throw new FlotillaError('Invalid', `${manifest.kind} objects cannot be applied`, {
        details: [{ field: 'kind', message: 'is written by the hub itself' }],
      });
  }
  return sameJson(next, stored) ? { action: 'unchanged', object: stored } : { action: 'configured', object: next };
}

function resultItem(object: AnyObject, action: ApplyAction): ApplyResultItem {
  const id = identityOf(object);
  const item: ApplyResultItem = { kind: id.kind, name: id.name, action };
  if (id.namespace !== undefined) item.namespace = id.namespace;
  return item;
}

/** Lost races are retried from a fresh read, unless the manifest pinned a resourceVersion. */
function lostRace(error: unknown): boolean {
  return hasCode(error, 'Conflict') || hasCode(error, 'AlreadyExists') || hasCode(error, 'NotFound');
}

async function applyOne(store: Store, manifest: AnyObject): Promise<ApplyResultItem> {
  const id = identityOf(manifest);
  for (let attempt = 1; ; attempt++) {
    const stored = await store.get(id.kind, id.namespace, id.name);
    const plan = planApply(manifest, stored);
    try {
      if (plan.action === 'created') await store.create(plan.object);
      else if (plan.action === 'configured') await store.update(plan.object);
      return resultItem(manifest, plan.action);
    } catch (error) {
      if (manifest.metadata.resourceVersion === undefined && attempt < RACE_ATTEMPTS && lostRace(error)) continue;
      throw error;
    }
  }
}

function rethrowForItem(error: unknown, index: number, applied: ApplyResultItem[]): never {
  if (!isFlotillaError(error)) throw error;
  const done =
    applied.length === 0
      ? 'nothing was applied'
      : `items[0..${applied.length - 1}] were applied (${applied.map((a) => `${a.kind.toLowerCase()} ${a.name} ${a.action}`).join(', ')})`;
  const options: { details: FieldError[]; hint?: string; cause: unknown } = {
    details: prefixed(index, error.details),
    cause: error,
  };
  if (error.hint !== undefined) options.hint = error.hint;
  throw new FlotillaError(error.code, `${itemPrefix(index)}: ${error.message}; ${done}`, options);
}

/** Applies `items` (raw manifests) in order; see the module comment for the guarantees. */
export async function applyItems(store: Store, items: unknown[]): Promise<ApplyResultItem[]> {
  const manifests = validateItems(items);

  // Refusals found by reading the store (immutable Pod specs, pinned stale versions) also
  // leave everything untouched.
  const details: FieldError[] = [];
  const refused: string[] = [];
  const hints = new Set<string>();
  for (const [index, manifest] of manifests.entries()) {
    const id = identityOf(manifest);
    try {
      planApply(manifest, await store.get(id.kind, id.namespace, id.name));
    } catch (error) {
      if (hasCode(error, 'Invalid')) {
        details.push(...prefixed(index, error.details));
        refused.push(`${itemPrefix(index)} (${manifest.kind} ${manifest.metadata.name})`);
        if (error.hint !== undefined) hints.add(error.hint);
      } else {
        rethrowForItem(error, index, []);
      }
    }
  }
  if (details.length > 0) throw invalidApply(refused, manifests.length, details, hints);

  const applied: ApplyResultItem[] = [];
  for (const [index, manifest] of manifests.entries()) {
    try {
      applied.push(await applyOne(store, manifest));
    } catch (error) {
      rethrowForItem(error, index, applied);
    }
  }
  return applied;
}
