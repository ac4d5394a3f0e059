/**
 * GET of lists and single objects. A Secret is never returned with its values: each key of
 * `data` comes with an empty value, so clients see which keys exist and nothing else.
 */
import type { FastifyInstance } from 'fastify';
import { FlotillaError } from '../../../shared/errors.js';
import { KINDS, kindForPlural } from '../../../shared/objects.js';
import type { AnyObject, FlotillaEvent, Kind, Secret } from '../../../shared/objects.js';
import { parseSelector, SelectorSyntaxError } from '../../../shared/selector.js';
import type { Selector } from '../../../shared/selector.js';
import type { ListOptions, Store } from '../../store/store.js';
import { withLiveStatus } from '../device-live.js';
import type { LiveStatusLookup } from '../device-live.js';
import { clusterObjectResource, namespacedResource, objectName, topLevelResource } from '../resources.js';
import type { Resource } from '../resources.js';

export interface ListQuery {
  labelSelector?: string;
  involvedKind?: string;
  involvedName?: string;
  involvedNamespace?: string;
}

export interface ObjectList {
  apiVersion: string;
  kind: string;
  items: AnyObject[];
  resourceVersion: string;
}

function selectorOf(text: string | undefined): Selector | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return parseSelector(text);
  } catch (error) {
    if (!(error instanceof SelectorSyntaxError)) throw error;
    throw new FlotillaError('Invalid', `invalid labelSelector "${text}": ${error.problem}`, {
      details: [{ field: 'labelSelector', message: error.problem }],
      hint: 'selectors look like role=camera,site in (a,b),!decommissioned',
    });
  }
}

/** Events are filtered by the object they are about, for `describe`. */
function aboutInvolvedObject(query: ListQuery): (event: FlotillaEvent) => boolean {
  const kind = query.involvedKind === undefined ? undefined : (kindForPlural(query.involvedKind) ?? query.involvedKind);
  return (event) =>
    (kind === undefined || event.involvedObject.kind === kind) &&
    (query.involvedName === undefined || event.involvedObject.name === query.involvedName) &&
    (query.involvedNamespace === undefined || event.involvedObject.namespace === query.involvedNamespace);
}

/** The object as the API may show it: a Secret without its values, anything else as it is. */
export function withoutSecretValues<T extends AnyObject>(object: T): T {
  if (object.kind !== 'Secret') return object;
  const { stringData: _stringData, data, ...rest } = object as Secret;
  const keys = Object.fromEntries(Object.keys(data ?? {}).map((key) => [key, '']));
  return { ...rest, data: keys } as T;
}

export async function listObjects(store: Store, liveOf: LiveStatusLookup, resource: Resource, query: ListQuery): Promise<ObjectList> {
  const options: ListOptions = {};
  if (resource.namespace !== undefined) options.namespace = resource.namespace;
  const selector = selectorOf(query.labelSelector);
  if (selector !== undefined) options.labelSelector = selector;
  const result = await store.list(resource.kind, options);
  let items: AnyObject[] = result.items;
  if (resource.kind === 'Event') items = (items as FlotillaEvent[]).filter(aboutInvolvedObject(query));
  if (resource.kind === 'Device') items = items.map((item) => withLiveStatus(item, liveOf));
  if (resource.kind === 'Secret') items = items.map(withoutSecretValues);
  return {
    apiVersion: KINDS[resource.kind].apiVersion,
    kind: `${resource.kind}List`,
    items,
    resourceVersion: result.resourceVersion,
  };
}

export async function getObject(store: Store, liveOf: LiveStatusLookup, kind: Kind, namespace: string | undefined, name: string): Promise<AnyObject> {
  const object = await store.get(kind, namespace, name);
  if (object === undefined) {
    throw new FlotillaError('NotFound', `${objectName(kind, namespace, name)} not found`, {
      hint: KINDS[kind].namespaced
        ? `list them with: flotilla get ${KINDS[kind].plural} -n ${namespace ?? 'default'}`
        : `list them with: flotilla get ${KINDS[kind].plural}`,
    });
  }
  return withoutSecretValues(withLiveStatus(object, liveOf));
}

const listQuerySchema = {
  type: 'object',
  properties: {
    labelSelector: { type: 'string' },
    involvedKind: { type: 'string' },
    involvedName: { type: 'string' },
    involvedNamespace: { type: 'string' },
  },
} as const;

export function registerReadRoutes(app: FastifyInstance, store: Store, liveOf: LiveStatusLookup): void {
  app.get<{ Params: { plural: string }; Querystring: ListQuery }>(
    '/api/v1/:plural',
    { schema: { querystring: listQuerySchema } },
    async (request) => listObjects(store, liveOf, topLevelResource(request.params.plural), request.query),
  );

  app.get<{ Params: { namespace: string; plural: string }; Querystring: ListQuery }>(
    '/api/v1/namespaces/:namespace/:plural',
    { schema: { querystring: listQuerySchema } },
    async (request) =>
      listObjects(store, liveOf, namespacedResource(request.params.namespace, request.params.plural), request.query),
  );

  app.get<{ Params: { plural: string; name: string } }>('/api/v1/:plural/:name', async (request) => {
    const { kind } = clusterObjectResource(request.params.plural);
    return getObject(store, liveOf, kind, undefined, request.params.name);
  });

  app.get<{ Params: { namespace: string; plural: string; name: string } }>(
    '/api/v1/namespaces/:namespace/:plural/:name',
    async (request) => {
      const { kind, namespace } = namespacedResource(request.params.namespace, request.params.plural);
      return getObject(store, liveOf, kind, namespace, request.params.name);
    },
  );
}
