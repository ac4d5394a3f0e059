/**
 * DELETE of one object by path, and POST /api/v1/delete for `delete -f`: a list of
 * references where a missing object is reported, not an error, so deleting a file twice works.
 */
import type { FastifyInstance } from 'fastify';
import { FlotillaError, hasCode } from '../../../shared/errors.js';
import type { FieldError } from '../../../shared/errors.js';
import { DEFAULT_NAMESPACE, KINDS, isKind } from '../../../shared/objects.js';
import type { AnyObject, Kind } from '../../../shared/objects.js';
import type { Store } from '../../store/store.js';
import { adminOnlyKinds, requireRole } from '../auth.js';
import { withLiveStatus } from '../device-live.js';
import { withoutSecretValues } from './read.js';
import type { LiveStatusLookup } from '../device-live.js';
import { clusterObjectResource, namespacedResource, objectName } from '../resources.js';

export interface ObjectReference {
  kind: Kind;
  namespace: string | undefined;
  name: string;
}

export interface DeleteResultItem {
  kind: Kind;
  namespace?: string;
  name: string;
  action: 'deleted' | 'not found';
}

export async function deleteObject(store: Store, kind: Kind, namespace: string | undefined, name: string): Promise<AnyObject> {
  try {
    return await store.delete(kind, namespace, name);
  } catch (error) {
    if (!hasCode(error, 'NotFound')) throw error;
    throw new FlotillaError('NotFound', `${objectName(kind, namespace, name)} not found`, {
      hint: KINDS[kind].namespaced
        ? `list them with: flotilla get ${KINDS[kind].plural} -n ${namespace ?? DEFAULT_NAMESPACE}`
        : `list them with: flotilla get ${KINDS[kind].plural}`,
    });
  }
}

/** Checks the references of a delete request; throws one Invalid error listing every problem. */
export function parseReferences(items: unknown[]): ObjectReference[] {
  const references: ObjectReference[] = [];
  const details: FieldError[] = [];
  items.forEach((item, index) => {
    const at = `items[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      details.push({ field: at, message: 'must be an object with kind and metadata.name' });
      return;
    }
    const { apiVersion, kind, metadata } = item as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
    if (!isKind(kind)) {
      details.push({ field: `${at}.kind`, message: `must be one of ${Object.keys(KINDS).join(', ')}` });
      return;
    }
    if (apiVersion !== undefined && apiVersion !== KINDS[kind].apiVersion) {
      details.push({ field: `${at}.apiVersion`, message: `must be ${KINDS[kind].apiVersion} for ${kind}` });
    }
    const meta = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as { name?: unknown; namespace?: unknown };
    if (typeof meta.name !== 'string' || meta.name === '') {
      details.push({ field: `${at}.metadata.name`, message: 'is required' });
      return;
    }
    if (meta.namespace !== undefined && typeof meta.namespace !== 'string') {
      details.push({ field: `${at}.metadata.namespace`, message: 'must be a string' });
      return;
    }
    const namespace = KINDS[kind].namespaced ? ((meta.namespace as string | undefined) ?? DEFAULT_NAMESPACE) : undefined;
    references.push({ kind, namespace, name: meta.name });
  });
  if (details.length > 0) {
    throw new FlotillaError('Invalid', `the delete request is invalid; nothing was deleted`, { details });
  }
  return references;
}

export async function deleteReferences(store: Store, references: ObjectReference[]): Promise<DeleteResultItem[]> {
  const results: DeleteResultItem[] = [];
  for (const reference of references) {
    const result: DeleteResultItem = { kind: reference.kind, name: reference.name, action: 'deleted' };
    if (reference.namespace !== undefined) result.namespace = reference.namespace;
    try {
      await store.delete(reference.kind, reference.namespace, reference.name);
    } catch (error) {
      if (!hasCode(error, 'NotFound')) throw error;
      result.action = 'not found';
    }
    results.push(result);
  }
  return results;
}

const deleteBodySchema = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array' } },
} as const;

export function registerDeleteRoutes(app: FastifyInstance, store: Store, liveOf: LiveStatusLookup): void {
  app.delete<{ Params: { plural: string; name: string } }>('/api/v1/:plural/:name', async (request) => {
    const { kind } = clusterObjectResource(request.params.plural);
    return withLiveStatus(await deleteObject(store, kind, undefined, request.params.name), liveOf);
  });

  app.delete<{ Params: { namespace: string; plural: string; name: string } }>(
    '/api/v1/namespaces/:namespace/:plural/:name',
    async (request) => {
      const { kind, namespace } = namespacedResource(request.params.namespace, request.params.plural);
      // What was deleted goes back as a read would show it: a Secret without its values.
      return withoutSecretValues(await deleteObject(store, kind, namespace, request.params.name));
    },
  );

  app.post<{ Body: { items: unknown[] } }>('/api/v1/delete', { schema: { body: deleteBodySchema } }, async (request) => {
    const references = parseReferences(request.body.items);
    const adminOnly = adminOnlyKinds(references.map((reference) => reference.kind));
    if (adminOnly.length > 0) requireRole(request, 'admin', `delete ${adminOnly.map((kind) => KINDS[kind].plural).join(', ')}`);
    return { items: await deleteReferences(store, references) };
  });
}
