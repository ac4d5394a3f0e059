/**
 * Store backends by name. LevelDB is built in and the default; a backend for an external
 * engine (etcd) registers here and must pass test/hub/store/store-contract.ts.
 */
import { FlotillaError } from '../../shared/errors.js';
import { createLevelStore } from './level-store.js';
import type { LevelStoreOptions } from './level-store.js';
import type { Store, StoreFactory } from './store.js';

export type { ListOptions, ListResult, ObjectOf, Store, StoreFactory, Unsubscribe, WatchEvent, WatchEventType, WatchOptions } from './store.js';
export { createLevelStore } from './level-store.js';
export type { LevelStoreOptions, WatcherErrorReporter } from './level-store.js';
export { SECRETS_KEY_FILE } from './secret-box.js';

const builtInBackends = {
  level: createLevelStore,
} satisfies Record<string, StoreFactory>;

export const DEFAULT_STORE_BACKEND = 'level' satisfies keyof typeof builtInBackends;

const backends = new Map<string, StoreFactory>(Object.entries(builtInBackends));

/**
 * Options every backend receives. Beyond `dataDir` they are hints a backend may ignore;
 * the LevelDB backend reads all of them. Every backend must keep Secrets encrypted at rest,
 * with the key in `secretsKeyFile` (default `<dataDir>/secrets.key`).
 */
export type OpenStoreOptions = LevelStoreOptions;

/** Adds a backend; a name can be registered once, so two cannot silently replace each other. */
export function registerStoreBackend(name: string, factory: StoreFactory): void {
  if (backends.has(name)) {
    throw new FlotillaError('AlreadyExists', `a store backend named "${name}" is already registered`);
  }
  backends.set(name, factory);
}

export function storeBackendNames(): string[] {
  return [...backends.keys()].sort();
}

/** Opens the named backend (the default when `name` is undefined) on `options.dataDir`. */
export async function openStore(name: string | undefined, options: OpenStoreOptions): Promise<Store> {
  const backend = name ?? DEFAULT_STORE_BACKEND;
  const factory = backends.get(backend);
  if (factory === undefined) {
    throw new FlotillaError('Invalid', `unknown store backend "${backend}"`, {
      details: [{ field: 'store', message: `must be one of: ${storeBackendNames().join(', ')}` }],
      hint: `choose one of: ${storeBackendNames().join(', ')}`,
    });
  }
  return factory(options);
}
