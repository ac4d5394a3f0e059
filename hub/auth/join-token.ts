/**
 * Join tokens: what a person pastes onto a new device so it joins the fleet in one step.
 *
 * A token carries what the device needs before it trusts anyone: where the hub is and the
 * SHA-256 fingerprint of the hub's CA, so the device checks the hub before sending a byte
 * (K3s' secure token does the same); then an id and a secret proving the device may join.
 * The hub keeps only a hash of the secret, with the token's labels, expiry and uses left, so
 * a copy of the hub's data joins nothing.
 *
 *   flotilla1.<base64url JSON {hub, ca, id}>.<base64url secret>
 */
import { randomBytes } from 'node:crypto';
import { FlotillaError } from '../../shared/errors.js';
import type { JoinToken, Labels } from '../../shared/objects.js';
import { JOIN_TOKEN_PREFIX, type JoinTokenClaims } from '../../shared/join-token.js';
import { matchesHash, newSecret, secretHash } from './secret-hash.js';

export { parseJoinToken, type JoinTokenClaims } from '../../shared/join-token.js';

const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;
/** Devices a token's status names: the latest enrolments, enough to trace a leaked token. */
const DEVICES_KEPT = 20;

export interface NewJoinToken {
  /** The text to hand to the device, shown once. */
  text: string;
  /** What the hub stores: named by the id, holding a hash of the secret. */
  object: JoinToken;
}

export function createJoinToken(options: {
  hub: string;
  caFingerprint: string;
  labels?: Labels;
  ttlMs?: number;
  uses?: number;
  now?: number;
}): NewJoinToken {
  if (!FINGERPRINT.test(options.caFingerprint)) {
    throw new FlotillaError('Invalid', `a CA fingerprint must be sha256:<64 hex digits>, got "${options.caFingerprint}"`);
  }
  if (options.uses !== undefined && (!Number.isInteger(options.uses) || options.uses < 1)) {
    throw new FlotillaError('Invalid', `--uses must be a whole number of at least 1, got ${options.uses}`, { details: [{ field: 'uses', message: 'must be a whole number of at least 1' }] });
  }
  if (options.ttlMs !== undefined && !(options.ttlMs > 0)) {
    throw new FlotillaError('Invalid', `--ttl must be longer than zero`, { details: [{ field: 'ttlSeconds', message: 'must be more than zero' }] });
  }
  const id = randomBytes(6).toString('hex');
  const secret = newSecret();
  const claims: JoinTokenClaims = { hub: options.hub, ca: options.caFingerprint, id };
  const text = `${JOIN_TOKEN_PREFIX}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${secret.toString('base64url')}`;
  const spec: JoinToken['spec'] = { secretHash: secretHash(secret), labels: { ...options.labels } };
  if (options.ttlMs !== undefined) spec.expiresAt = new Date((options.now ?? Date.now()) + options.ttlMs).toISOString();
  if (options.uses !== undefined) spec.uses = options.uses;
  return { text, object: { apiVersion: 'flotilla.io/v1', kind: 'JoinToken', metadata: { name: id }, spec, status: { used: 0 } } };
}

/**
 * Checks a presented secret against the stored token at `now`, and returns the token as it
 * stands after `device` enrolled with it (one use more). Refusals say why and what to do.
 */
export function redeemJoinToken(
  token: JoinToken | undefined,
  presented: { id: string; secret: Buffer },
  device: string,
  now: number = Date.now(),
): JoinToken {
  const askAgain = 'ask an administrator for a new one: flotilla token create';
  if (token === undefined || !matchesHash(token.spec.secretHash, presented.secret)) {
    // One answer for an unknown id and a wrong secret: which one it was helps only a guesser.
    throw new FlotillaError('Unauthorized', `join token ${presented.id} is not known to this hub`, { hint: askAgain });
  }
  const id = token.metadata.name;
  if (token.spec.revoked === true) throw new FlotillaError('Forbidden', `join token ${id} was revoked`, { hint: askAgain });
  if (token.spec.expiresAt !== undefined && now >= Date.parse(token.spec.expiresAt)) {
    throw new FlotillaError('Forbidden', `join token ${id} expired at ${token.spec.expiresAt}`, { hint: askAgain });
  }
  const used = token.status?.used ?? 0;
  if (token.spec.uses !== undefined && used >= token.spec.uses) {
    throw new FlotillaError('Forbidden', `join token ${id} has been used up (${token.spec.uses} of ${token.spec.uses})`, { hint: askAgain });
  }
  const devices = [...(token.status?.devices ?? []), device].slice(-DEVICES_KEPT);
  return { ...token, status: { used: used + 1, lastUsedAt: new Date(now).toISOString(), devices } };
}
