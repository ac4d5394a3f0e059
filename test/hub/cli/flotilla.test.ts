/** The `flotilla` command run as people run it, a child process, against a real API and store. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Device, FlotillaEvent, Pod } from '../../../shared/objects.js';
import { startApiServer } from '../../helpers/api-server.js';
import type { ApiServer } from '../../helpers/api-server.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function flotilla(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub/cli/flotilla.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
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
  return { api, dir, env: { FLOTILLA_SERVER: api.url } };
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
  for (const command of ['get', 'describe', 'apply', 'delete', 'label', 'cordon', 'uncordon', 'hub', 'agent']) {
    const help = await flotilla([command, '--help']);
    t.equal(help.code, 0, command);
    t.match(help.stdout, /Examples:\n {2}flotilla /, command);
  }
});
