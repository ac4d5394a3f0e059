/**
 * Encryption at rest for what the store must not keep in the clear: AES-256-GCM with a fresh
 * random IV for every value sealed, and associated data the caller names (the store passes
 * the object's storage key), so a sealed value copied under another key fails to open rather
 * than passing as that object's.
 *
 * The key is 32 random bytes kept base64 in a file of its own (mode 0600), made on first use.
 * Losing the file loses the sealed values; a backup of the data directory without the key
 * file holds none of them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FlotillaError } from '../../shared/errors.js';

export const SECRETS_KEY_FILE = 'secrets.key';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Names the layout of a sealed value, so another one can come later beside it. */
const FORMAT = 'aes256gcm1';

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new RangeError(`a secrets key is ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
  }

  /** `aes256gcm1:<base64 of IV, tag and ciphertext>`. */
  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  /** The plaintext, or undefined when the value was sealed with another key, under other associated data, or damaged. */
  open(sealed: string, associatedData: string): string | undefined {
    const prefix = `${FORMAT}:`;
    if (!sealed.startsWith(prefix)) return undefined;
    const bytes = Buffer.from(sealed.slice(prefix.length), 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/**
 * Reads the key at `path`; when there is none and `create` is true, makes one there (and its
 * directory) readable by this user only. A key file that exists but is not a key is an error,
 * never replaced: the values sealed with it would be lost.
 */
export async function loadSecretsKey(path: string, options: { create: boolean }): Promise<{ key: Buffer; created: boolean }> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new FlotillaError('Unavailable', `cannot read the secrets key ${path}: ${(error as Error).message}`, {
        hint: 'check that the hub runs as the user that owns the key file',
        cause: error,
      });
    }
  }
  if (text !== undefined) {
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== KEY_BYTES || key.toString('base64') !== text.trim()) {
      throw new FlotillaError('Unavailable', `the secrets key ${path} is not a key: it must hold ${KEY_BYTES} bytes in base64`, {
        hint: "restore the key file from a backup; the store's Secrets cannot be read without it",
      });
    }
    return { key, created: false };
  }
  if (!options.create) {
    throw new FlotillaError('Unavailable', `the secrets key ${path} is missing, and the store holds Secrets encrypted with it`, {
      hint: 'restore the key file from a backup, or point the hub at it; without it those Secrets cannot be read',
    });
  }
  const key = randomBytes(KEY_BYTES);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // `wx`: never overwrite a key another process made in the meantime.
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadSecretsKey(path, { create: false });
    throw new FlotillaError('Unavailable', `cannot write the secrets key ${path}: ${(error as Error).message}`, {
      hint: 'check that the directory exists and this user can write it',
      cause: error,
    });
  }
  return { key, created: true };
}

/** The fields of a Secret that hold values: sealed together, so neither keys nor values show. */
const SEALED_FIELDS = ['data', 'stringData'] as const;
/** Where a stored Secret keeps its sealed fields. */
export const SEALED_FIELD = 'encryptedData';

/** A Secret as it goes to disk: everything but its values in the clear, the values sealed. */
export function sealSecretValues<T extends { kind: string }>(box: SecretBox, object: T, storageKey: string): Record<string, unknown> {
  const clear: Record<string, unknown> = { ...object };
  const values: Record<string, unknown> = {};
  for (const field of SEALED_FIELDS) {
    if (clear[field] !== undefined) values[field] = clear[field];
    delete clear[field];
  }
  clear[SEALED_FIELD] = box.seal(JSON.stringify(values), storageKey);
  return clear;
}

/** The Secret read back from disk with its values, or why it cannot be. */
export function openSecretValues<T extends { kind: string }>(box: SecretBox, stored: T, storageKey: string): T | { problem: string } {
  const { [SEALED_FIELD]: sealed, ...clear } = stored as Record<string, unknown>;
  if (typeof sealed !== 'string') return { problem: 'a Secret stored without encryption; it is not loaded' };
  const text = box.open(sealed, storageKey);
  if (text === undefined) {
    return { problem: "the Secret's values do not open with this key under this name (damaged, or copied from another Secret)" };
  }
  const values = JSON.parse(text) as Record<string, unknown>;
  for (const field of SEALED_FIELDS) if (values[field] !== undefined) clear[field] = values[field];
  return clear as T;
}
