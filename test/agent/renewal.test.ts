import { join } from 'node:path';
import t from 'tap';
import { renewalDue } from '../../agent/renewal.js';
import { openAuthority } from '../../hub/auth/authority.js';
import { createDeviceRequest } from '../../shared/pki.js';

const DAY_MS = 24 * 60 * 60 * 1000;

t.test('a certificate is renewed once two thirds of its life have passed, not before', async (t) => {
  const authority = await openAuthority(join(t.testdir(), 'pki'));
  const { requestPem } = await createDeviceRequest('cam-7');
  const certificate = await authority.signDeviceRequest(requestPem, 'cam-7');
  const now = Date.now();
  t.notOk(renewalDue(certificate, now), 'a new certificate');
  t.notOk(renewalDue(certificate, now + 200 * DAY_MS), 'at about half its life');
  t.ok(renewalDue(certificate, now + 270 * DAY_MS), 'at about two thirds');
  t.ok(renewalDue(certificate, now + 500 * DAY_MS), 'once expired');
});
