/**
 * Reading a join token, which both sides do: the hub to check it, the device to learn where
 * the hub is and which CA to trust before it sends anything (see hub/auth/join-token.ts for
 * how tokens are made and kept).
 *
 *   flotilla1.<base64url JSON {hub, ca, id}>.<base64url secret>
 */
import { FlotillaError } from './errors.js';

export const JOIN_TOKEN_PREFIX = 'flotilla1';
export const JOIN_TOKEN_SECRET_BYTES = 32;
const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;
const TOKEN_ID = /^[0-9a-z]{6,32}$/;

/** What a token tells the device. */
export interface JoinTokenClaims {
  /** The hub's API, `https://hub.example:7080`, where the device enrols. */
  hub: string;
  /** `sha256:<hex>` of the hub CA certificate's DER bytes. */
  ca: string;
  id: string;
}

/** The claims and secret of a token's text; an Invalid error saying what is wrong with it otherwise. */
export function parseJoinToken(text: string): { claims: JoinTokenClaims; secret: Buffer } {
  const hint = 'copy the whole token printed by `flotilla token create`; it starts with flotilla1.';
  const parts = text.trim().split('.');
  if (parts[0] !== JOIN_TOKEN_PREFIX) throw new FlotillaError('Invalid', 'this is not a Flotilla join token', { hint });
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
  if (secret.length !== JOIN_TOKEN_SECRET_BYTES) throw new FlotillaError('Invalid', 'the join token is damaged: its secret is the wrong length', { hint });
  return { claims: { hub, ca, id }, secret };
}
