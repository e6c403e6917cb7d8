import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigurationError } from '../errors.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The key that encrypts stored credentials: CONNECTOR_SECRET_KEY (64 hex characters or
 * base64 of 32 bytes), else a key file, created on first start with mode 0600.
 */
export async function loadSecretKey(fromEnv: string | undefined, keyFile: string): Promise<{ key: Buffer; created: boolean }> {
  if (fromEnv !== undefined && fromEnv !== '') return { key: parseKey(fromEnv, 'CONNECTOR_SECRET_KEY'), created: false };
  const existing = await readFile(keyFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new ConfigurationError(`cannot read the key file ${keyFile} (${err.code}); fix its permissions or set CONNECTOR_SECRET_KEY.`);
  });
  if (existing !== undefined) return { key: parseKey(existing.trim(), keyFile), created: false };
  const key = randomBytes(KEY_BYTES);
  await mkdir(dirname(keyFile), { recursive: true });
  await writeFile(keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(keyFile, 0o600);
  return { key, created: true };
}

function parseKey(text: string, source: string): Buffer {
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
