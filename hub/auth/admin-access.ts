/**
 * The first way in: on start, the hub makes sure an admin can reach it. `<dataDir>/admin.yaml`
 * is a CLI config (mode 0600) with this hub's address, CA and an admin token, as K3s writes
 * its kubeconfig. Delete the file and restart the hub to replace the admin token.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hasCode } from '../../shared/errors.js';
import { hubContext, writeCliConfig } from '../cli/config-file.js';
import type { Store } from '../store/store.js';
import { createAccessToken } from './access-token.js';

export const ADMIN_CONFIG_FILE = 'admin.yaml';
const ADMIN_TOKEN_NAME = 'admin';

/** Writes `<dataDir>/admin.yaml` unless it is there, with a new admin token; returns its path. */
export async function ensureAdminAccess(options: { store: Store; dataDir: string; apiUrl: string; caPem: string; contextName: string }): Promise<{ path: string; created: boolean }> {
  const path = join(options.dataDir, ADMIN_CONFIG_FILE);
  if (existsSync(path)) return { path, created: false };
  const { text, object } = createAccessToken({ name: ADMIN_TOKEN_NAME, role: 'admin' });
  const stored = await options.store.get('AccessToken', undefined, ADMIN_TOKEN_NAME);
  try {
    if (stored === undefined) await options.store.create(object);
    else await options.store.update({ ...stored, spec: object.spec });
  } catch (error) {
    if (!hasCode(error, 'Conflict') && !hasCode(error, 'AlreadyExists')) throw error;
    return ensureAdminAccess(options);
  }
  writeCliConfig(path, hubContext({ name: options.contextName, server: options.apiUrl, caPem: options.caPem, token: text }));
  return { path, created: true };
}
