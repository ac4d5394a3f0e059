/**
 * The broker's device listener over real TLS with real MQTT clients: each device gets in
 * with the certificate the hub's CA signed for it, as itself only, and reaches only its own
 * topics.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { openAuthority, type CertificateAuthority } from '../../../hub/auth/authority.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../hub/broker/embedded.js';
import { createDeviceRequest } from '../../../shared/pki.js';
import { agentClientId, Topics } from '../../../shared/topics.js';

const topics = new Topics();

async function brokerWithDevices(t: Test, removed: string[] = []): Promise<{ broker: EmbeddedBroker; ca: CertificateAuthority }> {
  const ca = await openAuthority(join(t.testdir(), 'pki'));
  const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  const broker = await startEmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    topics,
    log: pino({ level: 'silent' }),
    tls: { port: 0, certificatePem: server.certificatePem, keyPem: server.keyPem, caPem: ca.certificatePem, isRemoved: (d) => removed.includes(d) },
  });
  t.teardown(() => broker.close());
  return { broker, ca };
}

async function credentials(ca: CertificateAuthority, device: string): Promise<{ cert: string; key: string }> {
  const { requestPem, keyPem } = await createDeviceRequest(device);
  return { cert: await ca.signDeviceRequest(requestPem, device), key: keyPem };
}

/** Connects over TLS; resolves with the client, or with the error that ended the attempt. */
function connectTls(t: Test, port: number, clientId: string, options: { ca: string; cert?: string; key?: string }): Promise<MqttClient | Error> {
  return new Promise((resolve) => {
    const client = mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port, servername: 'localhost', clientId, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    t.teardown(() => client.endAsync(true));
    client.once('connect', () => resolve(client));
    client.once('error', (error) => resolve(error));
    client.once('close', () => resolve(new Error('closed')));
  });
}

t.test('a device gets in with its own certificate and receives its retained desired state', async (t) => {
  const { broker, ca } = await brokerWithDevices(t);
  const hub = await mqtt.connectAsync(broker.url, { clientId: 'flotilla-hub-test', reconnectPeriod: 0 });
  t.teardown(() => hub.endAsync(true));
  await hub.publishAsync(topics.device('cam-7', 'desired'), 'desired for cam-7', { qos: 1, retain: true });

  const device = await connectTls(t, broker.tlsPort ?? 0, agentClientId('cam-7'), { ca: ca.certificatePem, ...(await credentials(ca, 'cam-7')) });
  if (device instanceof Error) throw device;
  const received = new Promise<string>((resolve) => device.once('message', (_topic, payload) => resolve(payload.toString())));
  await device.subscribeAsync(topics.device('cam-7', 'desired'), { qos: 1 });
  t.equal(await received, 'desired for cam-7');
});

t.test("a certificate for one device does not let it in as another, nor without one, nor once removed", async (t) => {
  const { broker, ca } = await brokerWithDevices(t, ['cam-9']);
  const port = broker.tlsPort ?? 0;
  const asOther = await connectTls(t, port, agentClientId('cam-8'), { ca: ca.certificatePem, ...(await credentials(ca, 'cam-7')) });
  t.type(asOther, Error, 'cam-7 cannot connect as cam-8');
  t.match((asOther as Error & { code?: number }).code, 5, 'not authorized');
  t.type(await connectTls(t, port, agentClientId('cam-7'), { ca: ca.certificatePem }), Error, 'no certificate, no session');
  t.type(await connectTls(t, port, agentClientId('cam-9'), { ca: ca.certificatePem, ...(await credentials(ca, 'cam-9')) }), Error, 'a removed device');
});

t.test("a device cannot read another device's desired state nor publish as it", async (t) => {
  const { broker, ca } = await brokerWithDevices(t);
  const device = await connectTls(t, broker.tlsPort ?? 0, agentClientId('cam-7'), { ca: ca.certificatePem, ...(await credentials(ca, 'cam-7')) });
  if (device instanceof Error) throw device;
  // The broker answers a forbidden subscription by closing the session.
  const refused = await device.subscribeAsync(topics.device('cam-8', 'desired'), { qos: 1 }).then(
    (granted) => granted[0]?.qos === 128,
    () => true,
  );
  t.ok(refused, "the subscription to cam-8's desired state is refused");

  const again = await connectTls(t, broker.tlsPort ?? 0, agentClientId('cam-7'), { ca: ca.certificatePem, ...(await credentials(ca, 'cam-7')) });
  if (again instanceof Error) throw again;
  const watcher = await mqtt.connectAsync(broker.url, { clientId: 'watcher', reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync(true));
  const forged: string[] = [];
  watcher.on('message', (topic) => forged.push(topic));
  await watcher.subscribeAsync(topics.device('cam-8', 'heartbeat'));
  await again.publishAsync(topics.device('cam-8', 'heartbeat'), 'forged', { qos: 0 }).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(forged, [], 'nothing published as cam-8 reaches anyone');
});

t.test("with Debian's mosquitto clients: a device's own desired state arrives, another's does not, and no certificate means no connection", async (t) => {
  const { broker, ca } = await brokerWithDevices(t);
  const hub = await mqtt.connectAsync(broker.url, { clientId: 'flotilla-hub-test', reconnectPeriod: 0 });
  t.teardown(() => hub.endAsync(true));
  await hub.publishAsync(topics.device('cam-7', 'desired'), 'for cam-7', { qos: 1, retain: true });
  await hub.publishAsync(topics.device('cam-8', 'desired'), 'for cam-8', { qos: 1, retain: true });
  const { cert, key } = await credentials(ca, 'cam-7');
  const dir = t.testdir({ 'ca.crt': ca.certificatePem, 'cam-7.crt': cert, 'cam-7.key': key });
  const tlsArgs = ['-h', '127.0.0.1', '-p', String(broker.tlsPort), '--cafile', join(dir, 'ca.crt')];
  const asCam7 = [...tlsArgs, '--cert', join(dir, 'cam-7.crt'), '--key', join(dir, 'cam-7.key'), '-i', agentClientId('cam-7')];

  const own = await run('mosquitto_sub', [...asCam7, '-t', topics.device('cam-7', 'desired'), '-C', '1', '-W', '5']);
  t.equal(own.stdout.trim(), 'for cam-7');
  const other = await run('mosquitto_sub', [...asCam7, '-t', topics.device('cam-8', 'desired'), '-C', '1', '-W', '3']);
  t.notMatch(other.stdout, /for cam-8/, "cam-8's desired state never reaches cam-7");
  t.not(other.code, 0);
  const anonymous = await run('mosquitto_pub', [...tlsArgs, '-i', agentClientId('cam-7'), '-t', topics.device('cam-7', 'status'), '-m', 'x']);
  t.not(anonymous.code, 0, 'no certificate, no connection');
});

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
