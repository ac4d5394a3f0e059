import t from 'tap';
import { describeJoinToken, joinTokenRequest, parseTokenLabels, parseTtl, parseUses } from '../../../../hub/cli/commands/token.js';
import type { JoinToken } from '../../../../shared/objects.js';

t.test('a ttl is minutes, hours, days, seconds, or units together', (t) => {
  t.equal(parseTtl('30m'), 1800);
  t.equal(parseTtl('24h'), 86_400);
  t.equal(parseTtl('7d'), 604_800);
  t.equal(parseTtl('90'), 90);
  t.equal(parseTtl('45s'), 45);
  t.equal(parseTtl('1h30m'), 5400);
  t.equal(parseTtl(' 2D '), 172_800, 'case and surrounding blanks do not matter');
  t.end();
});

t.test('a bad ttl is a usage error naming the flag and the forms it takes', (t) => {
  for (const text of ['', 'soon', '3w', '1.5h', '-5m', 'h', '10 m']) {
    t.throws(() => parseTtl(text), { message: `invalid --ttl "${text}": not a duration`, exitCode: 2, hint: /30m, 24h, 7d/ }, text);
  }
  t.throws(() => parseTtl('0'), { message: 'invalid --ttl "0": must be longer than zero' });
  t.throws(() => parseTtl('0h'), { message: /must be longer than zero/ });
  t.throws(() => parseTtl('1h2h'), { message: /a unit appears twice/ });
  t.throws(() => parseTtl('99999999999999999999d'), { message: /too long/ });
  t.throws(() => parseTtl('x', '--expires'), { message: /^invalid --expires "x"/ }, 'the flag named is the one given');
  t.end();
});

t.test('uses is a whole number of at least one', (t) => {
  t.equal(parseUses('1'), 1);
  t.equal(parseUses('25'), 25);
  for (const text of ['0', '-1', '1.5', 'ten', '']) {
    t.throws(() => parseUses(text), { message: `invalid --uses "${text}": must be a whole number of at least 1`, exitCode: 2 }, text);
  }
  t.end();
});

t.test('labels are key=value pairs; a bad one names --labels and what is wrong', (t) => {
  t.same(parseTokenLabels('role=camera,site=plant-3'), { role: 'camera', site: 'plant-3' });
  t.same(parseTokenLabels(''), {});
  t.throws(() => parseTokenLabels('role'), { message: /^invalid --labels "role": /, exitCode: 2 });
  t.throws(() => parseTokenLabels('role=Camera Two'), { message: /^invalid --labels "role=Camera Two": .*Camera Two/ });
  t.end();
});

t.test('the create request carries only the flags given, checked before anything is sent', (t) => {
  t.same(joinTokenRequest({}), {});
  t.same(joinTokenRequest({ labels: 'site=a', ttl: '24h', uses: '3' }), { labels: { site: 'a' }, ttlSeconds: 86_400, uses: 3 });
  t.throws(() => joinTokenRequest({ ttl: '24h', uses: 'many' }), { message: /--uses "many"/ });
  t.end();
});

t.test('what stderr says of a new token is its id, expiry, uses and labels, never its secret hash', (t) => {
  const token: JoinToken = {
    apiVersion: 'flotilla.io/v1',
    kind: 'JoinToken',
    metadata: { name: '4f9a1c2b7d3e' },
    spec: { secretHash: 'sha256:abc', labels: { site: 'a', role: 'camera' }, expiresAt: '2030-01-02T03:04:05.000Z', uses: 1 },
  };
  t.equal(describeJoinToken(token), 'join token 4f9a1c2b7d3e, expires 2030-01-02T03:04:05.000Z, 1 use, labels role=camera,site=a');
  const open: JoinToken = { ...token, spec: { secretHash: 'sha256:abc', labels: {} } };
  t.equal(describeJoinToken(open), 'join token 4f9a1c2b7d3e, expires never, unlimited uses');
  t.end();
});
