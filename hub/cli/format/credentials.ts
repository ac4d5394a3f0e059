/** Tables of Secrets, join tokens and access tokens: what they are for, never what they hold. */
import type { AccessToken, JoinToken, Secret } from '../../../shared/objects.js';
import { age } from './age.js';
import type { TableOptions } from './pods.js';
import { labelText, renderTable } from './table.js';

export function secretTable(secrets: readonly Secret[], options: TableOptions): string {
  const headers = ['NAME', 'TYPE', 'DATA', 'AGE'];
  if (options.allNamespaces) headers.unshift('NAMESPACE');
  const rows = secrets.map((secret) => {
    const row = [secret.metadata.name, secret.type ?? 'Opaque', String(Object.keys(secret.data ?? {}).length), age(secret.metadata.creationTimestamp, options.now)];
    if (options.allNamespaces) row.unshift(secret.metadata.namespace ?? '');
    return row;
  });
  return renderTable(headers, rows);
}

export function joinTokenTable(tokens: readonly JoinToken[], options: TableOptions): string {
  const headers = ['ID', 'STATE', 'USES', 'EXPIRES', 'LABELS', 'AGE'];
  const rows = tokens.map((token) => {
    const used = token.status?.used ?? 0;
    return [
      token.metadata.name,
      joinTokenState(token, options.now),
      token.spec.uses === undefined ? `${used}/unlimited` : `${used}/${token.spec.uses}`,
      token.spec.expiresAt ?? 'never',
      labelText(token.spec.labels),
      age(token.metadata.creationTimestamp, options.now),
    ];
  });
  return renderTable(headers, rows);
}

/** Usable, Revoked, Expired or UsedUp, in the order the hub checks them. */
export function joinTokenState(token: JoinToken, now: number): string {
  if (token.spec.revoked === true) return 'Revoked';
  if (token.spec.expiresAt !== undefined && now >= Date.parse(token.spec.expiresAt)) return 'Expired';
  if (token.spec.uses !== undefined && (token.status?.used ?? 0) >= token.spec.uses) return 'UsedUp';
  return 'Usable';
}

export function accessTokenTable(tokens: readonly AccessToken[], options: TableOptions): string {
  const headers = ['NAME', 'ROLE', 'EXPIRES', 'AGE'];
  const rows = tokens.map((token) => [token.metadata.name, token.spec.role, token.spec.expiresAt ?? 'never', age(token.metadata.creationTimestamp, options.now)]);
  return renderTable(headers, rows);
}
