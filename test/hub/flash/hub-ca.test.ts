import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { checkedCa, fetchHubCa, readHubCa, type CaFetcher } from '../../../hub/flash/hub-ca.js';
import { HUB, hubCa, tempDir } from './fixtures.js';

function serving(status: number, body: string): CaFetcher {
  return async () => ({ status, headers: {}, body: Buffer.from(body) });
}

t.test("the hub's CA is taken when its fingerprint is the one the token pins", async (t) => {
  const ca = await hubCa(t);
  let asked = '';
  const pem = await fetchHubCa(HUB, ca.fingerprint, async (url) => {
    asked = url;
    return { status: 200, headers: {}, body: Buffer.from(ca.pem) };
  });
  t.equal(asked, 'https://hub.example:7080/api/v1/ca');
  t.equal(pem.trim(), ca.pem.trim());
});

t.test('a CA with another fingerprint is refused loudly, naming both, and says nothing was written', async (t) => {
  const pinned = await hubCa(t);
  const other = await hubCa(t);
  await t.rejects(fetchHubCa(HUB, pinned.fingerprint, serving(200, other.pem)), {
    code: 'Forbidden',
    message: new RegExp(`^REFUSED: the CA served by ${HUB} has fingerprint ${other.fingerprint}, but the join token pins ${pinned.fingerprint}\\. Nothing was written\\.$`),
    hint: /another hub, or something between you and the hub/,
  });
});

t.test('a file with the pinned CA and another certificate besides is refused', async (t) => {
  const pinned = await hubCa(t);
  const other = await hubCa(t);
  t.throws(() => checkedCa(`${pinned.pem}${other.pem}`, pinned.fingerprint, 'the CA'), { code: 'Invalid', message: /not one PEM certificate \(found 2\)/ });
});

t.test('--ca-file is checked against the token just the same', async (t) => {
  const pinned = await hubCa(t);
  const other = await hubCa(t);
  const dir = await tempDir(t);
  await writeFile(join(dir, 'good.pem'), pinned.pem);
  await writeFile(join(dir, 'other.pem'), other.pem);
  t.equal(readHubCa(join(dir, 'good.pem'), pinned.fingerprint).trim(), pinned.pem.trim());
  t.throws(() => readHubCa(join(dir, 'other.pem'), pinned.fingerprint), { code: 'Forbidden', message: /--ca-file .*other\.pem has fingerprint/ });
  t.throws(() => readHubCa(join(dir, 'missing.pem'), pinned.fingerprint), { code: 'NotFound', message: /cannot read --ca-file .*missing\.pem: ENOENT/ });
});

t.test('a hub that answers something else than its CA is an error that suggests --ca-file', async (t) => {
  const ca = await hubCa(t);
  await t.rejects(fetchHubCa(HUB, ca.fingerprint, serving(404, '{"kind":"Status"}')), { code: 'Unavailable', message: /answered 404/, hint: /--ca-file/ });
  await t.rejects(fetchHubCa(HUB, ca.fingerprint, serving(200, 'hello')), { code: 'Invalid', message: /not one PEM certificate/ });
});

t.test('a hub that cannot be reached is an error naming the address and suggesting --ca-file', async (t) => {
  const ca = await hubCa(t);
  // A port that was just free: nothing listens there.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.rejects(fetchHubCa(`https://127.0.0.1:${port}`, ca.fingerprint), {
    code: 'Unavailable',
    message: `cannot fetch the hub's CA from https://127.0.0.1:${port}/api/v1/ca (ECONNREFUSED)`,
    hint: /--ca-file/,
  });
});
