/**
 * The context store in one SQLite file (better-sqlite3, an optional peer dependency): a table
 * per entity (id, the JSON record, updated_at, synced_at, the pass that last saw it) and a
 * table of sync states. WAL mode, so searches read while a sync writes.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteDriver } from '../database/drivers.js';
import { Params, caseSafe, columnField, columnName, compileFilter, fieldColumn, fieldSteps, indexExpressions, jsonAt, orderBy, sqliteValueAt } from './filter-sql.js';
import { answerPage, checkEntityName, decodeCursor, pageLimit, type Clock } from './query.js';
import { SCHEMA_CHANGED, inPlaceWriter, threadWriter, type SqliteWriter, type WriteStep } from './sqlite-writer.js';
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
  // v3: indexed fields live in columns beside the record ("field:<path>"), which migrate adds
  // per entity; the version moves so that an older engine, which would write rows without
  // them, refuses the file instead of leaving the columns behind their records.
  `SELECT 1;`,
];

const table = (entity: string) => `"records_${checkEntityName(entity)}"`;

export function openSqliteContextStore(location: string, clock: Clock = Date.now, create = true): ContextStore {
  const Database = sqliteDriver('the context store keeps its data');
  // The writer thread opens the file again later: a relative path must not follow a chdir.
  const file = location === ':memory:' ? location : resolve(location);
  let db: BetterSqlite3.Database;
  if (create) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    // Records hold people's data: readable by the owner only, like serve's database.
    if (file !== ':memory:') chmodSync(file, 0o600);
  } else {
    // A reader names a store that sync made: a typo must not become a new, empty store.
    if (!existsSync(file)) throw new ConfigurationError(`there is no context store at ${location}: run sync --store sqlite:${location} first (or check the path).`);
    db = new Database(file, { fileMustExist: true });
  }
  // Larger pages for records of a few KB: 16 KB pages hold seven 2.2 KB contacts where 8 KB
  // pages held three (and 4 KB pages one), so a file of 100,000 is 13% smaller than with 8 KB
  // and takes 10% less time to write. Only a new file takes it (WAL fixes the size once set).
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  // A sync and a search in two processes wait for each other's write lock instead of failing.
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  // Checkpoints (each one an fsync) every ~80 MB of WAL (5,000 pages of 16 KB) rather than
  // 4 MB: a sync writes a lot at once, and this took a page of 150 contacts from 16 to 6 us a
  // record. Atomicity is WAL's.
  db.pragma('wal_autocheckpoint = 5000');
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
  // Each entity's field columns (path -> quoted column), read from the table itself: whatever
  // columns a file has are kept filled, whichever manifest indexed them.
  const fieldColumns = new Map<string, ReadonlyMap<string, string>>();
  let schemaSeen = -1;
  const columnsOf = (entity: string): ReadonlyMap<string, string> => {
    // Another process may have added a column since (a sync with more indexes migrates while
    // this one writes): a row written without it would be missing from searches on that field.
    const schema = prepared('PRAGMA schema_version').pluck().get() as number;
    if (schema !== schemaSeen) {
      fieldColumns.clear();
      schemaSeen = schema;
    }
    let cols = fieldColumns.get(entity);
    if (!cols) {
      const fields = (db.prepare(`PRAGMA table_info(${table(entity)})`).all() as { name: string }[]).flatMap((c) => columnField(c.name) ?? []);
      cols = new Map(fields.map((f) => [f, fieldColumn(f)]));
      fieldColumns.set(entity, cols);
    }
    return cols;
  };
  const readState = (entity: string): SyncState | undefined => {
    if (!prepared_()) return undefined;
    const row = prepared('SELECT * FROM sync_state WHERE entity = ?').get(entity) as SyncState | undefined;
    return row ? { ...row } : undefined;
  };
  const SAVE_STATE = `INSERT INTO sync_state (entity, mode, cursor, pass, checkpoint, high_water, full_at, synced_at) VALUES (@entity, @mode, @cursor, @pass, @checkpoint, @high_water, @full_at, @synced_at)
       ON CONFLICT (entity) DO UPDATE SET mode = excluded.mode, cursor = excluded.cursor, pass = excluded.pass, checkpoint = excluded.checkpoint,
         high_water = excluded.high_water, full_at = excluded.full_at, synced_at = excluded.synced_at`;
  const saveState = (s: SyncState) => ({ sql: SAVE_STATE, rows: [[{ ...s }]] });

  // Records and states are written off this thread (see sqlite-writer.ts); reads stay here.
  let writer: SqliteWriter | undefined;
  const write = (steps: WriteStep[]) => (writer ??= file === ':memory:' ? inPlaceWriter(db) : threadWriter(file)).run(steps);

  const writePage = async (records: readonly StoredRecord[], state: SyncState): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      const cols = [...columnsOf(state.entity).keys()];
      const schema = schemaSeen;
      const steps = cols.map((f) => f.split('.'));
      const newer = 'excluded.updated_at IS NULL OR updated_at IS NULL OR excluded.updated_at >= updated_at';
      // Newer content wins (a change feed may repeat a record a later page already wrote); the pass that saw it is noted either way.
      const upsert = `INSERT INTO ${table(state.entity)} (id, record, updated_at, synced_at, pass${cols.map((f) => `, ${fieldColumn(f)}`).join('')}) VALUES (?, ?, ?, ?, ?${', ?'.repeat(cols.length)})
         ON CONFLICT (id) DO UPDATE SET
           record = CASE WHEN ${newer} THEN excluded.record ELSE record END,
           ${cols.map((f) => `${fieldColumn(f)} = CASE WHEN ${newer} THEN excluded.${fieldColumn(f)} ELSE ${fieldColumn(f)} END,`).join('\n           ')}
           updated_at = CASE WHEN ${newer} THEN excluded.updated_at ELSE updated_at END,
           synced_at = excluded.synced_at,
           pass = COALESCE(excluded.pass, pass)`;
      const now = clock();
      const rows = records.map((r) => [r.id, r.json ?? JSON.stringify(r.record), r.updated_at, now, state.pass, ...steps.map((s) => sqliteValueAt(r.record, s))]);
      try {
        const [, changed] = await write([{ schema }, { sql: upsert, rows }, saveState(state)]);
        return changed!;
      } catch (err) {
        // Another process changed the table (a column for a newly indexed field) after these
        // statements were written: written again for the table as it is now.
        if ((err as { code?: string }).code !== SCHEMA_CHANGED || attempt >= 5) throw err;
      }
    }
  };

  // Indexes that wait for their table's first full pass to end (see migrate).
  const pendingIndexes = new Map<string, string[]>();
  const endFullPass = async (state: SyncState) => {
    const indexes = pendingIndexes.get(state.entity) ?? [];
    const [deleted] = await write([{ sql: `DELETE FROM ${table(state.entity)} WHERE pass IS NOT ?`, rows: [[state.pass]] }, ...indexes.map((exec) => ({ exec })), saveState(state)]);
    pendingIndexes.delete(state.entity);
    return deleted!;
  };

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
      return lock.immediate(entity, owner, steal);
    },
    async unlock(entity, ownerId) {
      prepared('DELETE FROM sync_locks WHERE entity = ? AND id = ?').run(entity, ownerId);
    },
    async migrate(entities) {
      // IMMEDIATE, as every write here: a transaction that reads and then writes fails at once,
      // without waiting, when another connection (the writer thread, another sync) is writing.
      db.transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > MIGRATIONS.length) {
          throw new ConfigurationError(`the context store ${file} has schema version ${version}, newer than this version of the engine knows (${MIGRATIONS.length}); upgrade the package`);
        }
        for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
        db.pragma(`user_version = ${MIGRATIONS.length}`);
        for (const e of entities) {
          const t = table(e.name);
          db.exec(`CREATE TABLE IF NOT EXISTS ${t} (id TEXT PRIMARY KEY, record TEXT NOT NULL, updated_at REAL, synced_at INTEGER NOT NULL, pass TEXT)`);
          const have = new Set((db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name.toLowerCase()));
          const indexes = [`CREATE INDEX IF NOT EXISTS "idx_${e.name}__updated_at" ON ${t} (updated_at)`];
          for (const field of e.indexes) {
            const column = fieldColumn(field);
            if (!have.has(columnName(field).toLowerCase())) {
              // A field indexed since the rows were written: its column is filled from them once.
              db.exec(`ALTER TABLE ${t} ADD COLUMN ${column}`);
              db.exec(`UPDATE ${t} SET ${column} = ${jsonAt(fieldSteps(field), 'sqlite')}`);
            }
            // The field itself in the (quoted) name: "a.b" and "a_b" get an index each.
            for (const expr of indexExpressions(field, 'sqlite')) indexes.push(`CREATE INDEX IF NOT EXISTS "idx_${e.name}:${caseSafe(field)}" ON ${t} (${expr})`);
          }
          // Version 2 indexed expressions over the JSON; each costs every write a parse of the record.
          const v2 = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql LIKE '%json_extract(record%'").pluck().all(`records_${e.name}`) as string[];
          for (const name of v2) db.exec(`DROP INDEX "${name}"`);
          // An empty table gets its indexes when its first full pass ends: built at once from
          // sorted keys, rather than kept up row by row (each page of random keys such as emails
          // rewrote most of an index's pages: 29 against 14 us a contact over 100,000).
          if (prepared(`SELECT 1 FROM ${t} LIMIT 1`).get() === undefined) pendingIndexes.set(e.name, indexes);
          else {
            for (const sql of indexes) db.exec(sql);
            pendingIndexes.delete(e.name);
          }
          fieldColumns.delete(e.name);
          prepared('INSERT OR IGNORE INTO store_entities (name) VALUES (?)').run(e.name);
        }
      }).immediate();
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
      const known = prepared_() && prepared('SELECT 1 FROM store_entities WHERE name = ?').get(entity);
      const params = new Params('sqlite', known ? columnsOf(entity) : undefined);
      const where = query.where ? `WHERE ${compileFilter(query.where, params)}` : '';
      const limit = pageLimit(query.limit);
      const offset = decodeCursor(query, entity);
      const rows = known
        ? (db.prepare(`SELECT record, synced_at FROM ${table(entity)} ${where} ${orderBy(query.sort, 'sqlite', params.columns)} LIMIT ${limit + 1} OFFSET ${offset}`).all(...params.values) as { record: string; synced_at: number }[])
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
      try {
        await writer?.close();
      } finally {
        db.close();
      }
    },
  };
}
