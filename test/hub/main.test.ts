/**
 * A whole hub in this process, reached as its users reach it: the admin through admin.yaml,
 * a device through a join token and its own certificate, a viewer through an access token.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import t, { type Test } from 'tap';
import { defaultHubOptions } from '../../hub/config.js';
import { startHub, type RunningHub } from '../../hub/main.js';
import { renewIdentity } from '../../agent/renewal.js';
import { certificateFingerprint, createDeviceRequest } from '../../shared/pki.js';
import { agentClientId } from '../../shared/topics.js';
import { adminAccess, call, type HubAccess } from '../../scripts/bench/hub-access.js';

let hubs = 0;

async function hubForTest(t: Test): Promise<{ hub: RunningHub; admin: HubAccess; dataDir: string }> {
  const dataDir = join(t.testdir(), `hub-${++hubs}`);
  const hub = await startHub({ ...defaultHubOptions, dataDir, httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0, mqttTlsPort: 0, logLevel: 'silent' });
  t.teardown(() => hub.stop());
  return { hub, admin: adminAccess(hub.adminConfig), dataDir };
}

/** Enrols `device` with `token` as an agent would; the answer, and the key made for it. */
async function enrol(admin: HubAccess, token: string, device: string, labels: Record<string, string> = {}) {
  const { requestPem, keyPem } = await createDeviceRequest(device);
  const answer = await call(admin, 'POST', '/api/v1/enroll', { token, device, csr: requestPem, labels }, null);
  return { ...answer, keyPem };
}

function connectDevice(t: Test, url: string, device: string, tls: { ca: string; cert: string; key: string }): Promise<MqttClient | Error> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { clientId: agentClientId(device), ...tls, reconnectPeriod: 0, connectTimeout: 5_000 });
    t.teardown(() => client.endAsync(true));
    client.once('connect', () => resolve(client));
    client.once('error', (error) => resolve(error));
  });
}

t.test('the hub makes its CA once, serves its API over HTTPS and writes an admin config only its owner can read', async (t) => {
  const { hub, admin, dataDir } = await hubForTest(t);
  const caPem = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  t.equal(hub.caFingerprint, certificateFingerprint(caPem));
  t.equal(admin.caPem, caPem);
  t.match(hub.apiUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.equal(statSync(hub.adminConfig).mode & 0o777, 0o600);
  const devices = await call(admin, 'GET', '/api/v1/devices');
  t.equal(devices.status, 200);
  const anonymous = await call(admin, 'GET', '/api/v1/devices', undefined, null);
  t.equal(anonymous.status, 401);
  t.match(anonymous.body.message, /needs an access token/);
});

t.test('a device enrols with a join token, gets the token labels, connects with its certificate, and is cut off when removed', async (t) => {
  const { hub, admin } = await hubForTest(t);
  const made = await call(admin, 'POST', '/api/v1/jointokens', { labels: { site: 'plant-3' }, uses: 1, ttlSeconds: 3600 });
  t.equal(made.status, 201);
  t.notOk(JSON.stringify(made.body.object).includes(made.body.token.split('.')[2]), 'the secret is not stored');

  const enrolled = await enrol(admin, made.body.token, 'cam-7', { role: 'camera', site: 'claimed-by-device' });
  t.equal(enrolled.status, 200);
  t.same(enrolled.body.labels, { role: 'camera', site: 'plant-3' }, "the token's labels win over the device's");
  t.equal(enrolled.body.mqttUrl, hub.mqttTlsUrl);
  const device = await call(admin, 'GET', '/api/v1/devices/cam-7');
  t.equal(device.body.status.identity.certificateFingerprint, certificateFingerprint(enrolled.body.certificate));

  const again = await enrol(admin, made.body.token, 'cam-8');
  t.equal(again.status, 403, 'a used-up token is refused');
  t.match(again.body.message, /used up/);

  const tls = { ca: enrolled.body.ca, cert: enrolled.body.certificate, key: enrolled.keyPem };
  const session = await connectDevice(t, enrolled.body.mqttUrl, 'cam-7', tls);
  if (session instanceof Error) throw session;
  const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  const removed = await call(admin, 'DELETE', '/api/v1/devices/cam-7');
  t.equal(removed.status, 200);
  await closed;
  t.pass('the live session ended when the device was removed');
  t.type(await connectDevice(t, enrolled.body.mqttUrl, 'cam-7', tls), Error, 'and its certificate no longer gets in');
});

t.test('devices flashed with one token and booted together all enrol, up to its uses and no further', async (t) => {
  const { admin } = await hubForTest(t);
  const made = (await call(admin, 'POST', '/api/v1/jointokens', { uses: 12 })).body;
  const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => enrol(admin, made.token, `batch-${i}`)));
  const statuses = answers.map((answer) => answer.status).sort();
  t.same(statuses, [...Array(12).fill(200), ...Array(4).fill(403)], 'twelve enrolled, four refused as used up');
  const token = await call(admin, 'GET', `/api/v1/jointokens/${made.object.metadata.name}`);
  t.equal(token.body.status.used, 12);
  t.equal((await call(admin, 'GET', '/api/v1/devices')).body.items.length, 12, 'a Device for each enrolment and no more');
});

t.test('a device renews its certificate with the one it has; the old one stops working and its session ends', async (t) => {
  const { admin } = await hubForTest(t);
  const token = (await call(admin, 'POST', '/api/v1/jointokens', {})).body.token;
  const enrolled = await enrol(admin, token, 'cam-7');
  const identity = { device: 'cam-7', mqttUrl: enrolled.body.mqttUrl, apiUrl: admin.server, keyPem: enrolled.keyPem, certificatePem: enrolled.body.certificate, caPem: enrolled.body.ca };
  const old = { ca: identity.caPem, cert: identity.certificatePem, key: identity.keyPem };
  const session = await connectDevice(t, identity.mqttUrl, 'cam-7', old);
  if (session instanceof Error) throw session;
  const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));

  const renewed = await renewIdentity(identity);
  t.not(renewed.certificatePem, identity.certificatePem);
  t.not(renewed.keyPem, identity.keyPem, 'with a new key made on the device');
  await closed;
  t.pass("the old certificate's session ended");
  t.type(await connectDevice(t, identity.mqttUrl, 'cam-7', old), Error, 'the old certificate no longer gets in');
  t.type(await connectDevice(t, identity.mqttUrl, 'cam-7', { ca: renewed.caPem, cert: renewed.certificatePem, key: renewed.keyPem }), 'MqttClient', 'the new one does');
  const device = await call(admin, 'GET', '/api/v1/devices/cam-7');
  t.equal(device.body.status.identity.certificateFingerprint, certificateFingerprint(renewed.certificatePem));

  await t.rejects(renewIdentity(identity), { code: 'Unauthorized', message: /not the one it enrolled with/ }, 'a replaced certificate cannot renew');
  const anonymous = await call(admin, 'POST', '/api/v1/renew', { csr: (await createDeviceRequest('cam-7')).requestPem }, null);
  t.equal(anonymous.status, 401, 'nor can a caller without one');
});

t.test('expired, revoked and foreign join tokens are refused, and a refused enrolment writes nothing', async (t) => {
  const { admin } = await hubForTest(t);
  const revokedToken = (await call(admin, 'POST', '/api/v1/jointokens', {})).body;
  const revoked = await call(admin, 'POST', `/api/v1/jointokens/${revokedToken.object.metadata.name}/revoke`);
  t.equal(revoked.body.spec.revoked, true);
  const refused = await enrol(admin, revokedToken.token, 'cam-1');
  t.equal(refused.status, 403);
  t.match(refused.body.message, /revoked/);
  t.match(refused.body.hint, /flotilla token create/);

  const short = (await call(admin, 'POST', '/api/v1/jointokens', { ttlSeconds: 0.001 })).body;
  await new Promise((resolve) => setTimeout(resolve, 20));
  const expired = await enrol(admin, short.token, 'cam-2');
  t.equal(expired.status, 403);
  t.match(expired.body.message, /expired/);

  const other = await hubForTest(t);
  const foreign = (await call(other.admin, 'POST', '/api/v1/jointokens', {})).body;
  const wrongHub = await enrol(admin, foreign.token, 'cam-3');
  t.equal(wrongHub.status, 401);
  t.match(wrongHub.body.message, /made by another hub/);

  const bad = await enrol(admin, (await call(admin, 'POST', '/api/v1/jointokens', { uses: 1 })).body.token, 'Not A Name');
  t.equal(bad.status, 422);
  t.same(bad.body.details?.[0]?.field, 'device');
  const devices = await call(admin, 'GET', '/api/v1/devices');
  t.same(devices.body.items, [], 'no device was written');
});

t.test('a viewer reads but cannot apply or see credentials; an operator applies but cannot make tokens', async (t) => {
  const { admin } = await hubForTest(t);
  const viewer = (await call(admin, 'POST', '/api/v1/accesstokens', { name: 'dash', role: 'viewer' })).body.token;
  const operator = (await call(admin, 'POST', '/api/v1/accesstokens', { name: 'ci', role: 'operator' })).body.token;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'main', image: 'nginx' }] } };

  t.equal((await call(admin, 'GET', '/api/v1/pods', undefined, viewer)).status, 200);
  const applied = await call(admin, 'POST', '/api/v1/apply', { items: [pod] }, viewer);
  t.equal(applied.status, 403);
  t.match(applied.body.message, /dash \(viewer\) may not .* needs the operator role/);
  t.equal((await call(admin, 'GET', '/api/v1/jointokens', undefined, viewer)).status, 403);
  t.equal((await call(admin, 'POST', '/api/v1/apply', { items: [pod] }, operator)).status, 200);
  t.equal((await call(admin, 'POST', '/api/v1/jointokens', {}, operator)).status, 403);
  t.equal((await call(admin, 'POST', '/api/v1/delete', { items: [{ kind: 'Device', metadata: { name: 'x' } }] }, operator)).status, 403);

  t.equal((await call(admin, 'DELETE', '/api/v1/accesstokens/dash')).status, 200);
  t.equal((await call(admin, 'GET', '/api/v1/pods', undefined, viewer)).status, 401, 'a revoked token stops working at once');
});
