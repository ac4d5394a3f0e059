/**
 * The hub's CA for a bundle, trusted only when its fingerprint is the one the join token
 * pins. It is fetched without checking the hub's certificate (there is nothing yet to check
 * it against); the fingerprint check is what makes the answer trustworthy, as it is for the
 * agent when it enrols.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FlotillaError } from '../../shared/errors.js';
import { httpRequest, type HttpResponse } from '../../shared/http-client.js';
import { certificateFingerprint } from '../../shared/pki.js';

/** Fetches `GET <hub>/api/v1/ca`; swapped out by tests. */
export type CaFetcher = (url: string) => Promise<HttpResponse>;

const fetchWithoutVerifying: CaFetcher = (url) => httpRequest({ url, rejectUnauthorized: false, timeoutMs: 15_000 });

/** The CA PEM from the hub the token names, checked against the token's fingerprint. */
export async function fetchHubCa(hub: string, pinnedFingerprint: string, fetch: CaFetcher = fetchWithoutVerifying): Promise<string> {
  const url = new URL('/api/v1/ca', hub).toString();
  let response: HttpResponse;
  try {
    response = await fetch(url);
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
    throw new FlotillaError('Unavailable', `cannot fetch the hub's CA from ${url} (${reason})`, {
      hint: "is the hub running and reachable from here? Offline, give its CA with --ca-file (the hub keeps it in <data dir>/pki/ca.crt)",
    });
  }
  if (response.status !== 200) {
    throw new FlotillaError('Unavailable', `the hub answered ${response.status} to GET ${url}, not its CA`, {
      hint: 'the token may name an older hub or another service; give the CA with --ca-file',
    });
  }
  return checkedCa(response.body.toString('utf8'), pinnedFingerprint, `the CA served by ${hub}`);
}

/** A CA PEM read from a file, checked against the token's fingerprint. */
export function readHubCa(file: string, pinnedFingerprint: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FlotillaError('NotFound', `cannot read --ca-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return checkedCa(pem, pinnedFingerprint, `--ca-file ${file}`);
}

/** The PEM, when it is one certificate whose fingerprint is the pinned one; a loud refusal otherwise. */
export function checkedCa(pem: string, pinnedFingerprint: string, what: string): string {
  // One certificate only: any other in the file would be trusted by the device unchecked.
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  let fingerprint: string;
  let canonical: string;
  try {
    if (certificates !== 1) throw new Error(`${certificates} certificates`);
    fingerprint = certificateFingerprint(pem);
    canonical = new X509Certificate(pem).toString();
  } catch {
    throw new FlotillaError('Invalid', `${what} is not one PEM certificate (found ${certificates})`, { hint: "the hub's CA is <data dir>/pki/ca.crt on the hub" });
  }
  if (fingerprint !== pinnedFingerprint) {
    throw new FlotillaError('Forbidden', `REFUSED: ${what} has fingerprint ${fingerprint}, but the join token pins ${pinnedFingerprint}. Nothing was written.`, {
      hint: 'either the token was made by another hub, or something between you and the hub is answering in its place; make a token on the hub you mean (flotilla token create) and check the address it names',
    });
  }
  return canonical.endsWith('\n') ? canonical : `${canonical}\n`;
}
