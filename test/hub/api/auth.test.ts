import t from 'tap';
import { requiredRole } from '../../../hub/api/auth.js';

t.test('health, the CA and enrolment need no token', async (t) => {
  t.equal(requiredRole('GET', '/healthz'), 'public');
  t.equal(requiredRole('GET', '/api/v1/ca'), 'public');
  t.equal(requiredRole('POST', '/api/v1/enroll'), 'public');
  t.equal(requiredRole('GET', '/api/v1/enroll'), 'viewer', 'only the POST of enrolment is open');
});

t.test('reads need a viewer, changes an operator', async (t) => {
  t.equal(requiredRole('GET', '/api/v1/devices?labelSelector=a'), 'viewer');
  t.equal(requiredRole('HEAD', '/api/v1/namespaces/default/pods'), 'viewer');
  t.equal(requiredRole('POST', '/api/v1/apply'), 'operator');
  t.equal(requiredRole('PATCH', '/api/v1/devices/cam-1/labels'), 'operator');
  t.equal(requiredRole('DELETE', '/api/v1/namespaces/default/deployments/web'), 'operator');
});

t.test('credentials and removing a device need an admin, whatever the spelling of the kind', async (t) => {
  t.equal(requiredRole('GET', '/api/v1/jointokens'), 'admin');
  t.equal(requiredRole('GET', '/api/v1/accesstokens/alice'), 'admin');
  t.equal(requiredRole('POST', '/api/v1/jointokens/abc123/revoke'), 'admin');
  t.equal(requiredRole('GET', '/api/v1/JoinToken'), 'admin');
  t.equal(requiredRole('DELETE', '/api/v1/devices/cam-1'), 'admin');
  t.equal(requiredRole('DELETE', '/api/v1/dev/cam-1'), 'admin');
});
