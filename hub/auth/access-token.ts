/**
 * API bearer tokens, each named for who holds it and carrying a role. The same token is a
 * watcher's MQTT password (user name: the token's name), so one credential opens the CLI and
 * the read-only fleet topics.
 *
 *   flotilla-access.<name>.<base64url secret>
 */
import { FlotillaError } from '../../shared/errors.js';
import { ROLES, type AccessToken, type Role } from '../../shared/objects.js';
import { deviceNameProblem } from '../../shared/topics.js';
import { matchesHash, newSecret, SECRET_BYTES, secretHash } from './secret-hash.js';

export const ACCESS_TOKEN_PREFIX = 'flotilla-access';

/** Who made a request, as an access token says. */
export interface Caller {
  name: string;
  role: Role;
}

export interface NewAccessToken {
  /** The bearer token, shown once. */
  text: string;
  object: AccessToken;
}

/** Whether `role` may do what `needed` allows: admin ⊃ operator ⊃ viewer. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function createAccessToken(options: { name: string; role: Role; ttlMs?: number; now?: number }): NewAccessToken {
  const details = [];
  const problem = deviceNameProblem(options.name);
  if (problem !== undefined) details.push({ field: 'name', message: problem });
  if (!isRole(options.role)) details.push({ field: 'role', message: `must be one of ${ROLES.join(', ')}` });
  if (options.ttlMs !== undefined && !(options.ttlMs > 0)) details.push({ field: 'ttlSeconds', message: 'must be more than zero' });
  if (details.length > 0) {
    throw new FlotillaError('Invalid', `the access token is invalid: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, { details });
  }
  const secret = newSecret();
  const spec: AccessToken['spec'] = { role: options.role, secretHash: secretHash(secret) };
  if (options.ttlMs !== undefined) spec.expiresAt = new Date((options.now ?? Date.now()) + options.ttlMs).toISOString();
  return {
    text: `${ACCESS_TOKEN_PREFIX}.${options.name}.${secret.toString('base64url')}`,
    object: { apiVersion: 'flotilla.io/v1', kind: 'AccessToken', metadata: { name: options.name }, spec },
  };
}

/** The name and secret of a bearer token, or undefined for text that is not one. */
export function parseAccessToken(text: string): { name: string; secret: Buffer } | undefined {
  const parts = text.trim().split('.');
  if (parts.length !== 3 || parts[0] !== ACCESS_TOKEN_PREFIX) return undefined;
  const [, name = '', encoded = ''] = parts;
  const secret = Buffer.from(encoded, 'base64url');
  if (deviceNameProblem(name) !== undefined || secret.length !== SECRET_BYTES) return undefined;
  return { name, secret };
}

/** The caller a token proves, or an Unauthorized error that says what to do. */
export function verifyAccessToken(text: string, lookup: AccessToken | undefined, now: number = Date.now()): Caller {
  const hint = 'use a token from `flotilla access grant`, or the admin token in the hub data directory\'s admin.yaml';
  const parsed = parseAccessToken(text);
  if (parsed === undefined) throw new FlotillaError('Unauthorized', 'the bearer token is not a Flotilla access token', { hint });
  if (lookup === undefined || lookup.metadata.name !== parsed.name || !matchesHash(lookup.spec.secretHash, parsed.secret)) {
    throw new FlotillaError('Unauthorized', `access token ${parsed.name} is not valid on this hub (revoked or never issued here)`, { hint });
  }
  if (lookup.spec.expiresAt !== undefined && now >= Date.parse(lookup.spec.expiresAt)) {
    throw new FlotillaError('Unauthorized', `access token ${parsed.name} expired at ${lookup.spec.expiresAt}`, { hint });
  }
  return { name: parsed.name, role: lookup.spec.role };
}
