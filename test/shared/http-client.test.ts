import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openAuthority } from '../../hub/auth/authority.js';
import { httpRequest, tlsFailure } from '../../shared/http-client.js';
import { createDeviceRequest } from '../../shared/pki.js';

function echo(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({ method: request.method, url: request.url, authorization: request.headers.authorization ?? null, body: Buffer.concat(chunks).toString() }),
    );
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** An HTTPS server with a certificate for 127.0.0.1 from a fresh CA, and a second, unrelated CA. */
async function httpsHub(t: { teardown(fn: () => unknown): void }): Promise<{ url: string; caPem: string; otherCaPem: string; port: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-http-'));
  const authority = await openAuthority(join(dir, 'pki'));
  const other = await openAuthority(join(dir, 'other'));
  const { certificatePem, keyPem } = await authority.issueServerCertificate(['127.0.0.1']);
  const server = createServer({ cert: certificatePem, key: keyPem }, echo);
  const port = await listen(server);
  t.teardown(async () => {
    await stop(server);
    await rm(dir, { recursive: true, force: true });
  });
  return { url: `https://127.0.0.1:${port}`, caPem: authority.certificatePem, otherCaPem: other.certificatePem, port };
}

t.test('an https server whose certificate comes from the given CA is trusted, and the request arrives whole', async (t) => {
  const hub = await httpsHub(t);
  const response = await httpRequest({
    url: `${hub.url}/api/v1/things?x=1`,
    method: 'POST',
    headers: { authorization: 'Bearer abc', 'content-type': 'text/plain' },
    body: 'héllo',
    ca: hub.caPem,
  });
  t.equal(response.status, 200);
  t.equal(response.headers['content-type'], 'application/json');
  t.same(JSON.parse(response.body.toString()), { method: 'POST', url: '/api/v1/things?x=1', authorization: 'Bearer abc', body: 'héllo' });
});

t.test('a server whose certificate comes from another CA is refused as untrusted', async (t) => {
  const hub = await httpsHub(t);
  const error = await httpRequest({ url: hub.url, ca: hub.otherCaPem }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error, 'the request failed');
  t.same(tlsFailure(error), { kind: 'untrusted' });
});

t.test('a client certificate is presented to a server that asks for one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-http-mtls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const authority = await openAuthority(join(dir, 'pki'));
  const { certificatePem, keyPem } = await authority.issueServerCertificate(['127.0.0.1']);
  const server = createServer({ cert: certificatePem, key: keyPem, ca: authority.certificatePem, requestCert: true, rejectUnauthorized: false }, (request, response) => {
    const socket = request.socket as TLSSocket;
    response.end(socket.authorized ? `hello ${socket.getPeerCertificate().subject?.CN ?? ''}` : 'anonymous');
  });
  const port = await listen(server);
  t.teardown(() => stop(server));
  const device = await createDeviceRequest('cam-7');
  const deviceCertificate = await authority.signDeviceRequest(device.requestPem, 'cam-7');
  const url = `https://127.0.0.1:${port}/`;
  t.equal((await httpRequest({ url, ca: authority.certificatePem, cert: deviceCertificate, key: device.keyPem })).body.toString(), 'hello cam-7');
  t.equal((await httpRequest({ url, ca: authority.certificatePem })).body.toString(), 'anonymous');
});

t.test('a server with a private CA is refused when no CA is given', async (t) => {
  const hub = await httpsHub(t);
  const error = await httpRequest({ url: hub.url }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.same(tlsFailure(error), { kind: 'untrusted' });
});

t.test('without verification the body is fetched from any server, for a caller that checks what it got', async (t) => {
  const hub = await httpsHub(t);
  const response = await httpRequest({ url: `${hub.url}/api/v1/ca`, rejectUnauthorized: false });
  t.equal(response.status, 200);
  t.match(response.body.toString(), /"url":"\/api\/v1\/ca"/);
});

t.test('a certificate for another address is a name mismatch naming the addresses', async (t) => {
  const hub = await httpsHub(t);
  // The certificate names 127.0.0.1; "localhost" reaches the same server under another name.
  const error = await httpRequest({ url: `https://localhost:${hub.port}/`, ca: hub.caPem }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const failure = tlsFailure(error);
  t.equal(failure?.kind, 'name-mismatch');
  t.equal(failure?.kind === 'name-mismatch' ? failure.detail : '', 'localhost is not among its names: IP Address:127.0.0.1');
});

t.test('plain http works, and a refused connection keeps its code', async (t) => {
  const server = createHttpServer(echo);
  const port = await listen(server);
  const response = await httpRequest({ url: `http://127.0.0.1:${port}/healthz` });
  t.equal(JSON.parse(response.body.toString()).url, '/healthz');
  await stop(server);
  await t.rejects(httpRequest({ url: `http://127.0.0.1:${port}/healthz` }), { code: 'ECONNREFUSED' });
});

t.test('https to a server that does not speak TLS is told apart', async (t) => {
  const server = createHttpServer(echo);
  const port = await listen(server);
  t.teardown(() => stop(server));
  const error = await httpRequest({ url: `https://127.0.0.1:${port}/` }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.same(tlsFailure(error), { kind: 'not-tls' });
});

t.test('a server that never answers times out with ETIMEDOUT', async (t) => {
  const server = createHttpServer(() => {
    /* never answers */
  });
  const port = await listen(server);
  t.teardown(() => stop(server));
  await t.rejects(httpRequest({ url: `http://127.0.0.1:${port}/`, timeoutMs: 200 }), { code: 'ETIMEDOUT' });
});

t.test('a URL that is not http or https is refused before connecting', async (t) => {
  await t.rejects(httpRequest({ url: 'mqtt://127.0.0.1:1883' }), { code: 'ERR_INVALID_PROTOCOL' });
});
