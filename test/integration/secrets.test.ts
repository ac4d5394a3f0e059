/**
 * A Secret reaches the container of the pod that uses it, on that pod's device only: another
 * device's retained desired state never holds it, the API and CLI never show it, and the
 * hub's data directory holds it only encrypted.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import t from 'tap';
import type { Test } from 'tap';
import { Topics } from '../../shared/topics.js';
import { cli, getJson, startAgent, startHub, tempDir, waitFor } from '../helpers/fleet.js';
import type { HubProcess } from '../helpers/fleet.js';
import { podmanInspect, TEST_IMAGE } from '../helpers/podman.js';

const run = promisify(execFile);

function distinct(prefix: string): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

function secretManifest(name: string, values: Record<string, string>): string {
  const lines = Object.entries(values).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}\n`);
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
stringData:
${lines.join('')}`;
}

function podManifest(name: string, options: { role: string; label: string; env: { name: string; secret: string; key: string }[] }): string {
  const env = options.env.map((e) => `        - name: ${e.name}\n          valueFrom: {secretKeyRef: {name: ${e.secret}, key: ${e.key}}}\n`);
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {probe: ${options.label}}
spec:
  deviceSelector: role=${options.role}
  containers:
    - name: main
      image: ${TEST_IMAGE}
      command: ["sleep", "3600"]
${env.length > 0 ? `      env:\n${env.join('')}` : ''}`;
}

async function apply(t: Test, hub: HubProcess, name: string, text: string): Promise<void> {
  const file = join(await tempDir(t, 'manifests'), `${name}.yaml`);
  await writeFile(file, text);
  const result = await cli(hub, ['apply', '-f', file]);
  if (result.code !== 0) throw new Error(`flotilla apply of ${name} failed: ${result.stderr}`);
}

/** The pod once Running, with the ID of its container. */
async function runningContainer(hub: HubProcess, pod: string, differentFrom?: string): Promise<string> {
  return waitFor(`the pod ${pod} Running${differentFrom ? ' in a new container' : ''}`, async () => {
    const found = (await getJson(hub, ['pods'])).items.find((p) => p.metadata.name === pod);
    const id = found?.status?.containerStatuses?.[0]?.containerID as string | undefined;
    return found?.status?.phase === 'Running' && id !== undefined && id !== differentFrom ? id : undefined;
  }, 60_000);
}

/** The retained desired state of each device, as raw bytes, read by a client that is no device. */
async function retainedDesired(hub: HubProcess, devices: string[]): Promise<Map<string, Buffer>> {
  const topics = new Topics();
  const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: distinct('test-observer'), reconnectPeriod: 0 });
  try {
    const received = new Map<string, Buffer>();
    const byTopic = new Map(devices.map((device) => [topics.device(device, 'desired'), device]));
    client.on('message', (topic, payload) => {
      const device = byTopic.get(topic);
      if (device !== undefined) received.set(device, payload);
    });
    await client.subscribeAsync([...byTopic.keys()], { qos: 1 });
    await waitFor('every retained desired state', () => received.size === devices.length);
    return received;
  } finally {
    await client.endAsync();
  }
}

async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const files: { path: string; bytes: Buffer }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.push({ path: join(entry.parentPath, entry.name), bytes: await readFile(join(entry.parentPath, entry.name)) });
  }
  return files;
}

t.test("a Secret reaches its pod's container on its device only, is never shown, and is stored encrypted", async (t) => {
  const hub = await startHub(t);
  const a = await startAgent(t, hub, { labels: 'role=secret-a' });
  const b = await startAgent(t, hub, { labels: 'role=secret-b' });
  await waitFor('both devices Ready', async () => {
    const devices = await getJson(hub, ['devices']);
    return devices.items.filter((d) => [a.name, b.name].includes(d.metadata.name) && d.status?.state === 'Ready').length === 2;
  });

  const password = distinct('pw');
  const label = distinct('label');
  await apply(t, hub, 'db', secretManifest('db', { password }));
  await apply(t, hub, 'app', podManifest('app', { role: 'secret-a', label, env: [{ name: 'DB_PASSWORD', secret: 'db', key: 'password' }] }));
  await apply(t, hub, 'other', podManifest('other', { role: 'secret-b', label: 'other', env: [] }));

  const appContainer = await runningContainer(hub, 'app');
  await runningContainer(hub, 'other');
  const inspected = await podmanInspect(appContainer);
  t.equal(inspected.Config.Labels?.['io.flotilla.device'], a.name, 'the pod runs on device A');
  t.ok(inspected.Config.Env?.includes(`DB_PASSWORD=${password}`), 'the engine has the value');
  const { stdout: env } = await run('podman', ['exec', appContainer, 'env']);
  t.match(env, new RegExp(`^DB_PASSWORD=${password}$`, 'm'), 'the process in the container sees it');

  const desired = await retainedDesired(hub, [a.name, b.name]);
  t.ok(desired.get(a.name)?.includes(Buffer.from(password)), "device A's desired state holds the value (so the search below can fail)");
  t.notOk(desired.get(b.name)?.includes(Buffer.from(password)), "device B's retained desired state does not");
  t.ok(desired.get(b.name)?.includes(Buffer.from('other')), "device B's desired state is there, with its own pod");

  const shown = await cli(hub, ['get', 'secret', 'db', '-o', 'json']);
  t.equal(shown.code, 0, `get secret succeeds ${shown.stderr}`);
  t.same(JSON.parse(shown.stdout).data, { password: '' }, 'the key is listed, its value empty');
  t.notMatch(shown.stdout, password, 'get shows no value');
  t.notMatch(shown.stdout, Buffer.from(password).toString('base64'), 'nor its base64');
  const described = await cli(hub, ['describe', 'secret', 'db']);
  t.equal(described.code, 0, `describe secret succeeds ${described.stderr}`);
  t.match(described.stdout, /Type:\s+Opaque/, 'describe shows the type');
  t.match(described.stdout, /Data \(values are never shown\):\n\s+password\n/, 'and the key');
  t.notMatch(described.stdout, password, 'and no value');

  // A pod whose Secret does not exist yet waits for it, and says why.
  const token = distinct('token');
  await apply(t, hub, 'waiting', podManifest('waiting', { role: 'secret-a', label: 'waiting', env: [{ name: 'TOKEN', secret: 'later', key: 'token' }] }));
  const warning = await waitFor('a Warning about the missing Secret', async () => {
    const text = (await cli(hub, ['describe', 'pod', 'waiting'])).stdout;
    return /SecretMissing/.test(text) ? text : undefined;
  });
  t.match(warning, new RegExp(`Warning\\s+SecretMissing\\s+.*held back from device ${a.name}: Secret default/later not found`), 'describe pod says what it waits for');
  t.notOk((await retainedDesired(hub, [a.name])).get(a.name)?.includes(Buffer.from('waiting')), 'the pod is not sent to its device');
  await apply(t, hub, 'later', secretManifest('later', { token }));
  const waitingContainer = await runningContainer(hub, 'waiting');
  t.ok((await podmanInspect(waitingContainer)).Config.Env?.includes(`TOKEN=${token}`), 'once the Secret exists, the pod runs with its value');

  // A changed value reaches the running pod: its container is replaced with the new environment.
  const rotated = distinct('pw2');
  await apply(t, hub, 'db', secretManifest('db', { password: rotated }));
  const replaced = await runningContainer(hub, 'app', appContainer);
  t.ok((await podmanInspect(replaced)).Config.Env?.includes(`DB_PASSWORD=${rotated}`), 'the new value is in the new container');

  await hub.stop();
  const files = await filesUnder(hub.dataDir);
  const holding = (text: string) => files.filter((file) => file.bytes.includes(Buffer.from(text))).map((file) => file.path);
  t.not(holding(label).length, 0, "the hub's files hold the pod's label in the clear (so the search can fail)");
  for (const value of [password, token, rotated]) {
    t.same(holding(value), [], 'no file holds a value');
    t.same(holding(Buffer.from(value).toString('base64')), [], 'nor its base64');
  }
});
