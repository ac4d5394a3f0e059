import t from 'tap';
import { createJoinToken, parseJoinToken, redeemJoinToken } from '../../../hub/auth/join-token.js';

const CA = `sha256:${'ab'.repeat(32)}`;
const HUB = 'https://hub.example:7080';
const NOW = Date.parse('2026-11-22T12:00:00Z');

t.test('a token carries the hub and its CA fingerprint, and the hub keeps only a hash of its secret', async (t) => {
  const { text, object } = createJoinToken({ hub: HUB, caFingerprint: CA, labels: { site: 'plant-3' }, ttlMs: 3_600_000, uses: 2, now: NOW });
  t.match(text, /^flotilla1\.[\w-]+\.[\w-]+$/);
  const { claims, secret } = parseJoinToken(text);
  t.same(claims, { hub: HUB, ca: CA, id: object.metadata.name });
  t.notOk(JSON.stringify(object).includes(secret.toString('base64url')), 'the secret is not in the stored object');
  t.same(object.spec.labels, { site: 'plant-3' });
  t.equal(object.spec.expiresAt, '2026-11-22T13:00:00.000Z');
  t.equal(object.spec.uses, 2);
  t.same(object.status, { used: 0 });
});

t.test('redeeming counts a use and names the device, and a used-up, expired or revoked token is refused saying so', async (t) => {
  const { text, object } = createJoinToken({ hub: HUB, caFingerprint: CA, ttlMs: 60_000, uses: 1, now: NOW });
  const presented = { id: object.metadata.name, secret: parseJoinToken(text).secret };
  const after = redeemJoinToken(object, presented, 'cam-1', NOW);
  t.same(after.status, { used: 1, lastUsedAt: '2026-11-22T12:00:00.000Z', devices: ['cam-1'] });
  t.throws(() => redeemJoinToken(after, presented, 'cam-2', NOW), { code: 'Forbidden', message: /used up/, hint: /flotilla token create/ });
  t.throws(() => redeemJoinToken(object, presented, 'cam-2', NOW + 60_000), { code: 'Forbidden', message: /expired at 2026-11-22T12:01:00.000Z/ });
  t.throws(() => redeemJoinToken({ ...object, spec: { ...object.spec, revoked: true } }, presented, 'cam-2', NOW), { code: 'Forbidden', message: /revoked/ });
});

t.test('a wrong secret and an unknown token get the same answer', async (t) => {
  const { object } = createJoinToken({ hub: HUB, caFingerprint: CA });
  const id = object.metadata.name;
  const wrong = { id, secret: Buffer.alloc(32, 7) };
  t.throws(() => redeemJoinToken(object, wrong, 'cam-1'), { code: 'Unauthorized', message: `join token ${id} is not known to this hub` });
  t.throws(() => redeemJoinToken(undefined, wrong, 'cam-1'), { code: 'Unauthorized', message: `join token ${id} is not known to this hub` });
});

t.test('a token without expiry or use limit keeps working, remembering the latest twenty devices', async (t) => {
  const { text, object } = createJoinToken({ hub: HUB, caFingerprint: CA });
  const presented = { id: object.metadata.name, secret: parseJoinToken(text).secret };
  let token = object;
  for (let i = 0; i < 25; i++) token = redeemJoinToken(token, presented, `cam-${i}`);
  t.equal(token.status?.used, 25);
  t.equal(token.status?.devices?.length, 20);
  t.equal(token.status?.devices?.at(-1), 'cam-24');
});

t.test('text that is not a whole token is refused with what is wrong and what to paste', async (t) => {
  const { text } = createJoinToken({ hub: HUB, caFingerprint: CA });
  t.throws(() => parseJoinToken('K10abc::server:secret'), { code: 'Invalid', message: 'this is not a Flotilla join token', hint: /flotilla token create/ });
  t.throws(() => parseJoinToken(text.split('.').slice(0, 2).join('.')), { code: 'Invalid', message: /cut short/ });
  t.throws(() => parseJoinToken(`flotilla1.bm90IGpzb24.${text.split('.')[2]}`), { code: 'Invalid', message: /claims cannot be read/ });
  t.throws(() => parseJoinToken(`${text.slice(0, -4)}`), { code: 'Invalid', message: /secret is the wrong length/ });
  t.same(parseJoinToken(`  ${text}\n`).claims.hub, HUB, 'surrounding white space from a paste is ignored');
});

t.test('refuses a CA fingerprint that is not sha256 hex, a use count below one and a ttl of zero', async (t) => {
  t.throws(() => createJoinToken({ hub: HUB, caFingerprint: 'md5:abc' }), { code: 'Invalid', message: /sha256/ });
  t.throws(() => createJoinToken({ hub: HUB, caFingerprint: CA, uses: 0 }), { code: 'Invalid', message: /--uses/ });
  t.throws(() => createJoinToken({ hub: HUB, caFingerprint: CA, ttlMs: 0 }), { code: 'Invalid', message: /--ttl/ });
});
