import { statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { connect, createServer, type TLSSocket } from 'node:tls';
import t, { type Test } from 'tap';
import { openAuthority, type CertificateAuthority } from '../../../hub/auth/authority.js';
import { certificateFingerprint, createDeviceRequest } from '../../../shared/pki.js';

/** A TLS server with the hub's certificate that asks every client for one signed by the hub's CA. */
async function mutualTlsServer(t: Test, ca: CertificateAuthority): Promise<{ port: number; peers: string[] }> {
  const { certificatePem, keyPem } = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  const peers: string[] = [];
  const server = createServer({ cert: certificatePem, key: keyPem, ca: ca.certificatePem, requestCert: true, rejectUnauthorized: true }, (socket) => {
    peers.push(String(socket.getPeerCertificate().subject?.CN));
    socket.end('welcome');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, peers };
}

/** What the server said, or the error the handshake ended with. */
function talk(port: number, options: { ca: string; cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => undefined);
    let said = '';
    socket.on('data', (chunk: Buffer) => (said += chunk.toString()));
    socket.on('end', () => resolve(said || 'closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error: ${error.code ?? error.message}`));
  });
}

t.test('is made once in the data directory, with its key readable by the hub alone, and the same after a restart', async (t) => {
  const dir = join(t.testdir(), 'pki');
  const first = await openAuthority(dir);
  t.match(first.fingerprint, /^sha256:[0-9a-f]{64}$/);
  t.equal(first.fingerprint, certificateFingerprint(first.certificatePem));
  t.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
  const again = await openAuthority(dir);
  t.equal(again.fingerprint, first.fingerprint, 'a restart keeps the CA devices have pinned');
  t.ok(new X509Certificate(first.certificatePem).ca, 'a CA certificate');
});

t.test("a device's key stays on the device; its certificate is in its name, for clients, and signed by the hub", async (t) => {
  const ca = await openAuthority(join(t.testdir(), 'pki'));
  const { requestPem, keyPem } = await createDeviceRequest('cam-7');
  t.notOk(requestPem.includes('PRIVATE KEY'), 'the request carries no private key');
  const certificate = new X509Certificate(await ca.signDeviceRequest(requestPem, 'cam-7'));
  t.match(certificate.subject, /CN=cam-7/);
  t.ok(certificate.verify(new X509Certificate(ca.certificatePem).publicKey), 'signed by the CA');
  t.same(certificate.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'for client authentication only');
  t.match(keyPem, /BEGIN PRIVATE KEY/);
});

t.test('refuses a request in another device’s name, a damaged request and a bad device name', async (t) => {
  const ca = await openAuthority(join(t.testdir(), 'pki'));
  const { requestPem } = await createDeviceRequest('cam-7');
  await t.rejects(ca.signDeviceRequest(requestPem, 'cam-8'), { code: 'Forbidden', message: /"cam-7" cannot be signed for device cam-8/ });
  await t.rejects(ca.signDeviceRequest('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', 'cam-7'), { code: 'Invalid' });
  await t.rejects(ca.signDeviceRequest(requestPem, 'Cam 7'), { code: 'Invalid', message: /device name "Cam 7"/ });
});

t.test("over real TLS, the hub lets in a device with its certificate and turns away one with none or another CA's", async (t) => {
  const ca = await openAuthority(join(t.testdir(), 'pki'));
  const { port, peers } = await mutualTlsServer(t, ca);
  const device = await createDeviceRequest('cam-7');
  const certificate = await ca.signDeviceRequest(device.requestPem, 'cam-7');
  t.equal(await talk(port, { ca: ca.certificatePem, cert: certificate, key: device.keyPem }), 'welcome');
  t.same(peers, ['cam-7'], 'the server knows the device by its certificate');

  t.match(await talk(port, { ca: ca.certificatePem }), /^error|^closed$/, 'no certificate, no session');
  const stranger = await openAuthority(join(t.testdir(), 'other-pki'));
  const strangerDevice = await createDeviceRequest('cam-7');
  const forged = await stranger.signDeviceRequest(strangerDevice.requestPem, 'cam-7');
  t.match(await talk(port, { ca: ca.certificatePem, cert: forged, key: strangerDevice.keyPem }), /^error|^closed$/, 'a certificate from another CA is refused');
  t.same(peers, ['cam-7'], 'neither got in');

  t.match(await talk(port, { ca: stranger.certificatePem, cert: certificate, key: device.keyPem }), /^error/, 'and a device pinned to another CA does not trust this hub');
});
