/** The `flotilla` command run as people run it, a child process, against a real API and store. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { runCli, type CliRun } from '../../helpers/run-cli.js';
import { buildApi } from '../../../hub/api/server.js';
import { parseAccessToken, verifyAccessToken } from '../../../hub/auth/access-token.js';
import { ensureAdminAccess } from '../../../hub/auth/admin-access.js';
import { openAuthority } from '../../../hub/auth/authority.js';
import { openStore } from '../../../hub/store/index.js';
import type { Store } from '../../../hub/store/store.js';
import type { Device, FlotillaEvent, JoinToken, Pod } from '../../../shared/objects.js';
import { startApiServer } from '../../helpers/api-server.js';
import type { ApiServer } from '../../helpers/api-server.js';

function flotilla(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  return runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) });
}

const TWO_DOCUMENTS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: localhost/busybox:test
          args: [httpd, -f, -p, "8080"]
---
apiVersion: v1
kind: Pod
metadata:
  name: solo
spec:
  containers:
    - name: main
      image: localhost/busybox:test
      command: [sleep, "300"]
`;

const INVALID = `apiVersion: v1
kind: Pod
metadata:
  name: fine
spec:
  containers:
    - name: main
      image: localhost/busybox:test
---
apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  containers:
    - name: main
      image: localhost/busybox:test
      ports:
        - containerPort: 99999
`;

async function setup(t: { teardown(fn: () => unknown): void }): Promise<{ api: ApiServer; dir: string; env: Record<string, string> }> {
  const api = await startApiServer();
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-'));
  t.teardown(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { api, dir, env: { FLOTILLA_SERVER: api.url, FLOTILLA_TOKEN: api.adminToken } };
}

t.test('apply of a file with two documents creates both, and get -o json lists the pod', async (t) => {
  const { api, dir, env } = await setup(t);
  const file = join(dir, 'web.yaml');
  await writeFile(file, TWO_DOCUMENTS);

  const applied = await flotilla(['apply', '-f', file], env);
  t.equal(applied.code, 0, applied.stderr);
  t.equal(applied.stdout, 'deployment.apps/web created\npod/solo created\n');

  const again = await flotilla(['apply', '-f', file], env);
  t.equal(again.stdout, 'deployment.apps/web unchanged\npod/solo unchanged\n');

  const listed = await flotilla(['get', 'pods', '-o', 'json'], env);
  t.equal(listed.code, 0, listed.stderr);
  const list = JSON.parse(listed.stdout) as { kind: string; items: Pod[] };
  t.equal(list.kind, 'List');
  t.same(list.items.map((pod) => pod.metadata.name), ['solo']);
  t.equal(list.items[0]?.spec.containers[0]?.image, 'localhost/busybox:test');
  t.ok(await api.store.get('Deployment', 'default', 'web'));
});

t.test('apply reads manifests from stdin', async (t) => {
  const { env } = await setup(t);
  const applied = await flotilla(['apply', '-f', '-', '-n', 'plant-3'], env, TWO_DOCUMENTS);
  t.equal(applied.code, 0, applied.stderr);
  const listed = await flotilla(['get', 'pods', '-n', 'plant-3', '-o', 'name'], env);
  t.equal(listed.stdout, 'pod/solo\n');
});

t.test('an invalid file prints the field path, exits 1 and stores nothing', async (t) => {
  const { api, dir, env } = await setup(t);
  const file = join(dir, 'bad.yaml');
  await writeFile(file, INVALID);
  const result = await flotilla(['apply', '-f', file], env);
  t.equal(result.code, 1);
  t.equal(result.stdout, '');
  t.match(result.stderr, /^error: .*bad\.yaml \(document 2: Pod broken\) is invalid; nothing was applied$/m);
  t.match(result.stderr, /^ {2}spec\.containers\[0\]\.ports\[0\]\.containerPort: /m);
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
  t.same((await api.store.list('Pod')).items, []);
});

t.test('a YAML syntax error names the file, line and column and exits 1', async (t) => {
  const { dir, env } = await setup(t);
  const file = join(dir, 'syntax.yaml');
  await writeFile(file, 'kind: Pod\nmetadata:\n  name: [a,\n  b: c\n');
  const result = await flotilla(['apply', '-f', file], env);
  t.equal(result.code, 1);
  t.match(result.stderr, new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: YAML syntax error`));
});

t.test('an unreachable hub is one line on stderr, exit code 1', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const result = await flotilla(['get', 'devices'], { FLOTILLA_SERVER: `http://127.0.0.1:${port}` });
  t.equal(result.code, 1);
  t.equal(
    result.stderr,
    `error: cannot reach the hub at http://127.0.0.1:${port} (connection refused): start one with 'flotilla hub', or point elsewhere with --server or FLOTILLA_SERVER\n`,
  );
});

t.test('get devices prints a table, label changes labels, cordon marks the device', async (t) => {
  const { api, env } = await setup(t);
  await api.store.create<Device>({
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name: 'cam-1', labels: { role: 'camera' } },
    status: { state: 'Ready', lastSeen: new Date().toISOString() },
  });
  api.usage.set('cam-1', { cpuPercent: 7, memoryUsedBytes: 100 * 1024 * 1024, memoryTotalBytes: 1024 ** 3 });

  const labeled = await flotilla(['label', 'device', 'cam-1', 'site=plant-3', 'role-'], env);
  t.equal(labeled.stdout, 'device/cam-1 labeled\n', labeled.stderr);
  const cordoned = await flotilla(['cordon', 'device', 'cam-1'], env);
  t.equal(cordoned.stdout, 'device/cam-1 cordoned\n', cordoned.stderr);

  const table = await flotilla(['get', 'devices'], env);
  const [header, row] = table.stdout.split('\n');
  t.same(header?.split(/ {3,}/), ['NAME', 'STATE', 'LABELS', 'ARCH', 'CPU', 'MEMORY', 'PODS', 'LAST-SEEN', 'AGE']);
  t.match(row ?? '', /^cam-1 +Ready,SchedulingDisabled +site=plant-3 +<none> +7% +100Mi\/1Gi +0 /);
});

t.test('label without --overwrite refuses to change a value and says how', async (t) => {
  const { api, env } = await setup(t);
  await api.store.create<Device>({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1', labels: { role: 'camera' } } });
  const refused = await flotilla(['label', 'device', 'cam-1', 'role=gateway'], env);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /--overwrite/);
  const forced = await flotilla(['label', 'device', 'cam-1', 'role=gateway', '--overwrite'], env);
  t.equal(forced.code, 0, forced.stderr);
  t.same((await api.store.get('Device', undefined, 'cam-1'))?.metadata.labels, { role: 'gateway' });
});

t.test('describe pod shows its containers and its events', async (t) => {
  const { api, dir, env } = await setup(t);
  const file = join(dir, 'web.yaml');
  await writeFile(file, TWO_DOCUMENTS);
  await flotilla(['apply', '-f', file], env);
  const now = new Date().toISOString();
  await api.store.create<FlotillaEvent>({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'solo.1', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'solo', namespace: 'default' },
    type: 'Warning',
    reason: 'FailedScheduling',
    message: '0/0 devices are available',
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: 'scheduler',
  });
  const described = await flotilla(['describe', 'pod', 'solo'], env);
  t.equal(described.code, 0, described.stderr);
  t.match(described.stdout, /^Name: +solo$/m);
  t.match(described.stdout, /^ {4}Image: +localhost\/busybox:test$/m);
  t.match(described.stdout, /^ {2}Warning +FailedScheduling +\d+s +scheduler +0\/0 devices are available$/m);
});

t.test('delete -f deletes what the file describes and reports what was not there', async (t) => {
  const { api, dir, env } = await setup(t);
  const file = join(dir, 'web.yaml');
  await writeFile(file, TWO_DOCUMENTS);
  await flotilla(['apply', '-f', file], env);
  const deleted = await flotilla(['delete', '-f', file], env);
  t.equal(deleted.code, 0, deleted.stderr);
  t.equal(deleted.stdout, 'deployment.apps/web deleted\npod/solo deleted\n');
  t.same((await api.store.list('Deployment')).items, []);
  const again = await flotilla(['delete', '-f', file], env);
  t.equal(again.code, 1);
  t.match(again.stderr, /deployment\.apps\/web not found/);
  const ignored = await flotilla(['delete', '-f', file, '--ignore-not-found'], env);
  t.equal(ignored.code, 0);
});

t.test('an empty list says no resources were found, on stderr', async (t) => {
  const { env } = await setup(t);
  const result = await flotilla(['get', 'pods'], env);
  t.equal(result.code, 0);
  t.equal(result.stdout, '');
  t.equal(result.stderr, 'No resources found in default namespace.\n');
});

t.test('a malformed selector is reported naming labelSelector', async (t) => {
  const { env } = await setup(t);
  const result = await flotilla(['get', 'devices', '-l', 'site in (a,b'], env);
  t.equal(result.code, 1);
  t.match(result.stderr, /^error: invalid labelSelector "site in \(a,b"/);
});

t.test('invalid flag values of hub and agent are one line and exit code 2', async (t) => {
  const port = await flotilla(['hub', '--port', 'web']);
  t.equal(port.code, 2);
  t.equal(port.stderr, 'error: invalid --port "web": must be a port number from 1 to 65535\n');
  const name = await flotilla(['agent', '--name', 'Camera_1']);
  t.equal(name.code, 2);
  t.match(name.stderr, /^error: invalid --name "Camera_1": a device name must be lower-case[^\n]*\n$/);
  const output = await flotilla(['get', 'pods', '-o', 'table']);
  t.equal(output.code, 2);
});

t.test('every command has help with examples', async (t) => {
  const commands = [
    'get', 'describe', 'apply', 'delete', 'label', 'cordon', 'uncordon', 'hub', 'agent',
    'config', 'config view', 'config get-contexts', 'config current-context', 'config use-context', 'config set-context', 'config delete-context',
    'token', 'token create', 'token list', 'token revoke', 'access', 'access grant', 'access list', 'access revoke', 'device', 'device remove',
  ];
  // A few at a time: each is a Node process of its own.
  for (let start = 0; start < commands.length; start += 3) {
    const batch = commands.slice(start, start + 3);
    const helps = await Promise.all(batch.map((command) => flotilla([...command.split(' '), '--help'])));
    batch.forEach((command, index) => {
      t.equal(helps[index]?.code, 0, command);
      t.match(helps[index]?.stdout ?? '', /Examples:\n {2}(TOKEN=\$\()?flotilla /, command);
    });
  }
});

interface HttpsHub {
  url: string;
  store: Store;
  /** The CLI config the hub writes for its admin. */
  adminConfig: string;
  fingerprint: string;
  dir: string;
}

/** The real API over HTTPS with the hub's CA, bearer tokens, and the admin.yaml a hub writes on start. */
async function startHttpsHub(t: { teardown(fn: () => unknown): void }): Promise<HttpsHub> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-https-'));
  const store = await openStore('level', { dataDir: join(dir, 'store') });
  const authority = await openAuthority(join(dir, 'pki'));
  const app = buildApi({
    store,
    deviceLive: () => undefined,
    logger: pino({ level: 'silent' }),
    access: {
      authenticate: async (text) => verifyAccessToken(text, await store.get('AccessToken', undefined, parseAccessToken(text)?.name ?? '')),
      authority,
      deviceBrokerUrl: (apiHost) => `mqtts://${apiHost}:8883`,
    },
    https: await authority.issueServerCertificate(['127.0.0.1']),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const address = app.server.address() as AddressInfo;
  const url = `https://127.0.0.1:${address.port}`;
  const admin = await ensureAdminAccess({ store, dataDir: dir, apiUrl: url, caPem: authority.certificatePem, contextName: 'test-hub' });
  return { url, store, adminConfig: admin.path, fingerprint: authority.fingerprint, dir };
}

t.test("with the hub's admin.yaml, join tokens are made, listed and revoked; create prints only the token on stdout", async (t) => {
  const hub = await startHttpsHub(t);
  const env = { FLOTILLA_CONFIG: hub.adminConfig };
  const created = await flotilla(['token', 'create', '--labels', 'site=plant-3', '--ttl', '24h', '--uses', '2'], env);
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^flotilla1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
  const id = /^join token ([0-9a-z]+), expires (\S+), 2 uses, labels site=plant-3\n$/.exec(created.stderr)?.[1];
  t.ok(id, `stderr names the token: ${created.stderr}`);
  t.notMatch(created.stderr, /flotilla1\./, 'the token itself is not repeated on stderr');

  const listed = await flotilla(['token', 'list'], env);
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stdout, new RegExp(`^ID +STATE +USES +EXPIRES +LABELS +AGE\n${id} +Usable +0/2 +\\S+ +site=plant-3 +`));
  const yaml = await flotilla(['token', 'list', '-o', 'json'], env);
  t.same((JSON.parse(yaml.stdout) as { items: JoinToken[] }).items.map((item) => item.metadata.name), [id]);

  const revoked = await flotilla(['token', 'revoke', id ?? '', 'nosuchtoken'], env);
  t.equal(revoked.stdout, `jointoken/${id} revoked\n`);
  t.match(revoked.stderr, /join token nosuchtoken not found/);
  t.equal(revoked.code, 1, 'an unknown id fails the command, after the others are done');
  t.match((await flotilla(['token', 'list'], env)).stdout, new RegExp(`${id} +Revoked`));

  const badTtl = await flotilla(['token', 'create', '--ttl', 'tomorrow'], env);
  t.equal(badTtl.code, 2);
  t.match(badTtl.stderr, /^error: invalid --ttl "tomorrow": not a duration\n/);
});

t.test('an access token works with its role only, is listed, and stops working once revoked', async (t) => {
  const hub = await startHttpsHub(t);
  const env = { FLOTILLA_CONFIG: hub.adminConfig };
  const granted = await flotilla(['access', 'grant', 'alice', '--role', 'viewer'], env);
  t.equal(granted.code, 0, granted.stderr);
  const token = granted.stdout.trim();
  t.match(token, /^flotilla-access\.alice\.\S+$/);
  t.match(granted.stderr, /^access token alice, role viewer, expires never; /);

  const read = await flotilla(['get', 'devices', '--token', token], env);
  t.equal(read.code, 0, read.stderr);
  const file = join(hub.dir, 'pod.yaml');
  await writeFile(file, TWO_DOCUMENTS);
  const write = await flotilla(['--token', token, 'apply', '-f', file], env);
  t.equal(write.code, 1);
  t.match(write.stderr, /^error: alice \(viewer\) may not .*: it needs the operator role\n/);

  const listed = await flotilla(['access', 'list'], env);
  t.match(listed.stdout, /^NAME +ROLE +EXPIRES +AGE\n/);
  t.match(listed.stdout, /^alice +viewer +never +/m);
  t.match(listed.stdout, /^admin +admin +never +/m);

  const revoked = await flotilla(['access', 'revoke', 'alice'], env);
  t.equal(revoked.stdout, 'accesstoken/alice revoked\n', revoked.stderr);
  const refused = await flotilla(['get', 'devices'], { ...env, FLOTILLA_TOKEN: token });
  t.equal(refused.code, 1);
  t.match(refused.stderr, /^error: the hub at https:\/\/127\.0\.0\.1:\d+ needs an access token \(the access token was refused: access token alice is not valid on this hub[^\n]*flotilla config set-context test-hub --token <token>[^\n]*\n$/);
});

t.test("a person trusts a hub by its CA's fingerprint in one step, then adds a token", async (t) => {
  const hub = await startHttpsHub(t);
  const admin = await flotilla(['access', 'grant', 'bob', '--role', 'operator'], { FLOTILLA_CONFIG: hub.adminConfig });
  const token = admin.stdout.trim();
  const config = join(hub.dir, 'home', 'config.yaml');
  const env = { FLOTILLA_CONFIG: config };

  const untrusted = await flotilla(['get', 'devices', '--server', hub.url], env);
  t.equal(untrusted.code, 1);
  t.match(untrusted.stderr, /^error: cannot trust the hub at https:\/\/127\.0\.0\.1:\d+: its certificate is not from a known CA and no CA is set for it; [^\n]*--ca-fingerprint[^\n]*\n$/);

  const wrong = await flotilla(['config', 'set-context', 'plant', '--server', hub.url, '--ca-fingerprint', `sha256:${'ab'.repeat(32)}`], env);
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, new RegExp(`has fingerprint ${hub.fingerprint}, not sha256:(ab){32}; nothing was saved`));
  t.notOk(existsSync(config), 'nothing was written');

  const trusted = await flotilla(['config', 'set-context', 'plant', '--server', hub.url, '--ca-fingerprint', hub.fingerprint], env);
  t.equal(trusted.code, 0, trusted.stderr);
  t.equal(trusted.stdout, `Context "plant" created and made current.\nCA ${hub.fingerprint} trusted for ${hub.url}\n`);

  const noToken = await flotilla(['get', 'devices'], env);
  t.equal(noToken.code, 1);
  t.match(noToken.stderr, /needs an access token \(no access token was sent\); save one with 'flotilla config set-context plant --token <token>'/);

  const saved = await flotilla(['config', 'set-context', 'plant', '--token', token], env);
  t.equal(saved.stdout, 'Context "plant" modified.\n', saved.stderr);
  const listed = await flotilla(['get', 'devices'], env);
  t.equal(listed.code, 0, listed.stderr);
  t.equal(listed.stderr, 'No resources found\n');

  const view = await flotilla(['config', 'view'], env);
  t.match(view.stdout, /token: REDACTED/);
  t.notMatch(view.stdout, new RegExp(token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const raw = await flotilla(['config', 'view', '--raw', '-o', 'json'], env);
  t.equal((JSON.parse(raw.stdout) as { contexts: { token: string }[] }).contexts[0]?.token, token);
});

t.test('device remove deletes devices and reports the ones that were not there', async (t) => {
  const hub = await startHttpsHub(t);
  await hub.store.create<Device>({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1' } });
  const removed = await flotilla(['device', 'remove', 'cam-1', 'ghost'], { FLOTILLA_CONFIG: hub.adminConfig });
  t.equal(removed.stdout, 'device/cam-1 removed\n');
  t.match(removed.stderr, /^error: .*ghost.* not found/);
  t.equal(removed.code, 1);
  t.equal(await hub.store.get('Device', undefined, 'cam-1'), undefined);
});

t.test('contexts are listed, switched and deleted; an unknown one is named with the known ones', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-contexts-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const env = { FLOTILLA_CONFIG: join(dir, 'config.yaml') };
  t.equal((await flotilla(['config', 'set-context', 'a', '--server', 'https://a.example:7080', '--token', 'flotilla-access.alice.x'], env)).code, 0);
  const second = await flotilla(['config', 'set-context', 'b', '--server', 'https://b.example:7080'], env);
  t.equal(second.stdout, 'Context "b" created.\n');

  const table = await flotilla(['config', 'get-contexts'], env);
  t.match(table.stdout, /^CURRENT +NAME +SERVER +CA +TOKEN\n\* +a +https:\/\/a\.example:7080 +<none> +alice\n +b +https:\/\/b\.example:7080 +<none> +<none>\n$/);
  t.equal((await flotilla(['config', 'use-context', 'b'], env)).stdout, 'Switched to context "b".\n');
  t.equal((await flotilla(['config', 'current-context'], env)).stdout, 'b\n');
  const unknown = await flotilla(['get', 'pods', '--context', 'c'], env);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /^error: context "c" \(from --context\) is not in the config file .*config\.yaml\nhint: known contexts: a, b\n$/);
  const joinToken = await flotilla(['config', 'set-context', 'a', '--token', 'flotilla1.abc.def'], env);
  t.equal(joinToken.code, 2);
  t.match(joinToken.stderr, /that is a join token/);

  const deleted = await flotilla(['config', 'delete-context', 'b'], env);
  t.match(deleted.stdout, /^deleted context b from .*config\.yaml\nit was the current context/);
  t.equal((await flotilla(['config', 'current-context'], env)).code, 1);
  t.match(await readFile(env.FLOTILLA_CONFIG, 'utf8'), /^apiVersion: flotilla\.io\/v1\nkind: Config\ncontexts:\n {2}- name: a\n/);
});
