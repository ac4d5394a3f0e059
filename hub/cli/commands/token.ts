/**
 * `flotilla token create|list|revoke`: join tokens, what a new device is given to join the
 * fleet. `create` prints the token alone on stdout, so `TOKEN=$(flotilla token create)` works;
 * what it is (id, expiry, uses) goes to stderr for the person watching.
 */
import { parseLabelList } from '../../../shared/labels.js';
import { KINDS } from '../../../shared/objects.js';
import type { AnyObject, JoinToken, Kind, Labels } from '../../../shared/objects.js';
import { commandContext, forEachName, write, writeError } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { resourceName } from '../format/names.js';
import { formatObjects } from '../format/output.js';
import type { OutputFormat } from '../format/output.js';
import { labelText } from '../format/table.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A token's lifetime in whole seconds: `90` (seconds), `90s`, `30m`, `24h`, `7d`, or units
 * together as `1h30m`. Anything else, zero included, is a usage error naming `flag`.
 */
export function parseTtl(text: string, flag = '--ttl'): number {
  const value = text.trim().toLowerCase();
  const refuse = (problem: string): never => {
    throw usageError(`invalid ${flag} "${text}": ${problem}`, 'write it as 30m, 24h, 7d, 1h30m or a number of seconds');
  };
  let seconds: number;
  if (/^\d+$/.test(value)) {
    seconds = Number(value);
  } else if (/^(\d+[smhd])+$/.test(value)) {
    const parts = [...value.matchAll(/(\d+)([smhd])/g)];
    const units = parts.map((part) => part[2] ?? '');
    if (new Set(units).size !== units.length) refuse('a unit appears twice');
    seconds = parts.reduce((sum, part) => sum + Number(part[1]) * (UNIT_SECONDS[part[2] ?? ''] ?? 0), 0);
  } else {
    return refuse('not a duration');
  }
  if (!Number.isSafeInteger(seconds)) return refuse('too long');
  if (seconds <= 0) return refuse('must be longer than zero');
  return seconds;
}

/** `--uses N`: a whole number of at least 1. */
export function parseUses(text: string, flag = '--uses'): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw usageError(`invalid ${flag} "${text}": must be a whole number of at least 1`);
  }
  return value;
}

/** `--labels role=camera,site=a`: labels every device that joins with the token gets. */
export function parseTokenLabels(text: string, flag = '--labels'): Labels {
  try {
    return parseLabelList(text);
  } catch (error) {
    throw usageError(`invalid ${flag} "${text}": ${(error as Error).message}`, 'write them as role=camera,site=plant-3');
  }
}

export interface TokenCreateOptions extends GlobalOptions {
  labels?: string;
  ttl?: string;
  uses?: string;
}

/** The request body of `POST /api/v1/jointokens` for these flags; bad flags fail before any request. */
export function joinTokenRequest(options: TokenCreateOptions): { labels?: Labels; ttlSeconds?: number; uses?: number } {
  const body: { labels?: Labels; ttlSeconds?: number; uses?: number } = {};
  if (options.labels !== undefined) body.labels = parseTokenLabels(options.labels);
  if (options.ttl !== undefined) body.ttlSeconds = parseTtl(options.ttl);
  if (options.uses !== undefined) body.uses = parseUses(options.uses);
  return body;
}

/** What stderr says of a new token: never the secret, which is on stdout only. */
export function describeJoinToken(token: JoinToken): string {
  const uses = token.spec.uses === undefined ? 'unlimited uses' : token.spec.uses === 1 ? '1 use' : `${token.spec.uses} uses`;
  const labels = labelText(token.spec.labels);
  const parts = [`join token ${token.metadata.name}`, `expires ${token.spec.expiresAt ?? 'never'}`, uses];
  if (labels !== '') parts.push(`labels ${labels}`);
  return parts.join(', ');
}

export async function runTokenCreate(options: TokenCreateOptions): Promise<void> {
  const body = joinTokenRequest(options);
  const context = commandContext(options);
  const made = await context.client.post<{ token: string; object: JoinToken }>('/api/v1/jointokens', body);
  write(`${made.token}\n`);
  writeError(`${describeJoinToken(made.object)}\n`);
}

export interface CredentialListOptions extends GlobalOptions {
  output?: Exclude<OutputFormat, 'table'>;
}

/** Lists join or access tokens as `get` lists objects: a table by default, or -o json|yaml|wide|name. */
export async function listCredentials(kind: Extract<Kind, 'JoinToken' | 'AccessToken'>, options: CredentialListOptions): Promise<void> {
  const context = commandContext(options);
  const list = await context.client.get<{ items: AnyObject[]; resourceVersion?: string }>(`/api/v1/${KINDS[kind].plural}`);
  const format = options.output ?? 'table';
  if (list.items.length === 0 && (format === 'table' || format === 'wide' || format === 'name')) {
    writeError(kind === 'JoinToken' ? 'No join tokens found.\n' : 'No access tokens found.\n');
    return;
  }
  const resourceVersion = list.resourceVersion === undefined ? {} : { resourceVersion: list.resourceVersion };
  write(formatObjects(kind, list.items, format, { allNamespaces: false, now: Date.now(), ...resourceVersion }));
}

export async function runTokenList(options: CredentialListOptions): Promise<void> {
  await listCredentials('JoinToken', options);
}

export async function runTokenRevoke(ids: string[], options: GlobalOptions): Promise<void> {
  if (ids.length === 0) throw usageError('name the join tokens to revoke by id', 'list them with: flotilla token list');
  const context = commandContext(options);
  await forEachName(ids, async (id) => {
    await context.client.post(`/api/v1/jointokens/${encodeURIComponent(id)}/revoke`, {});
    write(`${resourceName('JoinToken', id)} revoked\n`);
  });
}
