import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ConfigurationError } from '../errors.js';
import { sqliteDriver } from '../database/drivers.js';
import type { InstanceStore, StoredInstance } from './store.js';


/** Each step moves the schema one version up; `user_version` says how far a file is. */
const MIGRATIONS: string[] = [
  `CREATE TABLE instances (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     connector_definition_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     sealed_auth BLOB NOT NULL
   );
   CREATE TABLE settings (key TEXT PRIMARY KEY, value BLOB NOT NULL);`,
  `CREATE INDEX instances_by_created ON instances (created_at, id);`,
  `ALTER TABLE instances ADD COLUMN config TEXT;`,
  // Instances made before scopes existed become read-only: a write needs an operator's explicit yes.
  `ALTER TABLE instances ADD COLUMN scope TEXT NOT NULL DEFAULT 'read' CHECK (scope IN ('read', 'read_write'));`,
];

/**
 * Instances in one SQLite file, in WAL mode, readable by its owner only. Opening checks what
 * a server needs before it answers anything: the file is whole (a quick integrity check),
 * writable, and of a schema version this server knows. Statements are prepared once.
 */
export function openSqliteStore(path: string): InstanceStore {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    // Sealed credentials are still credentials: the file is the owner's alone from its first byte.
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    else if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
  let db: BetterSqlite3.Database;
  const Driver = sqliteDriver('serve keeps its instances');
  try {
    db = new Driver(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    throw new ConfigurationError(`cannot open the database ${path} (${(err as Error).message}); is it an SQLite file? Restore it from a backup or start with a new --db.`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new ConfigurationError(`the database ${path} failed its integrity check (${String(check)}); restore it from a backup.`);
    try {
      // A write that changes nothing: a read-only file or mount fails here, not on the first request.
      db.exec('BEGIN IMMEDIATE; ROLLBACK;');
    } catch (err) {
      throw new ConfigurationError(`the database ${path} is not writable (${(err as Error).message}); check its permissions and mount.`);
    }
    migrate(db, path);
  } catch (err) {
    db.close();
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(`the database ${path} cannot be used (${(err as Error).message}); restore it from a backup or start with a new --db.`);
  }
  const insert = db.prepare(
    'INSERT INTO instances (id, name, connector_definition_id, created_at, sealed_auth, config, scope) VALUES (@id, @name, @connector_definition_id, @created_at, @sealed_auth, @config, @scope)',
  );
  const list = db.prepare('SELECT id, name, connector_definition_id, created_at, config, scope FROM instances ORDER BY created_at, id');
  const get = db.prepare('SELECT id, name, connector_definition_id, created_at, sealed_auth, config, scope FROM instances WHERE id = ?');
  // One statement for any patch: a field left out (null) keeps its stored value.
  const update = db.prepare('UPDATE instances SET name = coalesce(@name, name), sealed_auth = coalesce(@sealed_auth, sealed_auth), scope = coalesce(@scope, scope) WHERE id = @id');
  const remove = db.prepare('DELETE FROM instances WHERE id = ?');
  const getSetting = db.prepare('SELECT value FROM settings WHERE key = ?');
  const setSetting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const sealed = db.prepare('SELECT id, sealed_auth FROM instances');
  const reseal = db.prepare('UPDATE instances SET sealed_auth = ? WHERE id = ?');
  const count = db.prepare('SELECT count(*) AS n FROM instances');
  const probe = 'SELECT id FROM instances LIMIT 1';
  const initSetting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
  // The driver is synchronous; the interface is not (a network database shares it), so each
  // method is async: a thrown error becomes a rejection, as it would be over the network.
  return {
    insert: async (i) => void insert.run(i),
    list: async () => list.all() as Omit<StoredInstance, 'sealed_auth'>[],
    get: async (id) => get.get(id) as StoredInstance | undefined,
    update: async (id, change) => update.run({ id, name: change.name ?? null, sealed_auth: change.sealed_auth ?? null, scope: change.scope ?? null }).changes > 0,
    delete: async (id) => remove.run(id).changes > 0,
    getSetting: async (key) => (getSetting.get(key) as { value: Buffer } | undefined)?.value,
    setSetting: async (key, value) => void setSetting.run(key, value),
    initSetting: async (key, value) => {
      initSetting.run(key, value);
      return (getSetting.get(key) as { value: Buffer }).value;
    },
    holdsSecrets: async () => (count.get() as { n: number }).n > 0 || getSetting.get('key_check') !== undefined,
    async resealAll(change, keyCheck) {
      // One transaction: every row under the new key, or none.
      return db.transaction(() => {
        const rows = sealed.all() as { id: string; sealed_auth: Buffer }[];
        for (const row of rows) reseal.run(change(row.id, row.sealed_auth), row.id);
        setSetting.run('key_check', keyCheck);
        return rows.length;
      })();
    },
    async health() {
      try {
        // Prepared at each probe, so a table that went away is noticed.
        db.prepare(probe).get();
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
    close: async () => void db.close(),
  };
}

function migrate(db: BetterSqlite3.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new ConfigurationError(`the database ${path} has schema version ${version}, newer than this server knows (${MIGRATIONS.length}); upgrade the server.`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
