/**
 * URL segments to kinds: `pods`, `pod` and `po` all name Pod, as with kubectl. Namespaced
 * kinds live under `/api/v1/namespaces/{ns}/`, cluster-scoped ones (Device) directly under
 * `/api/v1/`; listing a namespaced kind at the top level lists every namespace.
 */
import { FlotillaError } from '../../shared/errors.js';
import { KINDS, kindForPlural } from '../../shared/objects.js';
import type { Kind } from '../../shared/objects.js';

export interface Resource {
  kind: Kind;
  /** Undefined for cluster-scoped kinds, and for "all namespaces". */
  namespace: string | undefined;
}

/** The list of resources, for the hint of any "not found" about a path. */
export function resourceHint(): string {
  const names = (Object.keys(KINDS) as Kind[]).map((kind) => KINDS[kind].plural);
  const namespaced = names.filter((plural) => KINDS[kindForPlural(plural) as Kind].namespaced);
  return (
    `resources: GET /api/v1/{${names.join(',')}}, ` +
    `GET /api/v1/namespaces/{namespace}/{${namespaced.join(',')}}[/{name}], ` +
    'GET /api/v1/devices/{name}, POST /api/v1/apply, POST /api/v1/delete, GET /healthz'
  );
}

export function kindOfSegment(segment: string): Kind {
  const kind = kindForPlural(segment);
  if (kind === undefined) {
    const known = (Object.keys(KINDS) as Kind[]).map((k) => KINDS[k].plural).join(', ');
    throw new FlotillaError('NotFound', `the hub has no resource type "${segment}"`, {
      hint: `known resource types: ${known}`,
    });
  }
  return kind;
}

/** `/api/v1/{plural}`: cluster-scoped kinds, or a namespaced kind across all namespaces. */
export function topLevelResource(segment: string): Resource {
  return { kind: kindOfSegment(segment), namespace: undefined };
}

/** `/api/v1/{plural}/{name}`: only cluster-scoped kinds have objects here. */
export function clusterObjectResource(segment: string): Resource {
  const kind = kindOfSegment(segment);
  if (KINDS[kind].namespaced) {
    throw new FlotillaError('NotFound', `${KINDS[kind].plural} are namespaced`, {
      hint: `use /api/v1/namespaces/{namespace}/${KINDS[kind].plural}/{name}`,
    });
  }
  return { kind, namespace: undefined };
}

/** `/api/v1/namespaces/{ns}/{plural}[/{name}]`: only namespaced kinds. */
export function namespacedResource(namespace: string, segment: string): Resource {
  const kind = kindOfSegment(segment);
  if (!KINDS[kind].namespaced) {
    throw new FlotillaError('NotFound', `${KINDS[kind].plural} are not namespaced`, {
      hint: `use /api/v1/${KINDS[kind].plural}`,
    });
  }
  return { kind, namespace };
}

/** How messages name an object: `pod default/web`, `device cam-1`. */
export function objectName(kind: Kind, namespace: string | undefined, name: string): string {
  return KINDS[kind].namespaced ? `${kind.toLowerCase()} ${namespace ?? 'default'}/${name}` : `${kind.toLowerCase()} ${name}`;
}
