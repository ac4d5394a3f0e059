import t from 'tap';
import { createAccessToken, parseAccessToken, roleAllows, verifyAccessToken } from '../../../hub/auth/access-token.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');

t.test('an access token names its holder and the hub keeps only a hash of its secret', async (t) => {
  const { text, object } = createAccessToken({ name: 'alice', role: 'operator', ttlMs: 60_000, now: NOW });
  t.match(text, /^flotilla-access\.alice\.[\w-]{43}$/);
  t.notOk(JSON.stringify(object).includes(text.split('.')[2] ?? '?'), 'the secret is not stored');
  t.same(verifyAccessToken(text, object, NOW), { name: 'alice', role: 'operator' });
});

t.test('a wrong, foreign, revoked or expired token is refused with what to do', async (t) => {
  const { text, object } = createAccessToken({ name: 'alice', role: 'viewer', ttlMs: 60_000, now: NOW });
  const other = createAccessToken({ name: 'alice', role: 'viewer' });
  t.throws(() => verifyAccessToken(other.text, object, NOW), { code: 'Unauthorized', message: /not valid on this hub/, hint: /access grant/ });
  t.throws(() => verifyAccessToken(text, undefined, NOW), { code: 'Unauthorized', message: /access token alice is not valid/ });
  t.throws(() => verifyAccessToken(text, object, NOW + 60_000), { code: 'Unauthorized', message: /expired at 2026-11-22T12:01:00.000Z/ });
  t.throws(() => verifyAccessToken('flotilla1.abc.def', object, NOW), { code: 'Unauthorized', message: /not a Flotilla access token/ });
  t.equal(parseAccessToken('flotilla-access.alice.short'), undefined);
});

t.test('refuses a name that is not a DNS label and an unknown role, naming both', async (t) => {
  t.throws(() => createAccessToken({ name: 'Alice Smith', role: 'root' as 'admin' }), {
    code: 'Invalid',
    details: [{ field: 'name' }, { field: 'role', message: 'must be one of viewer, operator, admin' }],
  });
});

t.test('admin may do what an operator may, who may do what a viewer may, and not the other way', async (t) => {
  t.ok(roleAllows('admin', 'operator'));
  t.ok(roleAllows('operator', 'viewer'));
  t.ok(roleAllows('viewer', 'viewer'));
  t.notOk(roleAllows('viewer', 'operator'));
  t.notOk(roleAllows('operator', 'admin'));
});
