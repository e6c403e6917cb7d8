import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { lazy } from '../lazy.js';
import type { InstanceStore, StoredInstance } from './store.js';

const Database = lazy<typeof BetterSqlite3>('better-sqlite3');

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
];

/** Instances in one SQLite file, in WAL mode. Statements are prepared once. */
export function openSqliteStore(path: string): InstanceStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new (Database())(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  const insert = db.prepare('INSERT INTO instances (id, name, connector_definition_id, created_at, sealed_auth, config) VALUES (@id, @name, @connector_definition_id, @created_at, @sealed_auth, @config)');
  const list = db.prepare('SELECT id, name, connector_definition_id, created_at, config FROM instances ORDER BY created_at, id');
  const get = db.prepare('SELECT id, name, connector_definition_id, created_at, sealed_auth, config FROM instances WHERE id = ?');
  const remove = db.prepare('DELETE FROM instances WHERE id = ?');
  const getSetting = db.prepare('SELECT value FROM settings WHERE key = ?');
  const setSetting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  return {
    insert: (i) => void insert.run(i),
    list: () => list.all() as Omit<StoredInstance, 'sealed_auth'>[],
    get: (id) => get.get(id) as StoredInstance | undefined,
    delete: (id) => remove.run(id).changes > 0,
    getSetting: (key) => (getSetting.get(key) as { value: Buffer } | undefined)?.value,
    setSetting: (key, value) => void setSetting.run(key, value),
    close: () => db.close(),
  };
}

function migrate(db: BetterSqlite3.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`the database schema is version ${version}, newer than this server knows (${MIGRATIONS.length}); upgrade the server.`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
