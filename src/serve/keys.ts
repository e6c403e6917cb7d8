import { existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import { decrypt, encrypt, loadSecretKey, newKey, parseKey, readKeyFile, writeKeyFile } from './secrets.js';
import { isPostgresUrl, redactUrl } from '../database/url.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { InstanceStore } from './store.js';

const KEY_CHECK = 'connector-engine secret key check';

/** Where an SQLite database keeps its key file (beside it); a PostgreSQL store has none. */
export function keyFileFor(dbPath: string): string {
  return dbPath === ':memory:' ? 'data/secret.key' : `${dbPath}.key`;
}

/** The store `--db` names: a postgres:// (or postgresql://) URL is PostgreSQL, anything else an SQLite file. */
export async function openStore(db: string): Promise<InstanceStore> {
  return isPostgresUrl(db) ? openPostgresStore(db) : openSqliteStore(db);
}

/** `--db` as it may be printed: a URL loses its password. */
export function showDb(db: string): string {
  return isPostgresUrl(db) ? redactUrl(db) : db;
}

/**
 * The store and its key, checked against each other: the first start seals a known text,
 * later starts (and other replicas) must open it. A rotation that stopped between the
 * database and the key file (see rotateKey) is finished here.
 */
export async function openStoreWithKey(db: string, fromEnv: string | undefined): Promise<{ store: InstanceStore; key: Buffer }> {
  const postgres = isPostgresUrl(db);
  if (postgres && !fromEnv) {
    throw new ConfigurationError(
      `a PostgreSQL store (${redactUrl(db)}) needs CONNECTOR_SECRET_KEY: there is no file beside the database to keep a key in, and every replica on it must use the same key. Make one with openssl rand -hex 32 and give it to every replica.`,
    );
  }
  // Checked before connecting: a mistyped key fails at once, not after the database answers.
  const envKey = fromEnv ? parseKey(fromEnv, 'CONNECTOR_SECRET_KEY') : undefined;
  const keyFile = keyFileFor(db);
  // An empty database file beside a key file is a lost database, not a new one.
  if (!postgres && !fromEnv && db !== ':memory:' && existsSync(db) && statSync(db).size === 0 && existsSync(keyFile)) {
    throw new ConfigurationError(
      `the database ${db} is empty, but its key file ${keyFile} exists: the database was lost or truncated. Restore it from a backup, or move the key file away to start a new store.`,
    );
  }
  const store = await openStore(db);
  try {
    let key = envKey ?? (await loadSecretKey(undefined, keyFile, await store.holdsSecrets())).key;
    // One statement, so replicas starting at once on a new database agree on one key check.
    const sealed = await store.initSetting('key_check', encrypt(key, KEY_CHECK, 'key_check'));
    if (decrypt(key, sealed, 'key_check') !== KEY_CHECK) {
      const pending = fromEnv ? undefined : await readKeyFile(`${keyFile}.new`).catch(() => undefined);
      if (pending && decrypt(pending, sealed, 'key_check') === KEY_CHECK) {
        await rename(`${keyFile}.new`, keyFile);
        key = pending;
      } else {
        throw new ConfigurationError(
          `the secret key (${fromEnv ? 'CONNECTOR_SECRET_KEY' : keyFile}) is not the one this database was created with, so its stored credentials cannot be read. ` +
            `Start with the original key${postgres ? ' (every replica on one database needs the same CONNECTOR_SECRET_KEY)' : ''}, or with a new --db.`,
        );
      }
    }
    return { store, key };
  } catch (err) {
    await store.close();
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
    const instances = await store.resealAll((id, sealed) => {
      const plain = decrypt(key, sealed, id);
      if (plain === undefined) throw new ConfigurationError(`instance ${id} cannot be opened with the current key; nothing was changed.`);
      return encrypt(next, plain, id);
    }, encrypt(next, KEY_CHECK, 'key_check'));
    if (!fromEnv) await rename(`${keyFile}.new`, keyFile);
    return fromEnv ? { instances } : { instances, keyFile };
  } finally {
    await store.close();
  }
}
