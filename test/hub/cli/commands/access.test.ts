import t from 'tap';
import { accessTokenRequest } from '../../../../hub/cli/commands/access.js';

t.test('a grant carries the name, the role and the ttl in seconds', (t) => {
  t.same(accessTokenRequest('ci-deploy', { role: 'operator' }), { name: 'ci-deploy', role: 'operator' });
  t.same(accessTokenRequest('alice', { role: 'viewer', ttl: '30d' }), { name: 'alice', role: 'viewer', ttlSeconds: 2_592_000 });
  t.end();
});

t.test('a name that cannot be part of a token is refused before anything is sent', (t) => {
  t.throws(() => accessTokenRequest('alice.smith', { role: 'viewer' }), { message: /^invalid access token name "alice\.smith": /, exitCode: 2 });
  t.throws(() => accessTokenRequest('Bob', { role: 'viewer' }), { message: /^invalid access token name "Bob"/ });
  t.end();
});

t.test('the role must be given and be viewer, operator or admin; a bad ttl names --ttl', (t) => {
  t.throws(() => accessTokenRequest('alice', {}), { message: 'say what the token may do with --role viewer|operator|admin', exitCode: 2 });
  t.throws(() => accessTokenRequest('alice', { role: 'root' }), { message: 'invalid --role "root": must be one of viewer, operator, admin' });
  t.throws(() => accessTokenRequest('alice', { role: 'admin', ttl: 'forever' }), { message: /^invalid --ttl "forever"/ });
  t.end();
});
