/**
 * Certificates run out (about 13 months); a device in a cabinet must not. The agent renews
 * once two thirds of its certificate's life have passed, with a new key made here, asking
 * with the certificate it has. A hub that cannot be reached is asked again at the next check:
 * there are months of margin.
 */
import { X509Certificate } from 'node:crypto';
import { FlotillaError, isErrorBody } from '../shared/errors.js';
import { httpRequest } from '../shared/http-client.js';
import { createDeviceRequest } from '../shared/pki.js';
import type { DeviceIdentity } from './identity.js';

/** How often the agent looks at its certificate's age. */
export const RENEWAL_CHECK_MS = 12 * 60 * 60 * 1000;

/** Whether the certificate has used two thirds of its life at `now`. */
export function renewalDue(certificatePem: string, now: number = Date.now()): boolean {
  const certificate = new X509Certificate(certificatePem);
  const from = Date.parse(certificate.validFrom);
  const to = Date.parse(certificate.validTo);
  return now >= from + ((to - from) * 2) / 3;
}

/** The identity with a new key and certificate; the hub keeps only the new one from now on. */
export async function renewIdentity(identity: DeviceIdentity): Promise<DeviceIdentity> {
  if (identity.apiUrl === undefined) throw new Error('the identity does not name the hub API to renew at; enrol again to renew');
  const { requestPem, keyPem } = await createDeviceRequest(identity.device);
  const response = await httpRequest({
    url: `${identity.apiUrl}/api/v1/renew`,
    method: 'POST',
    ca: identity.caPem,
    cert: identity.certificatePem,
    key: identity.keyPem,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ csr: requestPem }),
  });
  const body: unknown = JSON.parse(response.body.toString('utf8') || 'null');
  if (response.status !== 200) {
    if (isErrorBody(body)) throw FlotillaError.fromBody(body);
    throw new Error(`the hub answered HTTP ${response.status} to the renewal`);
  }
  const certificate = (body as { certificate?: unknown }).certificate;
  if (typeof certificate !== 'string') throw new Error('the hub answered the renewal without a certificate');
  return { ...identity, keyPem, certificatePem: certificate };
}
