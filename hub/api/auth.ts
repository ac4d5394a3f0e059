/**
 * Who may call the API. Every request but a few public ones carries `Authorization: Bearer
 * <access token>`; the role the path and method need is decided here, in one place, and a
 * route that needs more (a delete that names a Device) asks `requireRole` itself.
 *
 * - public: `GET /healthz`, `GET /api/v1/ca`, `POST /api/v1/enroll` (the join token is its
 *   proof), `POST /api/v1/renew` (the device's certificate is)
 * - viewer: reads, except of credentials (join and access tokens)
 * - operator: also apply, delete, label, cordon
 * - admin: also credentials and removing devices, whose certificates stop working with them
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FlotillaError } from '../../shared/errors.js';
import { CREDENTIAL_KINDS, kindForPlural, type Kind, type Role } from '../../shared/objects.js';
import { roleAllows, type Caller } from '../auth/access-token.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; undefined only on public routes. */
    caller?: Caller;
  }
}

/** Turns a bearer token into a caller, or throws Unauthorized. */
export type Authenticate = (bearerToken: string) => Promise<Caller>;

/** Routes with their own proof: a join token (enroll), a device certificate (renew), or none needed. */
const PUBLIC: readonly string[] = ['GET /healthz', 'GET /api/v1/ca', 'POST /api/v1/enroll', 'POST /api/v1/renew'];

/** The role a request needs, from its method and path alone; 'public' for none. */
export function requiredRole(method: string, url: string): Role | 'public' {
  const path = url.split('?')[0] ?? '';
  const verb = method === 'HEAD' ? 'GET' : method;
  if (PUBLIC.includes(`${verb} ${path.replace(/\/+$/, '')}`)) return 'public';
  const segments = path.split('/').filter(Boolean);
  // /api/v1/{plural}/… or /api/v1/namespaces/{ns}/{plural}/…
  const pluralAt = segments[2] === 'namespaces' ? 4 : 2;
  const kind = segments[pluralAt] === undefined ? undefined : kindForPlural(decodeURIComponent(segments[pluralAt] ?? ''));
  if (kind !== undefined && CREDENTIAL_KINDS.includes(kind)) return 'admin';
  if (kind === 'Device' && verb === 'DELETE') return 'admin';
  return verb === 'GET' ? 'viewer' : 'operator';
}

/** Throws Forbidden unless the request's caller has at least `role`. */
export function requireRole(request: FastifyRequest, role: Role, what?: string): void {
  const caller = request.caller;
  if (caller === undefined || !roleAllows(caller.role, role)) {
    throw new FlotillaError('Forbidden', `${caller ? `${caller.name} (${caller.role})` : 'an anonymous caller'} may not ${what ?? `${request.method} ${request.url.split('?')[0]}`}: it needs the ${role} role`, {
      hint: 'ask an administrator for a token with that role: flotilla access grant <name> --role ' + role,
    });
  }
}

/** Kinds a delete or apply names that need admin. */
export function adminOnlyKinds(kinds: Iterable<Kind>): Kind[] {
  return [...new Set(kinds)].filter((kind) => kind === 'Device' || CREDENTIAL_KINDS.includes(kind));
}

export function installAuthentication(app: FastifyInstance, authenticate: Authenticate): void {
  app.addHook('onRequest', async (request) => {
    const needed = requiredRole(request.method, request.url);
    if (needed === 'public') return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new FlotillaError('Unauthorized', 'this hub needs an access token: send Authorization: Bearer <token>', {
        hint: "the CLI sends the token of its context (flotilla config set-context … --token …); an admin's is in the hub data directory's admin.yaml",
      });
    }
    request.caller = await authenticate(match[1]);
    requireRole(request, needed);
  });
}
