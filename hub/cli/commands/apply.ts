/** `flotilla apply -f <file|dir|->`: sends every manifest in one request, so all apply or none. */
import { FlotillaError, isFlotillaError } from '../../../shared/errors.js';
import { KINDS, isKind } from '../../../shared/objects.js';
import { commandContext, write } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { CliError } from '../errors.js';
import { resourceName } from '../format/names.js';
import { loadManifests } from '../manifests.js';
import type { Manifest } from '../manifests.js';

export interface ApplyOptions extends GlobalOptions {
  filename: string[];
  /** Whether -n was given on the command line (rather than defaulted). */
  namespaceGiven?: boolean;
}

interface ApplyResult {
  items: { kind: string; namespace?: string; name: string; action: string }[];
}

/**
 * Namespaced manifests without a namespace go to -n's; one that names another namespace
 * than an explicit -n is refused, as kubectl does.
 */
export function placeInNamespace(manifests: readonly Manifest[], namespace: string, explicit: boolean): Record<string, unknown>[] {
  return manifests.map(({ object, source }) => {
    const kind = object['kind'];
    if (!isKind(kind) || !KINDS[kind].namespaced) return object;
    const metadata = object['metadata'];
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return object;
    const own = (metadata as Record<string, unknown>)['namespace'];
    if (own === undefined || own === null) return { ...object, metadata: { ...metadata, namespace } };
    if (explicit && own !== namespace) {
      throw new CliError(`${source}: the manifest's namespace "${String(own)}" does not match --namespace "${namespace}"`, {
        hint: 'leave out -n, or remove metadata.namespace from the manifest',
      });
    }
    return object;
  });
}

/** `web.yaml (document 2: Deployment web)`: where the item at `index` came from. */
export function sourceLabel(manifest: Manifest | undefined): string | undefined {
  if (manifest === undefined) return undefined;
  const { kind, metadata } = manifest.object as { kind?: unknown; metadata?: { name?: unknown } };
  const name = typeof metadata === 'object' && metadata !== null ? metadata.name : undefined;
  if (typeof kind !== 'string' || typeof name !== 'string') return manifest.source;
  const open = manifest.source.endsWith(')') ? `${manifest.source.slice(0, -1)}: ` : `${manifest.source} (`;
  return `${open}${kind} ${name})`;
}

/** The API names items by position (`items[3]`); people want the file and document. */
export function attributeToSources(error: unknown, manifests: readonly Manifest[]): unknown {
  if (!isFlotillaError(error)) return error;
  const label = (index: string): string | undefined => sourceLabel(manifests[Number(index)]);
  const message = error.message.replace(/items\[(\d+)\](?: \([^)]*\))?/g, (whole, index: string) => label(index) ?? whole);
  const items = new Set(error.details.map((detail) => /^items\[(\d+)\]/.exec(detail.field)?.[1]));
  // When the message already names the one item at fault, its details need not repeat it.
  const oneItem = items.size === 1 && !items.has(undefined) && /items\[\d+\]/.test(error.message);
  const details = error.details.map((detail) => {
    const match = /^items\[(\d+)\]\.?(.*)$/.exec(detail.field);
    const source = match === null ? undefined : label(match[1] ?? '');
    if (match === null || source === undefined) return detail;
    const rest = match[2] ?? '';
    if (oneItem) return { field: rest === '' ? source : rest, message: detail.message };
    return { field: rest === '' ? source : `${source}: ${rest}`, message: detail.message };
  });
  const options: { details: typeof details; hint?: string } = { details };
  if (error.hint !== undefined) options.hint = error.hint;
  return new FlotillaError(error.code, message, options);
}

export async function runApply(options: ApplyOptions): Promise<void> {
  const context = commandContext(options);
  const manifests = await loadManifests(options.filename);
  const items = placeInNamespace(manifests, context.namespace, options.namespaceGiven === true);
  let result: ApplyResult;
  try {
    result = await context.client.post<ApplyResult>('/api/v1/apply', { items });
  } catch (error) {
    throw attributeToSources(error, manifests);
  }
  for (const item of result.items) write(`${resourceName(item.kind, item.name)} ${item.action}\n`);
}
