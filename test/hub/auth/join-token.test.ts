import t from 'tap';
import { createJoinToken, parseJoinToken, redeemJoinToken } from '../../../hub/auth/join-token.js';

const CA = `sha256:${'ab'.repeat(32)}`;
const HUB = 'mqtts://hub.example:8883';
const NOW = Date.parse('2026-11-22T12:00:00Z');

t.test('a token carries the hub and its CA fingerprint, and the hub keeps only a hash of its secret', async (t) => {
  const { text, record } = createJoinToken({ hub: HUB, caFingerprint: CA, labels: { site: 'plant-3' }, ttlMs: 3_600_000, uses: 2, now: NOW });
  t.match(text, /^flotilla1\.[\w-]+\.[\w-]+$/);
  const { claims, secret } = parseJoinToken(text);
  t.same(claims, { hub: HUB, ca: CA, id: record.id });
  t.notOk(JSON.stringify(record).includes(secret.toString('base64url')), 'the secret is not in the record');
  t.same(record.labels, { site: 'plant-3' });
  t.equal(record.expiresAt, '2026-11-22T13:00:00.000Z');
  t.equal(record.usesLeft, 2);
});

t.test('redeeming counts a use, and a used-up, expired or revoked token is refused saying so', async (t) => {
  const { text, record } = createJoinToken({ hub: HUB, caFingerprint: CA, ttlMs: 60_000, uses: 1, now: NOW });
  const presented = { id: record.id, secret: parseJoinToken(text).secret };
  const after = redeemJoinToken(record, presented, NOW);
  t.equal(after.usesLeft, 0);
  t.throws(() => redeemJoinToken(after, presented, NOW), { code: 'Forbidden', message: /used up/, hint: /flotilla token create/ });
  t.throws(() => redeemJoinToken(record, presented, NOW + 60_000), { code: 'Forbidden', message: /expired at 2026-11-22T12:01:00.000Z/ });
  t.throws(() => redeemJoinToken({ ...record, revoked: true }, presented, NOW), { code: 'Forbidden', message: /revoked/ });
});

t.test('a wrong secret and an unknown token get the same answer', async (t) => {
  const { record } = createJoinToken({ hub: HUB, caFingerprint: CA });
  const wrong = { id: record.id, secret: Buffer.alloc(32, 7) };
  t.throws(() => redeemJoinToken(record, wrong), { code: 'Unauthorized', message: `join token ${record.id} is not known to this hub` });
  t.throws(() => redeemJoinToken(undefined, wrong), { code: 'Unauthorized', message: `join token ${record.id} is not known to this hub` });
});

t.test('a token without expiry or use limit keeps working', async (t) => {
  const { text, record } = createJoinToken({ hub: HUB, caFingerprint: CA });
  const presented = { id: record.id, secret: parseJoinToken(text).secret };
  t.equal(redeemJoinToken(redeemJoinToken(record, presented), presented), record);
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
