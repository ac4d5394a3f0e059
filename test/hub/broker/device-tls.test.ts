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
import { HUB_USERNAME } from '../../../hub/broker/identity.js';
import { certificateFingerprint, createDeviceRequest } from '../../../shared/pki.js';
import { agentClientId, Topics } from '../../../shared/topics.js';

const topics = new Topics();
const HUB_PASSWORD = 'hub-secret-for-this-test';
const WATCHER_TOKEN = 'token-of-the-dashboard';

interface TestBroker {
  broker: EmbeddedBroker;
  ca: CertificateAuthority;
  /** Device → fingerprint of the certificate it enrolled with; delete one to remove the device. */
  enrolled: Map<string, string>;
  /** The hub's own link, on the plain listener. */
  hubLink(): Promise<MqttClient>;
}

async function brokerWithDevices(t: Test): Promise<TestBroker> {
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
  const hubLink = async () => {
    const client = await mqtt.connectAsync(broker.url, { clientId: 'flotilla-hub-test', username: HUB_USERNAME, password: HUB_PASSWORD, reconnectPeriod: 0 });
    t.teardown(() => client.endAsync(true));
    return client;
  };
  return { broker, ca, enrolled, hubLink };
}

/** A key and certificate for `device`, enrolled unless told otherwise. */
async function credentials(b: TestBroker, device: string, enrol = true): Promise<{ cert: string; key: string }> {
  const { requestPem, keyPem } = await createDeviceRequest(device);
  const cert = await b.ca.signDeviceRequest(requestPem, device);
  if (enrol) b.enrolled.set(device, certificateFingerprint(cert));
  return { cert, key: keyPem };
}

/** Connects over TLS; resolves with the client, or with the error that ended the attempt. */
function connectTls(
  t: Test,
  port: number,
  clientId: string,
  options: { ca: string; cert?: string; key?: string; username?: string; password?: string },
): Promise<MqttClient | Error> {
  return new Promise((resolve) => {
    const client = mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port, servername: 'localhost', clientId, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    t.teardown(() => client.endAsync(true));
    client.once('connect', () => resolve(client));
    client.once('error', (error) => resolve(error));
    client.once('close', () => resolve(new Error('closed')));
  });
}

t.test('a device gets in with its own certificate and receives its retained desired state', async (t) => {
  const b = await brokerWithDevices(t);
  const { broker, ca } = b;
  const hub = await b.hubLink();
  await hub.publishAsync(topics.device('cam-7', 'desired'), 'desired for cam-7', { qos: 1, retain: true });

  const device = await connectTls(t, broker.tlsPort ?? 0, agentClientId('cam-7'), { ca: ca.certificatePem, ...(await credentials(b, 'cam-7')) });
  if (device instanceof Error) throw device;
  const received = new Promise<string>((resolve) => device.once('message', (_topic, payload) => resolve(payload.toString())));
  await device.subscribeAsync(topics.device('cam-7', 'desired'), { qos: 1 });
  t.equal(await received, 'desired for cam-7');
});

t.test('a certificate for one device does not let it in as another, nor without one, nor once removed or replaced', async (t) => {
  const b = await brokerWithDevices(t);
  const { broker, ca } = b;
  const port = broker.tlsPort ?? 0;
  const asOther = await connectTls(t, port, agentClientId('cam-8'), { ca: ca.certificatePem, ...(await credentials(b, 'cam-7')) });
  t.type(asOther, Error, 'cam-7 cannot connect as cam-8');
  t.match((asOther as Error & { code?: number }).code, 5, 'not authorized');
  t.type(await connectTls(t, port, agentClientId('cam-7'), { ca: ca.certificatePem }), Error, 'no certificate, no session');
  t.type(await connectTls(t, port, agentClientId('cam-9'), { ca: ca.certificatePem, ...(await credentials(b, 'cam-9', false)) }), Error, 'a device not enrolled (or removed)');
  const first = await credentials(b, 'cam-10');
  await credentials(b, 'cam-10');
  t.type(await connectTls(t, port, agentClientId('cam-10'), { ca: ca.certificatePem, ...first }), Error, 'a certificate replaced by a later enrolment');
  const stranger = await openAuthority(join(t.testdir(), 'other-pki'));
  const { requestPem, keyPem } = await createDeviceRequest('cam-11');
  b.enrolled.set('cam-11', 'sha256:' + '0'.repeat(64));
  const foreign = await connectTls(t, port, agentClientId('cam-11'), { ca: ca.certificatePem, cert: await stranger.signDeviceRequest(requestPem, 'cam-11'), key: keyPem });
  t.type(foreign, Error, "a certificate from another CA");
});

t.test('a removed device is cut off at once', async (t) => {
  const b = await brokerWithDevices(t);
  const device = await connectTls(t, b.broker.tlsPort ?? 0, agentClientId('cam-7'), { ca: b.ca.certificatePem, ...(await credentials(b, 'cam-7')) });
  if (device instanceof Error) throw device;
  const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
  b.enrolled.delete('cam-7');
  b.broker.disconnectDevice('cam-7');
  await closed;
  t.notOk(device.connected);
});

t.test('a watcher with an access token reads the fleet topics, and nothing else, and publishes nothing', async (t) => {
  const b = await brokerWithDevices(t);
  const port = b.broker.tlsPort ?? 0;
  const hub = await b.hubLink();
  await hub.publishAsync(topics.fleetDevice('cam-7'), '{"state":"Ready"}', { qos: 1, retain: true });
  await hub.publishAsync(topics.device('cam-7', 'desired'), 'secret desired', { qos: 1, retain: true });

  const wrong = await connectTls(t, port, 'dashboard-1', { ca: b.ca.certificatePem, username: 'dashboard', password: 'guess' });
  t.type(wrong, Error, 'a wrong token is refused');
  t.equal((wrong as Error & { code?: number }).code, 4, 'bad user name or password');
  const asDevice = await connectTls(t, port, agentClientId('cam-7'), { ca: b.ca.certificatePem, username: 'dashboard', password: WATCHER_TOKEN });
  t.type(asDevice, Error, "a token does not stand in for a device's certificate");

  const watcher = await connectTls(t, port, 'dashboard-1', { ca: b.ca.certificatePem, username: 'dashboard', password: WATCHER_TOKEN });
  if (watcher instanceof Error) throw watcher;
  const fleet = new Promise<string>((resolve) => watcher.once('message', (_topic, payload) => resolve(payload.toString())));
  await watcher.subscribeAsync(`${topics.prefix}/fleet/#`, { qos: 1 });
  t.equal(await fleet, '{"state":"Ready"}');
  const refused = await watcher.subscribeAsync(topics.device('cam-7', 'desired'), { qos: 1 }).then(
    (granted) => granted[0]?.qos === 128,
    () => true,
  );
  t.ok(refused, "a device's desired state is not for watchers");
});

t.test('the plain listener takes the hub with its password and nobody else', async (t) => {
  const b = await brokerWithDevices(t);
  const attempt = (options: mqtt.IClientOptions) =>
    mqtt.connectAsync(b.broker.url, { reconnectPeriod: 0, connectTimeout: 3_000, ...options }).then(
      (client) => {
        t.teardown(() => client.endAsync(true));
        return 'connected';
      },
      (error: Error & { code?: number }) => `refused ${error.code}`,
    );
  t.equal(await attempt({ clientId: 'x', username: HUB_USERNAME, password: HUB_PASSWORD }), 'connected');
  t.equal(await attempt({ clientId: 'y', username: HUB_USERNAME, password: 'nope' }), 'refused 4');
  t.equal(await attempt({ clientId: agentClientId('cam-7') }), 'refused 5');
});

t.test("a device cannot read another device's desired state nor publish as it", async (t) => {
  const b = await brokerWithDevices(t);
  const { broker, ca } = b;
  const device = await connectTls(t, broker.tlsPort ?? 0, agentClientId('cam-7'), { ca: ca.certificatePem, ...(await credentials(b, 'cam-7')) });
  if (device instanceof Error) throw device;
  // The broker answers a forbidden subscription by closing the session.
  const refused = await device.subscribeAsync(topics.device('cam-8', 'desired'), { qos: 1 }).then(
    (granted) => granted[0]?.qos === 128,
    () => true,
  );
  t.ok(refused, "the subscription to cam-8's desired state is refused");

  const again = await connectTls(t, broker.tlsPort ?? 0, agentClientId('cam-7'), { ca: ca.certificatePem, ...(await credentials(b, 'cam-7')) });
  if (again instanceof Error) throw again;
  const watcher = await b.hubLink();
  const forged: string[] = [];
  watcher.on('message', (topic) => forged.push(topic));
  await watcher.subscribeAsync(topics.device('cam-8', 'heartbeat'));
  await again.publishAsync(topics.device('cam-8', 'heartbeat'), 'forged', { qos: 0 }).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(forged, [], 'nothing published as cam-8 reaches anyone');
});

t.test("with Debian's mosquitto clients: a device's own desired state arrives, another's does not, and no certificate means no connection", async (t) => {
  const b = await brokerWithDevices(t);
  const { broker, ca } = b;
  const hub = await b.hubLink();
  await hub.publishAsync(topics.device('cam-7', 'desired'), 'for cam-7', { qos: 1, retain: true });
  await hub.publishAsync(topics.device('cam-8', 'desired'), 'for cam-8', { qos: 1, retain: true });
  await hub.publishAsync(topics.fleetDevice('cam-7'), 'cam-7 is Ready', { qos: 1, retain: true });
  const { cert, key } = await credentials(b, 'cam-7');
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
  const asWatcher = [...tlsArgs, '-i', 'dashboard-1', '-u', 'dashboard', '-P', WATCHER_TOKEN];
  const fleet = await run('mosquitto_sub', [...asWatcher, '-t', `${topics.prefix}/fleet/#`, '-C', '1', '-W', '5']);
  t.equal(fleet.stdout.trim(), 'cam-7 is Ready', 'a watcher with an access token reads the fleet topics');
  const snooping = await run('mosquitto_sub', [...asWatcher, '-t', topics.device('cam-8', 'desired'), '-C', '1', '-W', '3']);
  t.notMatch(snooping.stdout, /for cam-8/, 'but not a desired state');
  const posing = await run('mosquitto_pub', [...asWatcher, '-t', topics.fleetDevice('cam-7'), '-m', 'forged', '-q', '1']);
  const check = await run('mosquitto_sub', [...asWatcher, '-t', topics.fleetDevice('cam-7'), '-C', '1', '-W', '3']);
  t.equal(check.stdout.trim(), 'cam-7 is Ready', `a watcher's publish changes nothing (mosquitto_pub exit ${posing.code})`);
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
