import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openAuthority } from '../../../hub/auth/authority.js';
import { HubClient, hubUnreachable, unreachableReason } from '../../../hub/cli/client.js';
import type { Connection } from '../../../hub/cli/config-file.js';
import { FlotillaError } from '../../../shared/errors.js';

t.test('an unreachable hub is one line saying why and what to do', (t) => {
  const error = hubUnreachable('http://localhost:7080', 'connection refused');
  t.equal(
    error.message,
    "cannot reach the hub at http://localhost:7080 (connection refused): start one with 'flotilla hub', or point elsewhere with --server or FLOTILLA_SERVER",
  );
  t.notMatch(error.message, /\n/);
  t.end();
});

t.test('the reason is read from the network error, including the several of "localhost"', (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  t.equal(unreachableReason(refused), 'connection refused');
  t.equal(unreachableReason(Object.assign(new TypeError('fetch failed'), { cause: refused })), 'connection refused');
  const both = Object.assign(new AggregateError([refused, refused]), {});
  t.equal(unreachableReason(both), 'connection refused');
  const unknownHost = Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' });
  t.equal(unreachableReason(unknownHost), 'host not found');
  t.end();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('a request to a closed port fails with the one-line message', async (t) => {
  const port = await closedPort();
  const client = new HubClient(`http://127.0.0.1:${port}`);
  await t.rejects(client.get('/api/v1/pods'), {
    message: `cannot reach the hub at http://127.0.0.1:${port} (connection refused): start one with 'flotilla hub', or point elsewhere with --server or FLOTILLA_SERVER`,
  });
});

/** A stand-in for the hub's API over HTTPS: a bearer token "good" is let in, anything else is 401. */
function fakeApi(request: IncomingMessage, response: ServerResponse): void {
  const reply = (status: number, body: unknown) => {
    response.statusCode = status;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(body));
  };
  const authorization = request.headers.authorization;
  if (authorization === undefined) return reply(401, { kind: 'Status', code: 'Unauthorized', message: 'this hub needs an access token' });
  if (authorization !== 'Bearer good') return reply(401, { kind: 'Status', code: 'Unauthorized', message: 'access token x expired at 2020-01-01' });
  if (request.url === '/api/v1/accesstokens') return reply(403, { kind: 'Status', code: 'Forbidden', message: 'alice (viewer) may not GET /api/v1/accesstokens', hint: 'ask' });
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => reply(200, { method: request.method, url: request.url, body: Buffer.concat(chunks).toString(), type: request.headers['content-type'] ?? null }));
}

interface Hub {
  server: string;
  port: number;
  caPem: string;
  otherCaPem: string;
}

async function httpsHub(t: { teardown(fn: () => unknown): void }): Promise<Hub> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-client-'));
  const authority = await openAuthority(join(dir, 'pki'));
  const other = await openAuthority(join(dir, 'other'));
  const { certificatePem, keyPem } = await authority.issueServerCertificate(['127.0.0.1']);
  const server: Server = createHttpsServer({ cert: certificatePem, key: keyPem }, fakeApi);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return { server: `https://127.0.0.1:${port}`, port, caPem: authority.certificatePem, otherCaPem: other.certificatePem };
}

function connection(hub: Hub, extra: Partial<Connection> = {}): Connection {
  return { server: hub.server, token: 'good', caPem: hub.caPem, caFrom: 'certificate-authority-data of context "plant" in /home/a/config.yaml', context: 'plant', from: 'context', configFile: '/home/a/config.yaml', ...extra };
}

t.test("the client sends the context's token as a bearer token and trusts the context's CA", async (t) => {
  const hub = await httpsHub(t);
  const client = new HubClient(connection(hub));
  const answer = await client.post<{ method: string; url: string; body: string; type: string }>('/api/v1/apply', { items: [] });
  t.same(answer, { method: 'POST', url: '/api/v1/apply', body: '{"items":[]}', type: 'application/json' });
  const listed = await client.get<{ url: string }>('/api/v1/pods', { labelSelector: 'role=camera', other: undefined });
  t.equal(listed.url, '/api/v1/pods?labelSelector=role%3Dcamera');
});

t.test('a refused token is one line saying how to get and save one', async (t) => {
  const hub = await httpsHub(t);
  const error = await new HubClient(connection(hub, { token: 'stale' })).get('/api/v1/pods').catch((e: unknown) => e);
  t.type(error, Error);
  const message = (error as Error).message;
  t.match(message, /^the hub at https:\/\/127\.0\.0\.1:\d+ needs an access token \(the access token was refused: access token x expired at 2020-01-01\)/);
  t.match(message, /flotilla config set-context plant --token <token>/);
  t.match(message, /admin\.yaml/);
  t.notMatch(message, /\n/);
});

t.test('no token at all says so', async (t) => {
  const hub = await httpsHub(t);
  const { token: _omitted, ...withoutToken } = connection(hub);
  await t.rejects(new HubClient(withoutToken).get('/api/v1/pods'), { message: /needs an access token \(no access token was sent\)/ });
});

t.test('a role too weak comes back as the Forbidden error the hub sent', async (t) => {
  const hub = await httpsHub(t);
  const error = await new HubClient(connection(hub)).get('/api/v1/accesstokens').catch((e: unknown) => e);
  t.type(error, FlotillaError);
  t.match(error, { code: 'Forbidden', message: 'alice (viewer) may not GET /api/v1/accesstokens', hint: 'ask' });
});

t.test('a hub whose certificate is not from the trusted CA is one line naming the server and where the CA came from', async (t) => {
  const hub = await httpsHub(t);
  const error = await new HubClient(connection(hub, { caPem: hub.otherCaPem })).get('/api/v1/pods').catch((e: unknown) => e);
  const message = (error as Error).message;
  t.match(message, new RegExp(`^cannot trust the hub at ${hub.server.replace(/\./g, '\\.')}: its certificate is not signed by the CA it is trusted with \\(certificate-authority-data of context "plant" in /home/a/config\\.yaml\\)`));
  t.match(message, /--ca-fingerprint/);
  t.notMatch(message, /\n/);
});

t.test('a hub with no CA configured says how to trust it', async (t) => {
  const hub = await httpsHub(t);
  const { caPem: _omitted, ...withoutCa } = connection(hub);
  await t.rejects(new HubClient(withoutCa).get('/api/v1/pods'), {
    message: /no CA is set for it; trust the hub's CA with 'flotilla config set-context plant --server https:\/\/127\.0\.0\.1:\d+ --ca-fingerprint sha256:.*admin\.yaml/,
  });
});

t.test('a certificate for another name says which names do not match', async (t) => {
  const hub = await httpsHub(t);
  const error = await new HubClient(connection(hub, { server: `https://localhost:${hub.port}` })).get('/api/v1/pods').catch((e: unknown) => e);
  t.match((error as Error).message, /^cannot trust the hub at https:\/\/localhost:\d+: its certificate is not for this address \(localhost is not among its names: IP Address:127\.0\.0\.1\); use a host name or address/);
});

t.test('plain http to the https hub asks whether it should be https', async (t) => {
  const hub = await httpsHub(t);
  const error = await new HubClient(connection(hub, { server: `http://127.0.0.1:${hub.port}` })).get('/api/v1/pods').catch((e: unknown) => e);
  t.match((error as Error).message, /^cannot reach the hub at http:\/\/127\.0\.0\.1:\d+ \(.*; is it https:\/\/\?\)/);
});
