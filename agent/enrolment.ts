/**
 * First start with a join token: find the hub the token names, check it is the hub (its CA's
 * fingerprint is the one the token pins) before sending anything, make a key here, and trade
 * the token and a certificate request for the device's certificate.
 *
 * A hub that cannot be reached yet (no network on first boot) is tried again with back-off;
 * a hub that refuses (token used up, expired, revoked, another hub's) is final: trying again
 * would not change its answer.
 */
import { backoffDelay } from '../shared/backoff.js';
import { FlotillaError, isErrorBody } from '../shared/errors.js';
import { httpRequest } from '../shared/http-client.js';
import { parseJoinToken } from '../shared/join-token.js';
import type { Logger } from '../shared/log.js';
import { certificateFingerprint, createDeviceRequest } from '../shared/pki.js';
import type { DeviceIdentity } from './identity.js';

export interface EnrolmentOptions {
  token: string;
  device: string;
  labels: Record<string, string>;
  /** The hub's CA from the install bundle; still checked against the token. */
  caPem?: string;
  log: Logger;
  /** Attempts while the hub cannot be reached; default: without end. */
  attempts?: number;
  retry?: { baseMs: number; maxMs: number };
}

/** A refusal from the hub, final: the message says why and what to do. */
export class EnrolmentRefused extends Error {}

export async function enrol(options: EnrolmentOptions): Promise<DeviceIdentity> {
  // Read first: a damaged token is refused before anything goes on the network.
  const { claims } = parseJoinToken(options.token);
  const retry = options.retry ?? { baseMs: 2_000, maxMs: 60_000 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await enrolOnce(options, claims.hub, claims.ca);
    } catch (error) {
      if (error instanceof EnrolmentRefused || attempt + 1 >= (options.attempts ?? Infinity)) throw error;
      const delayMs = backoffDelay(attempt, { ...retry, jitter: 0.5 });
      options.log.warn({ hub: claims.hub, err: (error as Error).message, delayMs }, 'cannot reach the hub to enrol yet; trying again');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

async function enrolOnce(options: EnrolmentOptions, hub: string, pinned: string): Promise<DeviceIdentity> {
  const caPem = options.caPem ?? (await httpRequest({ url: `${hub}/api/v1/ca`, rejectUnauthorized: false, timeoutMs: 15_000 })).body.toString('utf8');
  let fingerprint: string;
  try {
    fingerprint = certificateFingerprint(caPem);
  } catch {
    throw new EnrolmentRefused(`${hub} did not answer with a CA certificate: is it a Flotilla hub?`);
  }
  if (fingerprint !== pinned) {
    throw new EnrolmentRefused(
      `the hub at ${hub} is not the one this join token was made for: its CA is ${fingerprint}, the token pins ${pinned}. Nothing was sent to it. Check the address, or get a token from that hub.`,
    );
  }
  const { requestPem, keyPem } = await createDeviceRequest(options.device);
  const response = await httpRequest({
    url: `${hub}/api/v1/enroll`,
    method: 'POST',
    ca: caPem,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token: options.token.trim(), device: options.device, csr: requestPem, labels: options.labels }),
    timeoutMs: 30_000,
  });
  const body: unknown = JSON.parse(response.body.toString('utf8') || 'null');
  // A conflict or an overloaded hub may answer differently next time; anything else it refused is final.
  const transient = (isErrorBody(body) && body.code === 'Conflict') || response.status === 429 || response.status >= 500;
  if (response.status >= 400 && !transient && isErrorBody(body)) {
    const refusal = FlotillaError.fromBody(body);
    throw new EnrolmentRefused(`the hub refused to enrol ${options.device}: ${refusal.message}${refusal.hint ? ` (${refusal.hint})` : ''}`);
  }
  if (response.status !== 200) throw new Error(`the hub answered HTTP ${response.status} to the enrolment`);
  const answer = body as { device?: unknown; certificate?: unknown; mqttUrl?: unknown; ca?: unknown };
  if (answer.device !== options.device || typeof answer.certificate !== 'string' || typeof answer.mqttUrl !== 'string') {
    throw new EnrolmentRefused('the hub answered the enrolment with something other than a certificate for this device');
  }
  return { device: options.device, mqttUrl: answer.mqttUrl, apiUrl: hub, keyPem, certificatePem: answer.certificate, caPem };
}
