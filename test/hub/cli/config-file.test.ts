import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openAuthority } from '../../../hub/auth/authority.js';
import {
  configPath,
  hubContext,
  parseCliConfig,
  readCliConfig,
  resolveConnection,
  writeCliConfig,
} from '../../../hub/cli/config-file.js';
import type { CliConfig } from '../../../hub/cli/config-file.js';

async function scratch(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

let caPem: string | undefined;
async function aCaPem(): Promise<string> {
  if (caPem === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-ca-'));
    caPem = (await openAuthority(dir)).certificatePem;
    await rm(dir, { recursive: true, force: true });
  }
  return caPem;
}

function twoContexts(pem: string): CliConfig {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Config',
    'current-context': 'plant',
    contexts: [
      { name: 'plant', server: 'https://plant.example:7080', 'certificate-authority-data': Buffer.from(pem).toString('base64'), token: 'flotilla-access.alice.s1' },
      { name: 'lab', server: 'https://lab.example:7080/', token: 'flotilla-access.bob.s2' },
    ],
  };
}

t.test('the config file is FLOTILLA_CONFIG, else config.yaml under ~/.config/flotilla', (t) => {
  t.equal(configPath({ FLOTILLA_CONFIG: '/etc/flotilla.yaml', HOME: '/home/a' }), '/etc/flotilla.yaml');
  t.equal(configPath({ HOME: '/home/a' }), join('/home/a', '.config', 'flotilla', 'config.yaml'));
  t.equal(configPath({ FLOTILLA_CONFIG: '', HOME: '/home/a' }), join('/home/a', '.config', 'flotilla', 'config.yaml'), 'an empty variable counts as unset');
  t.end();
});

t.test('a written config reads back the same, owner-only, in a directory made for it, with no temporary file left', async (t) => {
  const dir = await scratch(t);
  const file = join(dir, 'nested', 'deeper', 'config.yaml');
  const config = twoContexts(await aCaPem());
  writeCliConfig(file, config);
  t.same(readCliConfig(file), config);
  t.equal((await stat(file)).mode & 0o777, 0o600);
  t.same(await readdir(join(dir, 'nested', 'deeper')), ['config.yaml']);
  writeCliConfig(file, { ...config, contexts: [] });
  t.same(readCliConfig(file).contexts, [], 'a second write replaces the file');
});

t.test("the hub's admin config has one current context with the CA embedded, in the documented key order", async (t) => {
  const dir = await scratch(t);
  const pem = await aCaPem();
  const file = join(dir, 'admin.yaml');
  writeCliConfig(file, hubContext({ name: 'hub-1', server: 'https://10.0.0.5:7080', caPem: pem, token: 'flotilla-access.admin.xyz' }));
  t.match(
    await readFile(file, 'utf8'),
    /^apiVersion: flotilla\.io\/v1\nkind: Config\ncurrent-context: hub-1\ncontexts:\n {2}- name: hub-1\n {4}server: https:\/\/10\.0\.0\.5:7080\n {4}certificate-authority-data: \S+\n {4}token: flotilla-access\.admin\.xyz\n$/,
  );
  t.match(resolveConnection({}, { FLOTILLA_CONFIG: file }), { server: 'https://10.0.0.5:7080', token: 'flotilla-access.admin.xyz', caPem: pem, context: 'hub-1' });
});

t.test('a missing config file is an empty config, and the default is https://localhost:7080', async (t) => {
  const dir = await scratch(t);
  const env = { FLOTILLA_CONFIG: join(dir, 'none.yaml') };
  t.same(readCliConfig(env.FLOTILLA_CONFIG).contexts, []);
  const connection = resolveConnection({}, env);
  t.equal(connection.server, 'https://localhost:7080');
  t.equal(connection.from, 'default');
  t.equal(connection.token, undefined);
  t.equal(connection.caPem, undefined);
});

t.test('flags beat environment variables beat the current context', async (t) => {
  const dir = await scratch(t);
  const file = join(dir, 'config.yaml');
  const pem = await aCaPem();
  writeCliConfig(file, twoContexts(pem));

  const fromContext = resolveConnection({}, { FLOTILLA_CONFIG: file });
  t.match(fromContext, { server: 'https://plant.example:7080', token: 'flotilla-access.alice.s1', caPem: pem, context: 'plant' });
  t.match(fromContext.from, /context "plant" in .*config\.yaml/);

  const env = { FLOTILLA_CONFIG: file, FLOTILLA_SERVER: 'https://env.example:7080', FLOTILLA_TOKEN: 'env-token', FLOTILLA_CONTEXT: 'lab' };
  const fromEnv = resolveConnection({}, env);
  t.match(fromEnv, { server: 'https://env.example:7080', token: 'env-token', context: 'lab', from: 'FLOTILLA_SERVER' });
  t.equal(fromEnv.caPem, undefined, 'the lab context has no CA');

  const fromFlags = resolveConnection({ server: 'https://flag.example:7080/', token: 'flag-token', context: 'plant' }, env);
  t.match(fromFlags, { server: 'https://flag.example:7080', token: 'flag-token', context: 'plant', from: '--server', caPem: pem });

  const otherFile = join(dir, 'other.yaml');
  writeCliConfig(otherFile, { apiVersion: 'flotilla.io/v1', kind: 'Config', 'current-context': 'x', contexts: [{ name: 'x', server: 'https://x.example:7080' }] });
  t.equal(resolveConnection({ config: otherFile }, { FLOTILLA_CONFIG: file }).server, 'https://x.example:7080', '--config beats FLOTILLA_CONFIG');
  t.equal(resolveConnection({}, { FLOTILLA_CONFIG: file, FLOTILLA_CONTEXT: 'lab' }).server, 'https://lab.example:7080', 'a trailing slash is dropped');
});

t.test('an unknown context names itself, where it came from, the file and the known ones', async (t) => {
  const dir = await scratch(t);
  const file = join(dir, 'config.yaml');
  writeCliConfig(file, twoContexts(await aCaPem()));
  t.throws(() => resolveConnection({ context: 'nope' }, { FLOTILLA_CONFIG: file }), {
    message: `context "nope" (from --context) is not in the config file ${file}`,
    hint: 'known contexts: plant, lab',
  });
  t.throws(() => resolveConnection({}, { FLOTILLA_CONFIG: file, FLOTILLA_CONTEXT: 'gone' }), { message: /"gone" \(from FLOTILLA_CONTEXT\)/ });
  writeCliConfig(file, { ...twoContexts(await aCaPem()), 'current-context': 'old' });
  t.throws(() => resolveConnection({}, { FLOTILLA_CONFIG: file }), { message: /"old" \(from current-context\)/ });
});

t.test('a --config file that does not exist is a usage error; an invalid server names where it came from', async (t) => {
  const dir = await scratch(t);
  t.throws(() => resolveConnection({ config: join(dir, 'missing.yaml') }, {}), { message: /--config ".*missing\.yaml": no such file/, exitCode: 2 });
  const env = { FLOTILLA_CONFIG: join(dir, 'none.yaml') };
  t.throws(() => resolveConnection({ server: 'mqtt://hub:1883' }, env), { message: /^invalid --server: "mqtt:\/\/hub:1883": the hub's API is https:\/\//, exitCode: 2 });
  t.throws(() => resolveConnection({}, { ...env, FLOTILLA_SERVER: 'hub' }), { message: /^invalid FLOTILLA_SERVER: "hub" is not a URL/ });
});

t.test('a broken file is refused naming the file and the field', async (t) => {
  const refuse = (text: string, pattern: RegExp) => t.throws(() => parseCliConfig(text, '/x/config.yaml'), { message: pattern });
  refuse('apiVersion: flotilla.io/v1\nkind: Config\ncontexts: [\n', /^the config file \/x\/config\.yaml is broken: line \d+, column \d+: YAML syntax error/);
  refuse('apiVersion: v1\nkind: Config\n', /is broken: apiVersion: must be flotilla\.io\/v1, got "v1"/);
  refuse('apiVersion: flotilla.io/v1\nkind: Config\ncontexts: {a: 1}\n', /is broken: contexts: must be a list/);
  refuse('apiVersion: flotilla.io/v1\nkind: Config\ncontexts:\n  - name: a\n', /is broken: contexts\[0\]\.server: must be the hub's URL/);
  refuse('apiVersion: flotilla.io/v1\nkind: Config\ncontexts:\n  - name: a\n    server: ftp://a\n', /contexts\[0\]\.server: "ftp:\/\/a": the hub's API is https/);
  refuse('apiVersion: flotilla.io/v1\nkind: Config\ncontexts:\n  - name: a\n    server: https://a\n    tokn: x\n', /contexts\[0\]\.tokn: is not a known field/);
  refuse(
    'apiVersion: flotilla.io/v1\nkind: Config\ncontexts:\n  - {name: a, server: "https://a"}\n  - {name: a, server: "https://b"}\n',
    /contexts\[1\]\.name: context "a" is defined twice/,
  );
  t.same(parseCliConfig('', '/x/config.yaml').contexts, [], 'an empty file is an empty config');
  t.end();
});

t.test('a CA file is read relative to the config file; one that cannot be read names it, the context and the config', async (t) => {
  const dir = await scratch(t);
  const pem = await aCaPem();
  await mkdir(join(dir, 'certs'));
  await writeFile(join(dir, 'certs', 'hub-ca.pem'), pem);
  const file = join(dir, 'config.yaml');
  writeCliConfig(file, {
    apiVersion: 'flotilla.io/v1',
    kind: 'Config',
    'current-context': 'a',
    contexts: [
      { name: 'a', server: 'https://a:7080', 'certificate-authority': 'certs/hub-ca.pem' },
      { name: 'b', server: 'https://b:7080', 'certificate-authority': 'certs/missing.pem' },
      { name: 'c', server: 'https://c:7080', 'certificate-authority-data': Buffer.from('not a certificate').toString('base64') },
    ],
  });
  const a = resolveConnection({}, { FLOTILLA_CONFIG: file });
  t.equal(a.caPem, pem);
  t.match(a.caFrom, /certs\/hub-ca\.pem \(certificate-authority of context "a" in .*config\.yaml\)/);
  t.throws(() => resolveConnection({ context: 'b' }, { FLOTILLA_CONFIG: file }), {
    message: new RegExp(`^cannot read the CA file ${join(dir, 'certs', 'missing.pem')} \\(certificate-authority of context "b" in ${file}\\): no such file$`),
  });
  t.throws(() => resolveConnection({ context: 'c' }, { FLOTILLA_CONFIG: file }), {
    message: /config\.yaml is broken: context "c": certificate-authority-data: is not a PEM certificate/,
  });
});
