/**
 * The device's side of Flotilla's certificates: a key made on the device that never leaves
 * it, the certificate request the hub signs, and the fingerprint a join token pins the hub's
 * CA by. ECDSA P-256 throughout: small keys and fast handshakes on a Raspberry Pi Zero.
 */
// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import { createHash, KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** The X.509 library, ready to use: import it from here, never directly, so the setup above comes first. */
export { x509 };

export const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** `sha256:<hex>` of a certificate's DER bytes, as `openssl x509 -fingerprint -sha256` shows it (lower case, no colons). */
export function certificateFingerprint(certificatePem: string): string {
  return `sha256:${createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex')}`;
}

export async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

export function privateKeyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A new key for the device and a request, in its name, for the hub to sign. */
export async function createDeviceRequest(device: string): Promise<{ requestPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${device}`,
    keys: keys as unknown as CryptoKeyPair,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return { requestPem: request.toString('pem'), keyPem: privateKeyPem(keys.privateKey) };
}
