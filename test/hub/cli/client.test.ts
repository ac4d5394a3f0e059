import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { HubClient, hubUnreachable, serverUrl, unreachableReason } from '../../../hub/cli/client.js';

t.test('the server comes from --server, then FLOTILLA_SERVER, then localhost:7080', (t) => {
  t.equal(serverUrl('http://hub:7080/', { FLOTILLA_SERVER: 'http://other:1' }), 'http://hub:7080');
  t.equal(serverUrl(undefined, { FLOTILLA_SERVER: 'http://other:1' }), 'http://other:1');
  t.equal(serverUrl(undefined, {}), 'http://localhost:7080');
  t.throws(() => serverUrl('mqtt://hub:1883', {}), { message: /--server "mqtt:\/\/hub:1883"/, exitCode: 2 });
  t.throws(() => serverUrl(undefined, { FLOTILLA_SERVER: 'hub' }), { message: /FLOTILLA_SERVER "hub": not a URL/ });
  t.end();
});

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
  t.equal(unreachableReason(Object.assign(new TypeError('fetch failed'), { cause: refused })), 'connection refused');
  const both = Object.assign(new AggregateError([refused, refused]), {});
  t.equal(unreachableReason(Object.assign(new TypeError('fetch failed'), { cause: both })), 'connection refused');
  const unknownHost = Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' });
  t.equal(unreachableReason(Object.assign(new TypeError('fetch failed'), { cause: unknownHost })), 'host not found');
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
