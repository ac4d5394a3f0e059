/**
 * Rules every store backend shares: how an object is identified, which metadata the store
 * owns, and the errors callers see. Kept apart from LevelDB so another backend behaves the same.
 */
import { isDeepStrictEqual } from 'node:util';
import { FlotillaError } from '../../shared/errors.js';
import { DEFAULT_NAMESPACE, KINDS, isKind, objectKey } from '../../shared/objects.js';
import type { AnyObject, Kind } from '../../shared/objects.js';

export interface ObjectIdentity {
  kind: Kind;
  /** Undefined for cluster-scoped kinds. */
  namespace: string | undefined;
  name: string;
  /** `namespace/name`, or `name` for cluster-scoped kinds. */
  key: string;
}

/** `pod default/web`, `device cam-1`: how messages name an object. */
export function describeObject(id: ObjectIdentity): string {
  return `${id.kind.toLowerCase()} ${id.key}`;
}

/** The kind, checked: callers outside TypeScript can pass anything. */
export function knownKind(kind: unknown): Kind {
  if (isKind(kind)) return kind;
  throw new FlotillaError('BadRequest', `unknown kind ${JSON.stringify(kind)}`, {
    hint: `the store holds ${Object.keys(KINDS).join(', ')}`,
  });
}

/**
 * The identity of an object addressed by kind, namespace and name (get, delete). A namespace
 * given for a cluster-scoped kind is ignored, as `kubectl get devices -n x` does.
 */
export function identifyKey(kind: Kind, namespace: string | undefined, name: string): ObjectIdentity {
  const checkedKind = knownKind(kind);
  const scopedNamespace = KINDS[checkedKind].namespaced ? namespace || DEFAULT_NAMESPACE : undefined;
  return { kind: checkedKind, namespace: scopedNamespace, name, key: objectKey(checkedKind, scopedNamespace, name) };
}

/**
 * The identity of an object about to be written. Refuses what would make its key ambiguous:
 * no name, a `/` in name or namespace, a namespace on a cluster-scoped kind.
 */
export function identifyObject(object: AnyObject): ObjectIdentity {
  if (typeof object !== 'object' || object === null) {
    throw new FlotillaError('Invalid', 'the store can only hold objects');
  }
  const kind = knownKind(object.kind);
  const metadata: unknown = object.metadata;
  if (typeof metadata !== 'object' || metadata === null) {
    throw new FlotillaError('Invalid', `${kind} has no metadata`, {
      details: [{ field: 'metadata', message: 'required' }],
    });
  }
  const { name, namespace } = metadata as { name?: unknown; namespace?: unknown };
  const problems: { field: string; message: string }[] = [];
  if (typeof name !== 'string' || name === '') {
    problems.push({ field: 'metadata.name', message: 'required' });
  } else if (name.includes('/')) {
    problems.push({ field: 'metadata.name', message: 'must not contain "/"' });
  }
  if (namespace !== undefined && namespace !== '') {
    if (typeof namespace !== 'string') {
      problems.push({ field: 'metadata.namespace', message: 'must be a string' });
    } else if (!KINDS[kind].namespaced) {
      problems.push({ field: 'metadata.namespace', message: `${kind} is cluster-scoped and takes no namespace` });
    } else if (namespace.includes('/')) {
      problems.push({ field: 'metadata.namespace', message: 'must not contain "/"' });
    }
  }
  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw new FlotillaError('Invalid', `${kind} is invalid: ${summary}`, { details: problems });
  }
  return identifyKey(kind, namespace as string | undefined, name as string);
}

/**
 * A copy in exactly the form the object takes on disk (undefined fields dropped), so what a
 * caller reads back is the same before and after a restart: JSON.parse(JSON.stringify(value)),
 * built directly for plain data, which is what callers hand the store and is several times
 * faster than going through the text.
 */
export function jsonCopy<T>(value: T): T {
  const copy = plainJsonCopy(value, 0);
  return (copy === NOT_PLAIN ? JSON.parse(JSON.stringify(value)) : copy) as T;
}

/** What plainJsonCopy answers for anything but plain data, which then goes through JSON itself. */
const NOT_PLAIN: unique symbol = Symbol('not plain');

/** Deeper than any object the store holds; a cycle reaches it and takes the JSON path, which reports the cycle. */
const MAX_PLAIN_DEPTH = 64;

/**
 * JSON's round trip for strings, numbers, booleans, null, and arrays and objects of them with
 * the ordinary prototype: non-finite numbers become null and -0 becomes 0, undefined and
 * functions are dropped from objects and become null in arrays. NOT_PLAIN for anything JSON
 * treats specially (toJSON, Dates, class instances, boxed values, bigint) or that nests too deep.
 */
function plainJsonCopy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null;
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (value === null) return null;
  if (depth > MAX_PLAIN_DEPTH) return NOT_PLAIN;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
    const copy: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const field = droppedByJson(item) ? null : plainJsonCopy(item, depth + 1);
      if (field === NOT_PLAIN) return NOT_PLAIN;
      copy.push(field);
    }
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (droppedByJson(item)) continue;
    const field = plainJsonCopy(item, depth + 1);
    if (field === NOT_PLAIN) return NOT_PLAIN;
    // Assigning "__proto__" would swap the copy's prototype, JSON.parse makes it a key.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: field, enumerable: true, writable: true, configurable: true });
    else copy[key] = field;
  }
  return copy;
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
function droppedByJson(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/**
 * Freezes a stored object and everything in it, so it can be handed to every reader and
 * watcher as it is: copying 10,000 pods for each list cost more than all else the hub did in
 * a rollout. Parts already frozen (shared with an earlier version of the object) are skipped.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/** Whether `spec` differs in content; both sides must already be in JSON form. */
export function specChanged(before: AnyObject, after: AnyObject): boolean {
  return !isDeepStrictEqual((before as { spec?: unknown }).spec, (after as { spec?: unknown }).spec);
}

/** A `resourceVersion` the caller set as a precondition; empty means none, as in Kubernetes. */
export function givenVersion(resourceVersion: string | undefined): string | undefined {
  return resourceVersion === undefined || resourceVersion === '' ? undefined : resourceVersion;
}

export function notFound(id: ObjectIdentity): FlotillaError {
  return new FlotillaError('NotFound', `${describeObject(id)} not found`);
}

export function alreadyExists(id: ObjectIdentity): FlotillaError {
  return new FlotillaError('AlreadyExists', `${describeObject(id)} already exists`, {
    hint: 'update it instead, or delete it first',
  });
}

export function conflict(id: ObjectIdentity, stored: string | undefined, given: string): FlotillaError {
  return new FlotillaError(
    'Conflict',
    `${describeObject(id)}: the object has been modified; re-read it and apply your change again ` +
      `(stored resourceVersion ${stored ?? 'none'}, given ${given})`,
    { details: [{ field: 'metadata.resourceVersion', message: `stored ${stored ?? 'none'}, given ${given}` }] },
  );
}

export function storeClosed(): FlotillaError {
  return new FlotillaError('Unavailable', 'the store is closed', {
    hint: 'nothing can be read or written after close(); open the store again',
  });
}

/** A resourceVersion to watch from: the decimal form the store hands out. */
export function parseResourceVersion(text: string): number {
  const version = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(version)) {
    throw new FlotillaError('BadRequest', `resourceVersion ${JSON.stringify(text)} is not one the store hands out`, {
      details: [{ field: 'resourceVersion', message: 'must be a decimal number' }],
      hint: 'watch from the resourceVersion of a list or of an object',
    });
  }
  return version;
}

export function tooOldToWatch(from: string, oldest: number): FlotillaError {
  return new FlotillaError(
    'Gone',
    `resourceVersion ${from} is too old to watch from: the store remembers changes after ${oldest} only`,
    { hint: 'list again and watch from the resourceVersion of that list' },
  );
}

export function tooNewToWatch(from: string, current: number): FlotillaError {
  return new FlotillaError(
    'Gone',
    `resourceVersion ${from} is newer than the store's latest (${current}); the store was reset or replaced`,
    { hint: 'list again and watch from the resourceVersion of that list' },
  );
}
