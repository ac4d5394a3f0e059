/**
 * The API as a user with the hub's admin.yaml reaches it: over HTTPS trusting the hub's CA
 * only, with a bearer token. Tests read a hub's admin config with `adminAccess` and call
 * `call` with it, or with another token to see what that token may do.
 */
import { httpRequest } from '../../shared/http-client.js';
import { findContext, readCliConfig } from '../../hub/cli/config-file.js';

export interface HubAccess {
  server: string;
  caPem: string;
  token: string;
}

export function adminAccess(adminConfigPath: string): HubAccess {
  const config = readCliConfig(adminConfigPath);
  const context = findContext(config, config['current-context'] ?? '');
  const data = context?.['certificate-authority-data'];
  if (context?.token === undefined || data === undefined) throw new Error(`${adminConfigPath} has no current context with a token and a CA`);
  return { server: context.server, caPem: Buffer.from(data, 'base64').toString('utf8'), token: context.token };
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/** `method path` with `body` as JSON; `token` null sends none. */
// The JSON is typed loosely by default: tests reach into it field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(access: HubAccess, method: string, path: string, body?: unknown, token: string | null = access.token): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await httpRequest({
    url: `${access.server}${path}`,
    method,
    headers,
    ca: access.caPem,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = response.body.toString('utf8');
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}
