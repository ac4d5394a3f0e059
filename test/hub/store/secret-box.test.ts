import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { SecretBox, loadSecretsKey, openSecretValues, sealSecretValues } from '../../../hub/store/secret-box.js';
import type { Secret } from '../../../shared/objects.js';

const key = (): Buffer => randomBytes(32);

t.test('a sealed value opens with the same key and associated data, and shows nothing of the plaintext', async (t) => {
  const box = new SecretBox(key());
  const sealed = box.seal('hunter2-plaintext', 'o!Secret!default/db');
  t.notMatch(sealed, /hunter2/);
  t.notMatch(Buffer.from(sealed.split(':')[1] ?? '', 'base64').toString('latin1'), /hunter2/);
  t.equal(box.open(sealed, 'o!Secret!default/db'), 'hunter2-plaintext');
});

t.test('sealing the same value twice gives two different texts: every seal has its own IV', async (t) => {
  const box = new SecretBox(key());
  const first = box.seal('same', 'ad');
  const second = box.seal('same', 'ad');
  t.not(first, second);
  t.equal(box.open(first, 'ad'), 'same');
  t.equal(box.open(second, 'ad'), 'same');
});

t.test('a sealed value does not open under other associated data, with another key, or when altered', async (t) => {
  const k = key();
  const box = new SecretBox(k);
  const sealed = box.seal('value', 'o!Secret!default/a');
  t.equal(box.open(sealed, 'o!Secret!default/b'), undefined, 'moved to another Secret');
  t.equal(new SecretBox(key()).open(sealed, 'o!Secret!default/a'), undefined, 'another key');
  const bytes = Buffer.from(sealed.slice(sealed.indexOf(':') + 1), 'base64');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  t.equal(box.open(`aes256gcm1:${bytes.toString('base64')}`, 'o!Secret!default/a'), undefined, 'one bit flipped');
  t.equal(box.open('plain text', 'o!Secret!default/a'), undefined, 'not sealed at all');
  t.equal(box.open('aes256gcm1:AAAA', 'o!Secret!default/a'), undefined, 'too short to be sealed');
});

t.test('refuses a key that is not 32 bytes', async (t) => {
  t.throws(() => new SecretBox(randomBytes(16)), RangeError);
});

t.test('makes a key file readable by its owner only on first use, and reads the same key back', async (t) => {
  const path = join(t.testdir(), 'nested', 'secrets.key');
  const made = await loadSecretsKey(path, { create: true });
  t.equal(made.created, true);
  t.equal(made.key.length, 32);
  t.equal((await stat(path)).mode & 0o777, 0o600);
  const again = await loadSecretsKey(path, { create: true });
  t.equal(again.created, false);
  t.same(again.key, made.key, 'the key is kept, never replaced');
  t.equal((await readFile(path, 'utf8')).trim(), made.key.toString('base64'));
});

t.test('refuses a key file that holds no key rather than replacing it', async (t) => {
  const path = join(t.testdir(), 'secrets.key');
  await writeFile(path, 'not a key\n');
  await t.rejects(loadSecretsKey(path, { create: true }), { code: 'Unavailable', message: /is not a key: it must hold 32 bytes in base64/ });
  t.equal(await readFile(path, 'utf8'), 'not a key\n');
});

t.test('refuses to make a key when told the store already needs one', async (t) => {
  const path = join(t.testdir(), 'secrets.key');
  await t.rejects(loadSecretsKey(path, { create: false }), { code: 'Unavailable', message: /secrets key .* is missing/, hint: /restore the key file/ });
  await t.rejects(stat(path), { code: 'ENOENT' }, 'no key was made');
});

t.test("a Secret's keys and values are sealed together, and everything else stays readable", async (t) => {
  const box = new SecretBox(key());
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'default', labels: { tier: 'data' } },
    type: 'Opaque',
    data: { 'db-password': Buffer.from('pa55').toString('base64') },
  };
  const sealed = sealSecretValues(box, secret, 'o!Secret!default/db');
  const text = JSON.stringify(sealed);
  t.notMatch(text, /db-password/);
  t.notMatch(text, new RegExp(secret.data?.['db-password'] ?? 'x'));
  t.match(sealed, { kind: 'Secret', type: 'Opaque', metadata: { name: 'db', labels: { tier: 'data' } } });
  t.same(openSecretValues(box, sealed as unknown as Secret, 'o!Secret!default/db'), secret);
  t.match(openSecretValues(box, sealed as unknown as Secret, 'o!Secret!default/other'), { problem: /copied from another Secret/ });
  t.match(openSecretValues(box, secret, 'o!Secret!default/db'), { problem: /stored without encryption/ });
});
