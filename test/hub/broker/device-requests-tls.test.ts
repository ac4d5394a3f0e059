/**
 * Log requests over the broker's device listener, seen with Debian's mosquitto clients: a
 * device reads its own requests, and neither another device (with its own, valid
 * certificate) nor a watcher (with its access token) reads them or answers for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { openAuthority } from '../../../hub/auth/authority.js';
import { startEmbeddedBroker } from '../../../hub/broker/embedded.js';
import { HUB_USERNAME } from '../../../hub/broker/identity.js';
import { certificateFingerprint, createDeviceRequest } from '../../../shared/pki.js';
import { encode } from '../../../shared/proto/codec.js';
import { agentClientId, Topics } from '../../../shared/topics.js';

const topics = new Topics();
const HUB_PASSWORD = 'hub-secret-for-this-test';
const WATCHER_TOKEN = 'token-of-the-dashboard';

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(command: string, args: string[]): Run {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function brokerWithDevices(t: Test) {
  const ca = await openAuthority(join(t.testdir(), 'pki'));
  const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  const enrolled = new Map<string, string>();
  const broker = await startEmbeddedBroker({
    plain: { host: '127.0.0.1', port: 0, open: false },
    hubPassword: HUB_PASSWORD,
    topics,
    log: pino({ level: 'silent' }),
    tls: {
      host: '127.0.0.1',
      port: 0,
      certificatePem: server.certificatePem,
      keyPem: server.keyPem,
      caPem: ca.certificatePem,
      enrolledFingerprint: (device) => enrolled.get(device),
      authenticateWatcher: async (username, password) => (username === 'dashboard' && password === WATCHER_TOKEN ? 'dashboard' : undefined),
    },
  });
  t.teardown(() => broker.close());
  const hub = await mqtt.connectAsync(broker.url, { clientId: 'flotilla-hub-requests-test', username: HUB_USERNAME, password: HUB_PASSWORD, reconnectPeriod: 0 });
  t.teardown(() => hub.endAsync(true));
  const credentials = async (device: string) => {
    const { requestPem, keyPem } = await createDeviceRequest(device);
    const cert = await ca.signDeviceRequest(requestPem, device);
    enrolled.set(device, certificateFingerprint(cert));
    return { cert, key: keyPem };
  };
  return { broker, ca, hub, credentials };
}

t.test("with Debian's mosquitto clients: a device reads its own log requests; another device and a watcher cannot", async (t) => {
  const { broker, ca, hub, credentials } = await brokerWithDevices(t);
  const cam7 = await credentials('cam-7');
  const cam8 = await credentials('cam-8');
  const dir = t.testdir({ 'ca.crt': ca.certificatePem, 'cam-7.crt': cam7.cert, 'cam-7.key': cam7.key, 'cam-8.crt': cam8.cert, 'cam-8.key': cam8.key });
  const tls = ['-h', '127.0.0.1', '-p', String(broker.tlsPort), '--cafile', join(dir, 'ca.crt'), '-v'];
  const as = (device: string) => [...tls, '--cert', join(dir, `${device}.crt`), '--key', join(dir, `${device}.key`), '-i', agentClientId(device)];
  const requests = topics.deviceRequest('cam-7', 'logs');

  const own = start('mosquitto_sub', [...as('cam-7'), '-t', requests, '-C', '1', '-W', '30']);
  const otherDevice = start('mosquitto_sub', [...as('cam-8'), '-t', requests, '-W', '30']);
  const watcher = start('mosquitto_sub', [...tls, '-i', 'dashboard-1', '-u', 'dashboard', '-P', WATCHER_TOKEN, '-t', requests, '-W', '30']);
  t.teardown(() => {
    for (const run of [own, otherDevice, watcher]) run.child.kill();
  });

  // Requests are not retained: ask again until cam-7's client, subscribed by then, has one.
  const request = encode('LogRequest', { id: 'req1', action: 'start', namespace: 'default', podName: 'camera-secret-feed', podUid: 'uid-7', container: 'main', tailLines: -1, leaseSeconds: 30 });
  let ownExit: number | null | undefined;
  void own.exited.then((code) => (ownExit = code));
  for (let attempt = 0; ownExit === undefined && attempt < 100; attempt++) {
    await hub.publishAsync(topics.deviceRequest('cam-7', 'logs'), Buffer.from(request), { qos: 1 });
    await sleep(200);
  }
  t.equal(await own.exited, 0, 'cam-7 got its request');
  t.match(own.output(), /flotilla\/v1\/d\/cam-7\/req\/logs .*camera-secret-feed/s);

  t.not(await otherDevice.exited, 0, "cam-8's subscription to cam-7's requests ends its session");
  t.notMatch(otherDevice.output(), /camera-secret-feed/, "cam-8's certificate does not read cam-7's requests");
  t.not(await watcher.exited, 0, "a watcher's subscription to them ends its session");
  t.notMatch(watcher.output(), /camera-secret-feed/, 'a watcher does not read them either');
});

t.test("with Debian's mosquitto clients: a device cannot answer for another, nor a watcher for any", async (t) => {
  const { broker, ca, hub, credentials } = await brokerWithDevices(t);
  const cam8 = await credentials('cam-8');
  const dir = t.testdir({ 'ca.crt': ca.certificatePem, 'cam-8.crt': cam8.cert, 'cam-8.key': cam8.key });
  const tls = ['-h', '127.0.0.1', '-p', String(broker.tlsPort), '--cafile', join(dir, 'ca.crt')];
  const answers: string[] = [];
  hub.on('message', (topic) => answers.push(topic));
  await hub.subscribeAsync(topics.everyDeviceResponse('logs'), { qos: 1 });

  const chunk = Buffer.from(encode('LogChunk', { sequence: 0, data: Buffer.from('forged log'), done: true }));
  const asCam8 = [...tls, '--cert', join(dir, 'cam-8.crt'), '--key', join(dir, 'cam-8.key'), '-i', agentClientId('cam-8')];
  await start('mosquitto_pub', [...asCam8, '-t', topics.deviceResponse('cam-7', 'logs', 'req1'), '-m', chunk.toString('latin1'), '-q', '1']).exited;
  await start('mosquitto_pub', [...tls, '-i', 'dashboard-1', '-u', 'dashboard', '-P', WATCHER_TOKEN, '-t', topics.deviceResponse('cam-7', 'logs', 'req1'), '-m', 'forged', '-q', '1']).exited;
  // Its own answer goes through: the channel works, so the silence above is the ACL's.
  await start('mosquitto_pub', [...asCam8, '-t', topics.deviceResponse('cam-8', 'logs', 'req2'), '-m', 'own', '-q', '1']).exited;
  await until("cam-8's answer on its own topic", () => answers.includes(topics.deviceResponse('cam-8', 'logs', 'req2')));
  t.same(answers, [topics.deviceResponse('cam-8', 'logs', 'req2')], 'nothing reached the hub on cam-7\'s response topic');
});
