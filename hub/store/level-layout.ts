/**
 * How the store lays objects out in LevelDB, and how it reads them back at open.
 *
 * Keys: `o!{Kind}!{namespace/name}` for objects (`o!Device!{name}` for cluster-scoped kinds),
 * and `m!resourceVersion` for the counter, written in the same batch as every change so the
 * two never disagree on disk. Values are JSON text.
 */
import { isKind, objectKey } from '../../shared/objects.js';
import type { AnyObject, Kind } from '../../shared/objects.js';

export const VERSION_KEY = 'm!resourceVersion';
const OBJECT_PREFIX = 'o!';

export function objectStorageKey(kind: Kind, key: string): string {
  return `${OBJECT_PREFIX}${kind}!${key}`;
}

export interface LoadedIndex {
  objects: Map<Kind, Map<string, AnyObject>>;
  /** The highest version on disk: the counter, or a stored object's if the counter is damaged. */
  version: number;
}

/** Something on disk the store could not use; it is skipped, and left there for a person. */
export type CorruptEntryReporter = (storageKey: string, problem: string) => void;

export interface StoredEntries {
  [Symbol.asyncIterator](): AsyncIterator<[string, string]>;
}

function decodeVersion(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d+$/.test(text)) return undefined;
  const version = Number(text);
  return Number.isSafeInteger(version) ? version : undefined;
}

type Decoded = { kind: Kind; key: string; object: AnyObject; version: number } | { problem: string };

/** An object entry, checked against its own key so a stray value cannot shadow another. */
function decodeObject(storageKey: string, text: string): Decoded {
  const rest = storageKey.slice(OBJECT_PREFIX.length);
  const bang = rest.indexOf('!');
  const kind = rest.slice(0, bang);
  if (bang < 0 || !isKind(kind)) return { problem: 'the key names no known kind' };
  const key = rest.slice(bang + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `the value is not JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null) return { problem: 'the value is not an object' };
  const object = value as AnyObject;
  const metadata = object.metadata as Partial<AnyObject['metadata']> | undefined;
  if (object.kind !== kind) return { problem: `the value is a ${String(object.kind)}, not a ${kind}` };
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string') {
    return { problem: 'the value has no metadata.name' };
  }
  if (objectKey(kind, metadata.namespace, metadata.name) !== key) {
    return { problem: 'the value names a different object than its key' };
  }
  const version = decodeVersion(metadata.resourceVersion);
  if (version === undefined) return { problem: 'the value has no valid metadata.resourceVersion' };
  return { kind, key, object, version };
}

/** Reads every entry into memory; damaged ones are reported and skipped, never fatal. */
export async function loadIndex(entries: StoredEntries, report: CorruptEntryReporter): Promise<LoadedIndex> {
  const objects = new Map<Kind, Map<string, AnyObject>>();
  let counter: number | undefined;
  let newestObject = 0;
  for await (const [storageKey, text] of entries) {
    if (storageKey === VERSION_KEY) {
      counter = decodeVersion(text);
      if (counter === undefined) report(storageKey, `the resourceVersion counter is not a number: ${JSON.stringify(text)}`);
      continue;
    }
    if (!storageKey.startsWith(OBJECT_PREFIX)) continue;
    const decoded = decodeObject(storageKey, text);
    if ('problem' in decoded) {
      report(storageKey, decoded.problem);
      continue;
    }
    let ofKind = objects.get(decoded.kind);
    if (ofKind === undefined) objects.set(decoded.kind, (ofKind = new Map()));
    ofKind.set(decoded.key, decoded.object);
    newestObject = Math.max(newestObject, decoded.version);
  }
  // Never hand out a version twice, even if the counter was lost or damaged.
  return { objects, version: Math.max(counter ?? 0, newestObject) };
}
