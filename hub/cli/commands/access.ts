/**
 * `flotilla access grant|list|revoke`: API access tokens for people and scripts, each named
 * for who holds it and given a role. `grant` prints the token alone on stdout.
 */
import { dnsLabelProblem } from '../../../shared/labels.js';
import { ROLES } from '../../../shared/objects.js';
import type { AccessToken, Role } from '../../../shared/objects.js';
import { commandContext, forEachName, write, writeError } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { resourceName } from '../format/names.js';
import { listCredentials, parseTtl } from './token.js';
import type { CredentialListOptions } from './token.js';

export interface AccessGrantOptions extends GlobalOptions {
  role?: string;
  ttl?: string;
}

/** The request body of `POST /api/v1/accesstokens`; bad arguments fail before any request. */
export function accessTokenRequest(name: string, options: AccessGrantOptions): { name: string; role: Role; ttlSeconds?: number } {
  // The name is part of the token's text (flotilla-access.<name>.<secret>), so no dots.
  const problem = dnsLabelProblem(name);
  if (problem !== undefined) throw usageError(`invalid access token name "${name}": ${problem}`, 'name it for who holds it: ci-deploy, alice');
  const role = options.role;
  if (role === undefined) throw usageError(`say what the token may do with --role ${ROLES.join('|')}`);
  if (!(ROLES as readonly string[]).includes(role)) throw usageError(`invalid --role "${role}": must be one of ${ROLES.join(', ')}`);
  const body: { name: string; role: Role; ttlSeconds?: number } = { name, role: role as Role };
  if (options.ttl !== undefined) body.ttlSeconds = parseTtl(options.ttl);
  return body;
}

export async function runAccessGrant(name: string, options: AccessGrantOptions): Promise<void> {
  const body = accessTokenRequest(name, options);
  const context = commandContext(options);
  const made = await context.client.post<{ token: string; object: AccessToken }>('/api/v1/accesstokens', body);
  write(`${made.token}\n`);
  writeError(
    `access token ${made.object.metadata.name}, role ${made.object.spec.role}, expires ${made.object.spec.expiresAt ?? 'never'}; ` +
      `its holder saves it with: flotilla config set-context <name> --server ${context.client.server} --token <token>\n`,
  );
}

export async function runAccessList(options: CredentialListOptions): Promise<void> {
  await listCredentials('AccessToken', options);
}

export async function runAccessRevoke(names: string[], options: GlobalOptions): Promise<void> {
  if (names.length === 0) throw usageError('name the access tokens to revoke', 'list them with: flotilla access list');
  const context = commandContext(options);
  await forEachName(names, async (name) => {
    await context.client.delete(`/api/v1/accesstokens/${encodeURIComponent(name)}`);
    write(`${resourceName('AccessToken', name)} revoked\n`);
  });
}
