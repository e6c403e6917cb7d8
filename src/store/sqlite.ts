/**
 * The context store in one SQLite file (better-sqlite3, an optional peer dependency): a table
 * per entity (id, the JSON record, updated_at, synced_at, the pass that last saw it) and a
 * table of sync states. WAL mode, so searches read while a sync writes.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteDriver } from '../database/drivers.js';
import { Params, compileFilter, indexExpressions, orderBy } from './filter-sql.js';
import { answerPage, checkEntityName, decodeCursor, pageLimit, type Clock } from './query.js';
import type { ContextStore, EntityStatus, StoredRecord, StoreAnswer, StoreQuery, SyncLock, SyncState } from './types.js';

/** Each step moves the schema one version up; `user_version` says how far a file is. */
const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS sync_state (
     entity TEXT PRIMARY KEY,
     mode TEXT NOT NULL,
     cursor TEXT,
     pass TEXT,
     checkpoint REAL,
     high_water REAL,
     full_at INTEGER,
     synced_at INTEGER
   );
   CREATE TABLE IF NOT EXISTS store_entities (name TEXT PRIMARY KEY);`,
  `CREATE TABLE IF NOT EXISTS sync_locks (entity TEXT PRIMARY KEY, id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, since INTEGER NOT NULL, heartbeat INTEGER NOT NULL);`,
];

const table = (entity: string) => `"records_${checkEntityName(entity)}"`;

export function openSqliteContextStore(file: string, clock: Clock = Date.now, create = true): ContextStore {
  const Database = sqliteDriver('the context store keeps its data');
  let db: BetterSqlite3.Database;
  if (create) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    // Records hold people's data: readable by the owner only, like serve's database.
    if (file !== ':memory:') chmodSync(file, 0o600);
  } else {
    // A reader names a store that sync made: a typo must not become a new, empty store.
    if (!existsSync(file)) throw new ConfigurationError(`there is no context store at ${file}: run sync --store sqlite:${file} first (or check the path).`);
    db = new Database(file, { fileMustExist: true });
  }
  db.pragma('journal_mode = WAL');
  // A sync and a search in two processes wait for each other's write lock instead of failing.
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  // Checkpoints (each one an fsync) every ~80 MB of WAL rather than 4 MB: a sync writes a lot
  // at once, and this took a page of 150 contacts from 16 to 6 us a record. Atomicity is WAL's.
  db.pragma('wal_autocheckpoint = 20000');
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };

  // A store no sync has prepared yet (or that a reader opened before the first sync) has no tables.
  // Once there, the tables stay: asked until they are, then never again.
  let ready = false;
  const prepared_ = () => (ready ||= prepared("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_entities'").get() !== undefined);
  const readState = (entity: string): SyncState | undefined => {
    if (!prepared_()) return undefined;
    const row = prepared('SELECT * FROM sync_state WHERE entity = ?').get(entity) as SyncState | undefined;
    return row ? { ...row } : undefined;
  };
  const saveState = (s: SyncState) =>
    prepared(
      `INSERT INTO sync_state (entity, mode, cursor, pass, checkpoint, high_water, full_at, synced_at) VALUES (@entity, @mode, @cursor, @pass, @checkpoint, @high_water, @full_at, @synced_at)
       ON CONFLICT (entity) DO UPDATE SET mode = excluded.mode, cursor = excluded.cursor, pass = excluded.pass, checkpoint = excluded.checkpoint,
         high_water = excluded.high_water, full_at = excluded.full_at, synced_at = excluded.synced_at`,
    ).run(s);

  const writePage = db.transaction((records: readonly StoredRecord[], state: SyncState) => {
    const now = clock();
    // Newer content wins (a change feed may repeat a record a later page already wrote); the pass that saw it is noted either way.
    const upsert = prepared(
      `INSERT INTO ${table(state.entity)} (id, record, updated_at, synced_at, pass) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         record = CASE WHEN excluded.updated_at IS NULL OR updated_at IS NULL OR excluded.updated_at >= updated_at THEN excluded.record ELSE record END,
         updated_at = CASE WHEN excluded.updated_at IS NULL OR updated_at IS NULL OR excluded.updated_at >= updated_at THEN excluded.updated_at ELSE updated_at END,
         synced_at = excluded.synced_at,
         pass = COALESCE(excluded.pass, pass)`,
    );
    let changed = 0;
    for (const r of records) changed += upsert.run(r.id, JSON.stringify(r.record), r.updated_at, now, state.pass).changes;
    saveState(state);
    return changed;
  });

  const endFullPass = db.transaction((state: SyncState) => {
    const deleted = prepared(`DELETE FROM ${table(state.entity)} WHERE pass IS NOT ?`).run(state.pass).changes;
    saveState(state);
    return deleted;
  });

  const lock = db.transaction((entity: string, owner: SyncLock, steal: string | undefined): SyncLock | undefined => {
    const held = prepared('SELECT id, host, pid, since, heartbeat FROM sync_locks WHERE entity = ?').get(entity) as SyncLock | undefined;
    if (held && held.id !== owner.id && held.id !== steal) return held;
    prepared(
      `INSERT INTO sync_locks (entity, id, host, pid, since, heartbeat) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (entity) DO UPDATE SET id = excluded.id, host = excluded.host, pid = excluded.pid, since = excluded.since, heartbeat = excluded.heartbeat`,
    ).run(entity, owner.id, owner.host, owner.pid, owner.since, owner.heartbeat);
    return undefined;
  });

  return {
    kind: 'sqlite',
    async lock(entity, owner, steal) {
      return lock(entity, owner, steal);
    },
    async unlock(entity, ownerId) {
      prepared('DELETE FROM sync_locks WHERE entity = ? AND id = ?').run(entity, ownerId);
    },
    async migrate(entities) {
      db.transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > MIGRATIONS.length) {
          throw new Error(`the context store ${file} has schema version ${version}, newer than this version of the engine knows (${MIGRATIONS.length}); upgrade the package`);
        }
        for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
        db.pragma(`user_version = ${MIGRATIONS.length}`);
        for (const e of entities) {
          const t = table(e.name);
          db.exec(`CREATE TABLE IF NOT EXISTS ${t} (id TEXT PRIMARY KEY, record TEXT NOT NULL, updated_at REAL, synced_at INTEGER NOT NULL, pass TEXT)`);
          db.exec(`CREATE INDEX IF NOT EXISTS "idx_${e.name}__updated_at" ON ${t} (updated_at)`);
          e.indexes.forEach((field) =>
            indexExpressions(field, 'sqlite').forEach((expr, i) => db.exec(`CREATE INDEX IF NOT EXISTS "idx_${e.name}_${field.replace(/[^A-Za-z0-9_]/g, '_')}_${i}" ON ${t} (${expr})`)),
          );
          prepared('INSERT OR IGNORE INTO store_entities (name) VALUES (?)').run(e.name);
        }
      })();
    },
    async state(entity) {
      return readState(entity);
    },
    async writePage(records, state) {
      return writePage(records, state);
    },
    async endFullPass(state) {
      return endFullPass(state);
    },
    async search(entity: string, query: StoreQuery): Promise<StoreAnswer> {
      const params = new Params('sqlite');
      const where = query.where ? `WHERE ${compileFilter(query.where, params)}` : '';
      const limit = pageLimit(query.limit);
      const offset = decodeCursor(query, entity);
      const known = prepared_() && prepared('SELECT 1 FROM store_entities WHERE name = ?').get(entity);
      const rows = known
        ? (db.prepare(`SELECT record, synced_at FROM ${table(entity)} ${where} ${orderBy(query.sort, 'sqlite')} LIMIT ${limit + 1} OFFSET ${offset}`).all(...params.values) as { record: string; synced_at: number }[])
        : [];
      return answerPage(entity, query, rows.map((r) => ({ record: JSON.parse(r.record) as Record<string, unknown>, synced_at: r.synced_at })), limit, offset, readState(entity));
    },
    async status(): Promise<EntityStatus[]> {
      if (!prepared_()) return [];
      const names = (prepared('SELECT name FROM store_entities ORDER BY name').all() as { name: string }[]).map((r) => r.name);
      return names.map((entity) => {
        const count = (db.prepare(`SELECT count(*) AS n FROM ${table(entity)}`).get() as { n: number }).n;
        const s = readState(entity);
        return {
          entity,
          records: count,
          mode: s?.mode ?? null,
          checkpoint: s?.checkpoint ?? null,
          in_progress: s?.cursor != null,
          last_synced_at: s?.synced_at ? new Date(s.synced_at).toISOString() : null,
          last_full_at: s?.full_at ? new Date(s.full_at).toISOString() : null,
        };
      });
    },
    async close() {
      db.close();
    },
  };
}
