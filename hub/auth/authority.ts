/**
 * The hub's certificate authority: made on first start in the data directory, it signs the
 * hub's own server certificate and each device's client certificate. A device's key is made
 * on the device (see shared/pki.ts); the hub sees only its request, so no device secret is
 * kept here that could leak, and a device is cut off by refusing its certificate.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { FlotillaError } from '../../shared/errors.js';
import { certificateFingerprint, generateKeyPair, KEY_ALGORITHM, privateKeyPem, SIGNING_ALGORITHM, x509 } from '../../shared/pki.js';
import { deviceNameProblem } from '../../shared/topics.js';

const CA_YEARS = 10;
const LEAF_DAYS = 397;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface IssuedCertificate {
  certificatePem: string;
  keyPem: string;
}

export interface CertificateAuthority {
  readonly certificatePem: string;
  /** What join tokens pin: `sha256:<hex>` of the CA certificate. */
  readonly fingerprint: string;
  /** A server certificate for the hub's TLS listeners, valid for these host names and addresses. */
  issueServerCertificate(hosts: readonly string[]): Promise<IssuedCertificate>;
  /** Signs a device's request; the request must be in the device's own name. */
  signDeviceRequest(requestPem: string, device: string): Promise<string>;
}

/** Opens the authority kept in `dir` (`ca.crt`, `ca.key`), making it on first use. */
export async function openAuthority(dir: string, name = 'Flotilla hub CA'): Promise<CertificateAuthority> {
  const certificateFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  if (!existsSync(certificateFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = await generateKeyPair();
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: `CN=${name}`,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + CA_YEARS * 365 * DAY_MS),
      keys: keys as unknown as CryptoKeyPair,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as CryptoKey),
      ],
    });
    // The key first: a certificate without its key would be found and fail at every start.
    writeFileSync(keyFile, privateKeyPem(keys.privateKey), { mode: 0o600 });
    writeFileSync(certificateFile, certificate.toString('pem'));
  }
  const certificatePem = readFileSync(certificateFile, 'utf8');
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(readFileSync(keyFile, 'utf8')).export({ type: 'pkcs8', format: 'der' }),
    KEY_ALGORITHM,
    false,
    ['sign'],
  );
  const issuer = new x509.X509Certificate(certificatePem);

  async function issue(subject: string, publicKey: x509.PublicKey | CryptoKey, extensions: x509.Extension[]): Promise<string> {
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject,
      issuer: issuer.subject,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
      publicKey,
      signingKey: signingKey as unknown as CryptoKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(issuer),
        ...extensions,
      ],
    });
    return certificate.toString('pem');
  }

  return {
    certificatePem,
    fingerprint: certificateFingerprint(certificatePem),
    async issueServerCertificate(hosts) {
      const keys = await generateKeyPair();
      const names = hosts.map((host) => (isIP(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host }));
      const certificatePem = await issue(`CN=${hosts[0] ?? 'flotilla-hub'}`, keys.publicKey as unknown as CryptoKey, [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
      ]);
      return { certificatePem, keyPem: privateKeyPem(keys.privateKey) };
    },
    async signDeviceRequest(requestPem, device) {
      const problem = deviceNameProblem(device);
      if (problem !== undefined) throw new FlotillaError('Invalid', `device name "${device}" ${problem}`);
      let request: x509.Pkcs10CertificateRequest;
      try {
        request = new x509.Pkcs10CertificateRequest(requestPem);
      } catch {
        throw new FlotillaError('Invalid', 'the certificate request cannot be read', { hint: 'send a PEM-encoded PKCS#10 request' });
      }
      if (!(await request.verify())) throw new FlotillaError('Invalid', 'the certificate request is not signed by its own key');
      const named = request.subjectName.getField('CN');
      if (named.length !== 1 || named[0] !== device) {
        throw new FlotillaError('Forbidden', `a request in the name of "${named.join(', ')}" cannot be signed for device ${device}`, {
          hint: 'a device asks for a certificate in its own name only',
        });
      }
      return issue(`CN=${device}`, request.publicKey, [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ]);
    },
  };
}

function serialNumber(): string {
  // Positive (top bit clear) and random, as RFC 5280 asks of a serial number.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
