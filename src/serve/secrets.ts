import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigurationError } from '../errors.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The key that encrypts stored credentials: CONNECTOR_SECRET_KEY (64 hex characters or
 * base64 of 32 bytes), else a key file. A key file others can read is refused; a missing
 * one is created (mode 0600) only for a store that holds no sealed credentials yet, since a
 * new key could never open them.
 */
export async function loadSecretKey(fromEnv: string | undefined, keyFile: string, storeHoldsSecrets: boolean): Promise<{ key: Buffer; created: boolean }> {
  if (fromEnv !== undefined && fromEnv !== '') return { key: parseKey(fromEnv, 'CONNECTOR_SECRET_KEY'), created: false };
  const existing = await readKeyFile(keyFile);
  if (existing !== undefined) return { key: existing, created: false };
  if (storeHoldsSecrets) {
    throw new ConfigurationError(
      `the key file ${keyFile} is missing, but the database holds credentials sealed with a key: a new key could not open them. Restore ${keyFile}, or set CONNECTOR_SECRET_KEY to the key the database was made with.`,
    );
  }
  const key = randomBytes(KEY_BYTES);
  await writeKeyFile(keyFile, key);
  return { key, created: true };
}

/** A key file's key, or undefined when there is none; refused when others may read it. */
export async function readKeyFile(keyFile: string): Promise<Buffer | undefined> {
  let mode: number;
  try {
    mode = (await stat(keyFile)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigurationError(`cannot read the key file ${keyFile} (${(err as NodeJS.ErrnoException).code}); fix its permissions or set CONNECTOR_SECRET_KEY.`);
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigurationError(
      `the key file ${keyFile} can be read by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); anyone who reads it can open every stored credential. Run: chmod 600 ${keyFile}`,
    );
  }
  const text = await readFile(keyFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigurationError(`cannot read the key file ${keyFile} (${err.code}); fix its permissions or set CONNECTOR_SECRET_KEY.`);
  });
  return parseKey(text.trim(), keyFile);
}

/** Writes a new key file, 0600 from its creation; never over an existing file. */
export async function writeKeyFile(keyFile: string, key: Buffer): Promise<void> {
  await mkdir(dirname(keyFile), { recursive: true });
  await writeFile(keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(keyFile, 0o600);
}

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function parseKey(text: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ConfigurationError(`${source} must hold a 256-bit key: 64 hex characters or base64 of 32 bytes (e.g. \`openssl rand -hex 32\`).`);
  }
  return key;
}

/** AES-256-GCM with a random nonce per value; the output carries nonce and tag. */
export function encrypt(key: Buffer, plaintext: string, context: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  // The record's id is authenticated too: a ciphertext copied to another row fails to open.
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), body]);
}

/** Opens what encrypt sealed; undefined when the key or the context is not the one used. */
export function decrypt(key: Buffer, sealed: Buffer, context: string): string | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(sealed.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** API keys are kept and compared as SHA-256 digests, in constant time. */
export function digest(apiKey: string): Buffer {
  return createHash('sha256').update(apiKey).digest();
}

export function matchesAny(candidate: string, digests: readonly Buffer[]): boolean {
  const d = digest(candidate);
  let found = false;
  // Every digest is compared, so the time taken says nothing about which one matched.
  for (const known of digests) if (timingSafeEqual(d, known)) found = true;
  return found;
}
