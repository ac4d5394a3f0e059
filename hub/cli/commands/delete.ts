/** `flotilla delete -f <file>` and `flotilla delete <type> <name...>`. */
import { hasCode } from '../../../shared/errors.js';
import { KINDS, isKind } from '../../../shared/objects.js';
import { apiPath, commandContext, kindOfArgument, write, writeError } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { CliError, formatError } from '../errors.js';
import { resourceName } from '../format/names.js';
import { loadManifests } from '../manifests.js';
import { attributeToSources, placeInNamespace } from './apply.js';

export interface DeleteOptions extends GlobalOptions {
  filename?: string[];
  ignoreNotFound?: boolean;
  namespaceGiven?: boolean;
}

interface DeleteResult {
  items: { kind: string; namespace?: string; name: string; action: 'deleted' | 'not found' }[];
}

function reportMissing(kind: string, name: string, namespace: string | undefined, options: DeleteOptions): void {
  if (options.ignoreNotFound === true) return;
  const where = namespace !== undefined && isKind(kind) && KINDS[kind].namespaced ? ` in namespace ${namespace}` : '';
  writeError(`error: ${resourceName(kind, name)} not found${where}\n`);
  process.exitCode = 1;
}

async function deleteFromFiles(files: string[], options: DeleteOptions): Promise<void> {
  const context = commandContext(options);
  const manifests = await loadManifests(files);
  const items = placeInNamespace(manifests, context.namespace, options.namespaceGiven === true).map((object) => ({
    apiVersion: object['apiVersion'],
    kind: object['kind'],
    metadata: object['metadata'],
  }));
  let result: DeleteResult;
  try {
    result = await context.client.post<DeleteResult>('/api/v1/delete', { items });
  } catch (error) {
    throw attributeToSources(error, manifests);
  }
  for (const item of result.items) {
    if (item.action === 'deleted') write(`${resourceName(item.kind, item.name)} deleted\n`);
    else reportMissing(item.kind, item.name, item.namespace, options);
  }
}

export async function runDelete(type: string | undefined, names: string[], options: DeleteOptions): Promise<void> {
  const files = options.filename ?? [];
  if (files.length > 0) {
    if (type !== undefined) throw new CliError('give either -f <file> or <type> <name>, not both');
    await deleteFromFiles(files, options);
    return;
  }
  if (type === undefined || names.length === 0) {
    throw new CliError('say what to delete: -f <file>, or <type> <name>', { exitCode: 2, hint: 'flotilla delete deployment web' });
  }
  const context = commandContext(options);
  const kind = kindOfArgument(type);
  for (const name of names) {
    try {
      await context.client.delete(apiPath(kind, context.namespace, name));
      write(`${resourceName(kind, name)} deleted\n`);
    } catch (error) {
      if (!hasCode(error, 'NotFound')) throw error;
      if (options.ignoreNotFound !== true) {
        writeError(formatError(error));
        process.exitCode = 1;
      }
    }
  }
}
