import t from 'tap';
import { DEFAULT_STORE_BACKEND, openStore, registerStoreBackend, storeBackendNames } from '../../../hub/store/index.js';
import type { Store } from '../../../hub/store/store.js';
import { pod } from './store-contract.js';

t.test('opens the LevelDB backend when no backend is named', async (t) => {
  t.equal(DEFAULT_STORE_BACKEND, 'level');
  const dataDir = t.testdir();
  const store = await openStore(undefined, { dataDir });
  await store.create(pod('web'));
  await store.close();
  const reopened = await openStore('level', { dataDir });
  t.teardown(() => reopened.close());
  t.ok(await reopened.get('Pod', 'default', 'web'), 'the data went to the directory given');
});

t.test('refuses an unknown backend, listing the ones it knows', async (t) => {
  await t.rejects(openStore('etcd-typo', { dataDir: t.testdir() }), {
    code: 'Invalid',
    message: 'unknown store backend "etcd-typo"',
    hint: /choose one of: .*level/,
  });
});

t.test('opens a registered backend by its name, with the options given', async (t) => {
  const seen: string[] = [];
  registerStoreBackend('recording', async ({ dataDir }) => {
    seen.push(dataDir);
    return {} as Store;
  });
  t.ok(storeBackendNames().includes('recording'));
  await openStore('recording', { dataDir: 'somewhere' });
  t.same(seen, ['somewhere']);
});

t.test('refuses to register a second backend under a name already taken', async (t) => {
  t.throws(() => registerStoreBackend('level', async () => ({}) as Store), {
    code: 'AlreadyExists',
    message: /"level" is already registered/,
  });
});
