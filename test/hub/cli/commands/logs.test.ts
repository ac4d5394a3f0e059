import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { logsQuery, parseTail, runLogs, trailerError } from '../../../../hub/cli/commands/logs.js';
import { CliError } from '../../../../hub/cli/errors.js';
import { FlotillaError } from '../../../../shared/errors.js';

// The person running the tests may have a config file of their own: keep it out.
process.env['FLOTILLA_CONFIG'] = join(tmpdir(), 'flotilla-test-no-such-config.yaml');
delete process.env['FLOTILLA_SERVER'];
delete process.env['FLOTILLA_TOKEN'];
delete process.env['FLOTILLA_CONTEXT'];

t.test('--tail takes a number of lines, -1 for all, and nothing else', async (t) => {
  t.equal(parseTail('20'), 20);
  t.equal(parseTail('0'), 0);
  t.equal(parseTail('-1'), undefined);
  for (const bad of ['-2', 'ten', '1.5', '']) {
    t.throws(() => parseTail(bad), { message: new RegExp(`invalid --tail "${bad}"`), exitCode: 2 }, bad);
  }
});

t.test('the flags become the parameters of the log endpoint, --since in seconds', async (t) => {
  t.same(logsQuery({ container: 'main', follow: true, tail: '5', since: '1h30m', timestamps: true }), {
    container: 'main',
    follow: 'true',
    tailLines: '5',
    sinceSeconds: '5400',
    timestamps: 'true',
  });
  t.same(logsQuery({ tail: '-1' }), { container: undefined, follow: undefined, tailLines: undefined, sinceSeconds: undefined, timestamps: undefined });
  t.throws(() => logsQuery({ since: '5 minutes' }), { message: /invalid --since "5 minutes"/, exitCode: 2 });
});

t.test("a trailer's error is the hub's error; anything else is shown as it came", async (t) => {
  const body = new FlotillaError('Unavailable', 'device cam-1 stopped answering', { hint: 'check it' }).toBody();
  const error = trailerError(encodeURIComponent(JSON.stringify(body)));
  t.type(error, FlotillaError);
  t.match(error, { code: 'Unavailable', message: 'device cam-1 stopped answering', hint: 'check it' });
  t.type(trailerError('garbled%'), CliError);
});

/** A hub that answers the log path as `handle` says; the requests it got are kept. */
async function fakeHub(t: Test, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization ?? ''}`);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return { server: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, seen };
}

function collect(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, text: () => text };
}

t.test('prints the log as the hub streams it, asking for the pod of the namespace with the token', async (t) => {
  const hub = await fakeHub(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.write('line 1\n');
    setTimeout(() => res.end('line 2\n'), 50);
  });
  const { out, text } = collect();
  await runLogs('web', { server: hub.server, token: 'tok', namespace: 'plant-3', tail: '2', follow: true }, out);
  t.equal(text(), 'line 1\nline 2\n');
  t.same(hub.seen, ['/api/v1/namespaces/plant-3/pods/web/log?follow=true&tailLines=2 Bearer tok']);
});

t.test('prints what came, then fails with the error of the trailer', async (t) => {
  const hub = await fakeHub(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'X-Flotilla-Error' });
    res.write('before the silence\n');
    res.addTrailers({ 'X-Flotilla-Error': encodeURIComponent(JSON.stringify(new FlotillaError('Unavailable', 'device cam-1 stopped answering the log stream').toBody())) });
    res.end();
  });
  const { out, text } = collect();
  await t.rejects(runLogs('web', { server: hub.server }, out), { code: 'Unavailable', message: 'device cam-1 stopped answering the log stream' });
  t.equal(text(), 'before the silence\n');
});

t.test("fails with the hub's error when it refuses, and prints nothing", async (t) => {
  const hub = await fakeHub(t, (_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify(new FlotillaError('BadRequest', 'pod default/web has no container "x"; its containers are: main').toBody()));
  });
  const { out, text } = collect();
  await t.rejects(runLogs('web', { server: hub.server, container: 'x' }, out), { code: 'BadRequest', message: /its containers are: main/ });
  t.equal(text(), '');
});

t.test('without a valid token, says how to get one', async (t) => {
  const hub = await fakeHub(t, (_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', code: 'Unauthorized', message: 'unknown token' }));
  });
  await t.rejects(runLogs('web', { server: hub.server }, collect().out), { message: /needs an access token.*flotilla access grant/ });
});

t.test('a hub that is not there is one line saying so', async (t) => {
  // Port 1 (tcpmux) has no listener on these machines: the connection is refused.
  await t.rejects(runLogs('web', { server: 'http://127.0.0.1:1' }, collect().out), { message: 'cannot reach the hub at http://127.0.0.1:1 (connection refused): start one with \'flotilla hub\', or point elsewhere with --server or FLOTILLA_SERVER' });
});
