/**
 * Bad input gets a clear error and loses nothing: invalid manifests are refused whole, and
 * malformed, oversized or forged MQTT payloads are dropped without touching any device.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { call } from '../../scripts/bench/hub-access.js';
import { encode } from '../../shared/proto/codec.js';
import { Topics, agentClientId } from '../../shared/topics.js';
import { api, applySleeperPod, cli, deviceState, freePort, getJson, startAgent, startHub, tempDir, waitFor } from '../helpers/fleet.js';
import { TEST_IMAGE } from '../helpers/podman.js';

const topics = new Topics();

t.test('an invalid manifest is refused with its field path and nothing is stored', async (t) => {
  const hub = await startHub(t);
  const dir = await tempDir(t, 'manifests');
  const file = join(dir, 'bad.yaml');
  await writeFile(
    file,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: good
spec:
  template:
    spec:
      containers:
        - name: main
          image: ${TEST_IMAGE}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
spec:
  replicas: three
  template:
    spec:
      deviceSelector: "role in (camera"
      containers:
        - name: main
`,
  );
  const result = await cli(hub, ['apply', '-f', file]);
  t.equal(result.code, 1, 'apply fails');
  t.match(result.stderr, /spec\.replicas/, 'names the bad replica count');
  t.match(result.stderr, /spec\.template\.spec\.containers\[0\]\.image/, 'names the missing image');
  t.match(result.stderr, /spec\.template\.spec\.deviceSelector/, 'names the malformed selector');
  const deployments = await getJson(hub, ['deployments']);
  t.same(deployments.items, [], 'not even the valid document was stored');

  await writeFile(file, 'apiVersion: v1\nkind: Gadget\nmetadata:\n  name: x\n');
  const unknown = await cli(hub, ['apply', '-f', file]);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /kind/, 'an unknown kind is refused naming the field');
  t.match(unknown.stderr, /Deployment/, 'and says which kinds exist');

  const selector = await cli(hub, ['get', 'devices', '-l', 'role in (a']);
  t.equal(selector.code, 1, 'a malformed selector on the command line is refused');
  t.match(selector.stderr, /labelSelector|selector/);
});

t.test('the CLI says in one line where it looked for a hub that is not there', async (t) => {
  const port = await freePort();
  const result = await cli({ apiUrl: `http://127.0.0.1:${port}` }, ['get', 'devices']);
  t.equal(result.code, 1);
  const lines = result.stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one line, no stack trace');
  t.match(lines[0], `127.0.0.1:${port}`, 'it names the address it tried');
  t.match(lines[0], /--server|FLOTILLA_SERVER/, 'it says how to point elsewhere');
});

t.test('malformed, oversized and forged device messages are dropped and touch no other device', async (t) => {
  const hub = await startHub(t);
  const agent = await startAgent(t, hub, { labels: 'role=victim' });
  await waitFor('the device Ready', async () => (await deviceState(hub, agent.name)) === 'Ready');
  const pod = await applySleeperPod(t, hub, 'precious');

  // A device of its own sends garbage, an oversized payload, and a report about someone else's pod.
  const rogueName = 'test-rogue';
  const rogue = await mqtt.connectAsync(hub.mqttUrl, { clientId: agentClientId(rogueName), reconnectPeriod: 0 });
  t.teardown(() => rogue.endAsync(true));
  await rogue.publishAsync(topics.device(rogueName, 'birth'), Buffer.from('definitely not protobuf'), { qos: 1 });
  await rogue.publishAsync(topics.device(rogueName, 'heartbeat'), Buffer.alloc(300 * 1024, 7), { qos: 1 });
  const forged = encode('StatusReport', {
    observedGeneration: 1,
    pods: [{ namespace: 'default', name: 'precious', uid: pod.metadata.uid, phase: 'Failed', reason: 'Forged', message: '', containers: [] }],
  });
  await rogue.publishAsync(topics.device(rogueName, 'status'), Buffer.from(forged), { qos: 1 });

  // An outsider (not an agent) tries to speak for the real device: the broker refuses it.
  const outsider = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'someone-else', reconnectPeriod: 0 });
  t.teardown(() => outsider.endAsync(true));
  const closed = new Promise<void>((resolve) => outsider.once('close', () => resolve()));
  outsider.publish(topics.device(agent.name, 'status'), Buffer.from(forged), { qos: 0 });
  await closed;
  t.pass('the broker closed the connection of a client publishing as another device');

  const stats = await waitFor('the hub to count the dropped messages', async () => {
    const s = await api(hub, '/api/v1/stats');
    return s.mqtt?.dropped >= 2 && s.mqtt?.foreignPods >= 1 ? s : undefined;
  });
  t.ok(stats.mqtt.dropped >= 2, 'the malformed and oversized payloads were counted and dropped');

  const health = await call(hub.admin, 'GET', '/healthz');
  t.equal(health.status, 200, 'the hub keeps serving');
  const devices = await getJson(hub, ['devices']);
  t.same(devices.items.map((d) => d.metadata.name), [agent.name], 'the rogue device was not enrolled from garbage');
  t.equal(devices.items[0]?.status?.state, 'Ready', 'the real device is untouched');
  const after = (await getJson(hub, ['pods'])).items[0];
  t.equal(after?.status?.phase, 'Running', "the other device's pod status was not overwritten");
});
