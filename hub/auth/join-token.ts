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
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { FlotillaError } from '../../shared/errors.js';

export const TOKEN_PREFIX = 'flotilla1';
const SECRET_BYTES = 32;
const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;
const TOKEN_ID = /^[0-9a-z]{6,32}$/;

/** What a token tells the device. */
export interface JoinTokenClaims {
  /** The hub's broker for agents, `mqtts://hub.example:8883`. */
  hub: string;
  /** `sha256:<hex>` of the hub CA certificate's DER bytes. */
  ca: string;
  id: string;
}

/** What the hub keeps of a token: never the secret itself. */
export interface JoinTokenRecord {
  id: string;
  /** `sha256:<hex>` of the secret. */
  secretHash: string;
  labels: Record<string, string>;
  /** ISO time after which the token is refused; absent: never expires. */
  expiresAt?: string;
  /** Enrolments it still allows; absent: unlimited. */
  usesLeft?: number;
  revoked: boolean;
}

export interface NewJoinToken {
  /** The text to hand to the device, shown once. */
  text: string;
  record: JoinTokenRecord;
}

export function createJoinToken(options: {
  hub: string;
  caFingerprint: string;
  labels?: Record<string, string>;
  ttlMs?: number;
  uses?: number;
  now?: number;
}): NewJoinToken {
  if (!FINGERPRINT.test(options.caFingerprint)) {
    throw new FlotillaError('Invalid', `a CA fingerprint must be sha256:<64 hex digits>, got "${options.caFingerprint}"`);
  }
  if (options.uses !== undefined && (!Number.isInteger(options.uses) || options.uses < 1)) {
    throw new FlotillaError('Invalid', `--uses must be a whole number of at least 1, got ${options.uses}`);
  }
  if (options.ttlMs !== undefined && !(options.ttlMs > 0)) {
    throw new FlotillaError('Invalid', `--ttl must be longer than zero`);
  }
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(SECRET_BYTES);
  const claims: JoinTokenClaims = { hub: options.hub, ca: options.caFingerprint, id };
  const text = `${TOKEN_PREFIX}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${secret.toString('base64url')}`;
  const record: JoinTokenRecord = { id, secretHash: hashOf(secret), labels: { ...options.labels }, revoked: false };
  if (options.ttlMs !== undefined) record.expiresAt = new Date((options.now ?? Date.now()) + options.ttlMs).toISOString();
  if (options.uses !== undefined) record.usesLeft = options.uses;
  return { text, record };
}

/** The claims and secret of a token's text; an Invalid error saying what is wrong with it otherwise. */
export function parseJoinToken(text: string): { claims: JoinTokenClaims; secret: Buffer } {
  const hint = 'copy the whole token printed by `flotilla token create`; it starts with flotilla1.';
  const parts = text.trim().split('.');
  if (parts[0] !== TOKEN_PREFIX) throw new FlotillaError('Invalid', 'this is not a Flotilla join token', { hint });
  if (parts.length !== 3) throw new FlotillaError('Invalid', 'the join token is cut short or has extra parts', { hint });
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new FlotillaError('Invalid', 'the join token is damaged: its claims cannot be read', { hint });
  }
  const { hub, ca, id } = (claims ?? {}) as Partial<Record<keyof JoinTokenClaims, unknown>>;
  if (typeof hub !== 'string' || typeof ca !== 'string' || !FINGERPRINT.test(ca) || typeof id !== 'string' || !TOKEN_ID.test(id)) {
    throw new FlotillaError('Invalid', 'the join token is damaged: it does not name a hub, a CA fingerprint and an id', { hint });
  }
  const secret = Buffer.from(parts[2] ?? '', 'base64url');
  if (secret.length !== SECRET_BYTES) throw new FlotillaError('Invalid', 'the join token is damaged: its secret is the wrong length', { hint });
  return { claims: { hub, ca, id }, secret };
}

/**
 * Checks a presented secret against the token's record at `now`, and returns the record as
 * it stands after this enrolment (one use fewer). Refusals say why and what to do.
 */
export function redeemJoinToken(record: JoinTokenRecord | undefined, presented: { id: string; secret: Buffer }, now: number = Date.now()): JoinTokenRecord {
  const askAgain = 'ask an administrator for a new one: flotilla token create';
  if (record === undefined || !sameHash(record.secretHash, hashOf(presented.secret))) {
    // One answer for an unknown id and a wrong secret: which one it was helps only a guesser.
    throw new FlotillaError('Unauthorized', `join token ${presented.id} is not known to this hub`, { hint: askAgain });
  }
  if (record.revoked) throw new FlotillaError('Forbidden', `join token ${record.id} was revoked`, { hint: askAgain });
  if (record.expiresAt !== undefined && now >= Date.parse(record.expiresAt)) {
    throw new FlotillaError('Forbidden', `join token ${record.id} expired at ${record.expiresAt}`, { hint: askAgain });
  }
  if (record.usesLeft !== undefined && record.usesLeft < 1) {
    throw new FlotillaError('Forbidden', `join token ${record.id} has been used up`, { hint: askAgain });
  }
  return record.usesLeft === undefined ? record : { ...record, usesLeft: record.usesLeft - 1 };
}

function hashOf(secret: Buffer): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex')}`;
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
