/**
 * Secrets the hub hands out once (join tokens, access tokens) and keeps only as hashes: a
 * copy of the hub's data lets nobody in. 32 random bytes need no slow hash: there is nothing
 * to guess.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { JOIN_TOKEN_SECRET_BYTES } from '../../shared/join-token.js';

/** As long as a join token's secret: every secret the hub hands out is this strong. */
export const SECRET_BYTES = JOIN_TOKEN_SECRET_BYTES;

export function newSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/** `sha256:<hex>` of a secret. */
export function secretHash(secret: Buffer): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex')}`;
}

/** Whether `secret` hashes to `stored`, in time that does not depend on where they differ. */
export function matchesHash(stored: string, secret: Buffer): boolean {
  const left = Buffer.from(stored);
  const right = Buffer.from(secretHash(secret));
  return left.length === right.length && timingSafeEqual(left, right);
}
