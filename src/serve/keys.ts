import { existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import { decrypt, encrypt, loadSecretKey, newKey, parseKey, readKeyFile, writeKeyFile } from './secrets.js';
import { openSqliteStore } from './sqlite-store.js';
import type { InstanceStore } from './store.js';

const KEY_CHECK = 'connector-engine secret key check';

/** Where a database keeps its key file (beside it). */
export function keyFileFor(dbPath: string): string {
  return dbPath === ':memory:' ? 'data/secret.key' : `${dbPath}.key`;
}

/**
 * The store and its key, checked against each other: the first start seals a known text,
 * later starts must open it. A rotation that stopped between the database and the key file
 * (see rotateKey) is finished here.
 */
export async function openStoreWithKey(dbPath: string, fromEnv: string | undefined): Promise<{ store: InstanceStore; key: Buffer }> {
  const keyFile = keyFileFor(dbPath);
  // An empty database file beside a key file is a lost database, not a new one.
  if (!fromEnv && dbPath !== ':memory:' && existsSync(dbPath) && statSync(dbPath).size === 0 && existsSync(keyFile)) {
    throw new ConfigurationError(
      `the database ${dbPath} is empty, but its key file ${keyFile} exists: the database was lost or truncated. Restore it from a backup, or move the key file away to start a new store.`,
    );
  }
  const store = openSqliteStore(dbPath);
  try {
    let { key } = await loadSecretKey(fromEnv, keyFile, store.holdsSecrets());
    const sealed = store.getSetting('key_check');
    if (!sealed) store.setSetting('key_check', encrypt(key, KEY_CHECK, 'key_check'));
    else if (decrypt(key, sealed, 'key_check') !== KEY_CHECK) {
      const pending = fromEnv ? undefined : await readKeyFile(`${keyFile}.new`).catch(() => undefined);
      if (pending && decrypt(pending, sealed, 'key_check') === KEY_CHECK) {
        await rename(`${keyFile}.new`, keyFile);
        key = pending;
      } else {
        throw new ConfigurationError(
          `the secret key (${fromEnv ? 'CONNECTOR_SECRET_KEY' : keyFile}) is not the one this database was created with, so its stored credentials cannot be read. Start with the original key, or with a new --db.`,
        );
      }
    }
    return { store, key };
  } catch (err) {
    store.close();
    throw err;
  }
}

/**
 * Re-seals every stored credential under a new key, in one transaction. With a key file the
 * new key is written beside it first (`.new`), the database is re-sealed, then the new file
 * replaces the old: a stop at any point leaves a store that the next start opens. With
 * CONNECTOR_SECRET_KEY the new key comes from CONNECTOR_NEW_SECRET_KEY.
 */
export async function rotateKey(dbPath: string, env: NodeJS.ProcessEnv): Promise<{ instances: number; keyFile?: string }> {
  const fromEnv = env.CONNECTOR_SECRET_KEY || undefined;
  if (fromEnv && !env.CONNECTOR_NEW_SECRET_KEY) {
    throw new ConfigurationError('the key comes from CONNECTOR_SECRET_KEY: set CONNECTOR_NEW_SECRET_KEY to the new key (openssl rand -hex 32), rotate, then switch the server to it.');
  }
  const { store, key } = await openStoreWithKey(dbPath, fromEnv);
  const keyFile = keyFileFor(dbPath);
  try {
    const next = env.CONNECTOR_NEW_SECRET_KEY ? parseKey(env.CONNECTOR_NEW_SECRET_KEY, 'CONNECTOR_NEW_SECRET_KEY') : newKey();
    if (!fromEnv) {
      await rm(`${keyFile}.new`, { force: true });
      await writeKeyFile(`${keyFile}.new`, next);
    }
    const instances = store.resealAll((id, sealed) => {
      const plain = decrypt(key, sealed, id);
      if (plain === undefined) throw new ConfigurationError(`instance ${id} cannot be opened with the current key; nothing was changed.`);
      return encrypt(next, plain, id);
    }, encrypt(next, KEY_CHECK, 'key_check'));
    if (!fromEnv) await rename(`${keyFile}.new`, keyFile);
    return fromEnv ? { instances } : { instances, keyFile };
  } finally {
    store.close();
  }
}
