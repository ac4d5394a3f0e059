import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openAuthority } from '../../../../hub/auth/authority.js';
import { contextTable, fetchTrustedCa, parseFingerprint, tokenHolder, viewOf } from '../../../../hub/cli/commands/config.js';
import type { CliConfig } from '../../../../hub/cli/config-file.js';

const HEX = '9f2c'.repeat(16);

t.test("a fingerprint is taken as Flotilla prints it or as openssl does", (t) => {
  t.equal(parseFingerprint(`sha256:${HEX}`), `sha256:${HEX}`);
  t.equal(parseFingerprint(`SHA256:${HEX.toUpperCase()}`), `sha256:${HEX}`);
  t.equal(parseFingerprint(HEX.toUpperCase().match(/../g)?.join(':') ?? ''), `sha256:${HEX}`, 'colon-separated, upper case');
  t.throws(() => parseFingerprint('sha256:abc'), { message: 'invalid --ca-fingerprint "sha256:abc": must be sha256: and 64 hex digits', exitCode: 2 });
  t.throws(() => parseFingerprint(`md5:${HEX}`), { message: /^invalid --ca-fingerprint/ });
  t.end();
});

const CONFIG: CliConfig = {
  apiVersion: 'flotilla.io/v1',
  kind: 'Config',
  'current-context': 'plant',
  contexts: [
    { name: 'plant', server: 'https://plant:7080', 'certificate-authority-data': 'TFMwdExT', token: 'flotilla-access.alice.c2VjcmV0' },
    { name: 'lab', server: 'http://lab:7080', 'certificate-authority': '/etc/lab-ca.pem' },
  ],
};

t.test('config view hides tokens and CA data unless raw', (t) => {
  const view = viewOf(CONFIG, false);
  t.equal(view.contexts[0]?.token, 'REDACTED');
  t.equal(view.contexts[0]?.['certificate-authority-data'], 'DATA+OMITTED');
  t.equal(view.contexts[1]?.['certificate-authority'], '/etc/lab-ca.pem', 'a file path is not a secret');
  t.equal(CONFIG.contexts[0]?.token, 'flotilla-access.alice.c2VjcmV0', 'the config itself is untouched');
  t.same(viewOf(CONFIG, true), CONFIG);
  t.end();
});

t.test('get-contexts marks the current one and shows whose token each holds, never the token', (t) => {
  t.equal(tokenHolder('flotilla-access.ci-deploy.abc'), 'ci-deploy');
  t.equal(tokenHolder('something-else'), '(set)');
  t.equal(tokenHolder(undefined), '');
  const lines = contextTable(CONFIG).split('\n');
  t.same(lines[0]?.split(/ {3,}/), ['CURRENT', 'NAME', 'SERVER', 'CA', 'TOKEN']);
  t.match(lines[1] ?? '', /^\* +plant +https:\/\/plant:7080 +embedded +alice$/);
  t.match(lines[2] ?? '', /^ +lab +http:\/\/lab:7080 +\/etc\/lab-ca\.pem +<none>$/);
  t.notMatch(contextTable(CONFIG), /c2VjcmV0/);
  t.end();
});

async function hubServing(t: { teardown(fn: () => unknown): void }, names: string[]): Promise<{ port: number; caPem: string; fingerprint: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-trust-'));
  const authority = await openAuthority(join(dir, 'pki'));
  const { certificatePem, keyPem } = await authority.issueServerCertificate(names);
  const server = createServer({ cert: certificatePem, key: keyPem }, (request, response) => {
    if (request.url === '/api/v1/ca') {
      response.setHeader('content-type', 'application/x-pem-file');
      response.end(authority.certificatePem);
    } else response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return { port: (server.address() as AddressInfo).port, caPem: authority.certificatePem, fingerprint: authority.fingerprint };
}

t.test("the hub's CA is taken when its fingerprint is the one given", async (t) => {
  const hub = await hubServing(t, ['127.0.0.1']);
  t.equal(await fetchTrustedCa(`https://127.0.0.1:${hub.port}`, hub.fingerprint), hub.caPem);
});

t.test('a CA with another fingerprint is refused, naming both', async (t) => {
  const hub = await hubServing(t, ['127.0.0.1']);
  const wrong = `sha256:${'0'.repeat(64)}`;
  await t.rejects(fetchTrustedCa(`https://127.0.0.1:${hub.port}`, wrong), {
    message: new RegExp(`has fingerprint ${hub.fingerprint}, not ${wrong}; nothing was saved`),
  });
});

t.test("a hub whose certificate does not name the address used is refused before its CA is kept", async (t) => {
  const hub = await hubServing(t, ['hub.example']);
  await t.rejects(fetchTrustedCa(`https://127.0.0.1:${hub.port}`, hub.fingerprint), {
    message: /^cannot trust the hub at https:\/\/127\.0\.0\.1:\d+: its certificate is not for this address \(127\.0\.0\.1 is not among its names: DNS:hub\.example\)/,
  });
});
