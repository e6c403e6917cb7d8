/**
 * The context store in PostgreSQL (pg, an optional peer dependency), for several syncs and
 * servers sharing one store: the tables and meanings of the SQLite store (see sqlite.ts),
 * the record as jsonb, and every method one transaction on a pooled connection.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { ConfigurationError, ConnectorError, ParameterError, isConnectorError } from '../errors.js';
import { pgDriver } from '../database/drivers.js';
import { Params, compileFilter, indexExpressions, orderBy } from './filter-sql.js';
import { redactUrl, safeDecode, scrubSecrets, urlSecrets } from '../database/url.js';
import { answerPage, checkEntityName, decodeCursor, pageLimit, type Clock } from './query.js';
import type { ContextStore, EntityStatus, StoredRecord, StoreAnswer, StoreQuery, SyncState } from './types.js';


export interface PostgresStoreOptions {
  /**
   * Connections in the pool (default: the URL's `pool_max` parameter, else 10). A server that
   * takes one connection at a time (an embedded PostgreSQL behind a socket) needs 1.
   */
  maxConnections?: number;
  /** Milliseconds since the epoch, for `synced_at` (tests pass their own). */
  clock?: Clock;
}

/** Each step moves the schema one version up; the one row of `store_schema_version` says how far a database is. */
const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS sync_state (
     entity TEXT PRIMARY KEY,
     mode TEXT NOT NULL,
     cursor TEXT,
     pass TEXT,
     checkpoint DOUBLE PRECISION,
     high_water DOUBLE PRECISION,
     full_at BIGINT,
     synced_at BIGINT
   );
   CREATE TABLE IF NOT EXISTS store_entities (name TEXT PRIMARY KEY);`,
  `CREATE TABLE IF NOT EXISTS sync_locks (entity TEXT PRIMARY KEY, id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, since BIGINT NOT NULL, heartbeat BIGINT NOT NULL);`,
];

/**
 * The advisory lock that serializes migrations (an arbitrary constant, this store's own, not
 * serve's): processes starting at once take turns, and the later ones find the schema current.
 */
const MIGRATION_LOCK = '5817203946150227';

/** PostgreSQL cuts longer identifiers short, so two long names could silently become one table. */
const MAX_IDENTIFIER = 63;

const DEFAULT_POOL = 10;

/** Network failures of the connection itself (not of a statement). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

function tableName(entity: string): string {
  const name = `records_${checkEntityName(entity)}`;
  if (name.length > MAX_IDENTIFIER) {
    throw new ParameterError(`store: entity ${JSON.stringify(entity)} is too long for PostgreSQL: its table ${name} would exceed ${MAX_IDENTIFIER} characters; shorten the entity's name in the manifest.`, 'entity');
  }
  return name;
}

const table = (entity: string) => `"${tableName(entity)}"`;

/** An identifier of at most 63 characters: a longer one keeps its start and gains a hash of the whole, so it stays unique. */
function ident(name: string): string {
  return name.length <= MAX_IDENTIFIER ? name : `${name.slice(0, MAX_IDENTIFIER - 17)}_${hash(name).slice(0, 16)}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SQLite's index names, where they are unique; a field whose name had to be changed ("a.b" and "a_b" both become a_b) adds a hash. */
function indexName(entity: string, field: string, i: number): string {
  const plain = field.replace(/[^A-Za-z0-9_]/g, '_');
  return ident(`idx_${entity}_${plain}${plain === field ? '' : `_${hash(field).slice(0, 8)}`}_${i}`);
}

/**
 * U+0000 and lone surrogates, as JSON.stringify escapes them: valid JSON, which jsonb refuses.
 * An escape is one only after an even number of backslashes (`\\u0000` is text, not a NUL).
 */
const UNSTORABLE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

/**
 * A record as jsonb takes it: characters jsonb cannot hold become U+FFFD, so one odd record
 * does not stop every sync of its entity (SQLite keeps them as they are). JSON.stringify writes
 * a well-formed surrogate pair as the characters themselves, so a `\uD8xx` escape is a lone one.
 */
function storableJson(r: StoredRecord): string {
  return (r.json ?? JSON.stringify(r.record)).replace(UNSTORABLE, '$1\\ufffd');
}

interface Target {
  /** The URL as pg reads it: without `pool_max`, which is this store's and not PostgreSQL's. */
  connectionString: string;
  max: number;
  /** Host, port and database, for messages: never the password. */
  where: string;
  user: string | undefined;
  /** What must never appear in a message: the password (as written and decoded) and secret parameters. */
  secrets: string[];
}

function target(url: string, options: PostgresStoreOptions): Target {
  const secrets = urlSecrets(url);
  const show = (text: string) => scrub(text, secrets);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`the store location ${show(redactUrl(url))} is not a PostgreSQL URL; write it as postgres://user:password@host:5432/database.`);
  }
  let max = options.maxConnections ?? DEFAULT_POOL;
  const given = parsed.searchParams.get('pool_max');
  if (given !== null && options.maxConnections === undefined) max = Number(given);
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new ConfigurationError(`the store URL ${show(redactUrl(url))} asks for a pool of ${JSON.stringify(given ?? max)} connections: pool_max must be an integer from 1 to 1000.`);
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const database = safeDecode(parsed.pathname.replace(/^\//, '')) || parsed.searchParams.get('dbname') || '(the user\'s default)';
  return {
    connectionString: url.replace(/([?&])pool_max=[^&#]*&?/, '$1').replace(/[?&](?=#|$)/, ''),
    max,
    where: show(`${host}:${parsed.port || '5432'}, database ${database}`),
    user: parsed.username ? show(safeDecode(parsed.username)) : undefined,
    secrets,
  };
}

/** `text` with every secret replaced. */
function scrub(text: string, secrets: readonly string[]): string {
  return scrubSecrets(text, secrets, '[redacted]');
}

/** A sync state as read back: PostgreSQL's bigint comes as a string, a number in JSON as a number. */
function toState(row: Record<string, unknown>): SyncState {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    entity: String(row.entity),
    mode: row.mode as SyncState['mode'],
    cursor: (row.cursor as string | null) ?? null,
    pass: (row.pass as string | null) ?? null,
    checkpoint: num(row.checkpoint),
    high_water: num(row.high_water),
    full_at: num(row.full_at),
    synced_at: num(row.synced_at),
  };
}

const isUndefinedTable = (err: unknown) => (err as { code?: unknown })?.code === '42P01';

/**
 * Opens the store a postgres:// URL names and checks that the database answers; tables are
 * created by migrate. `pool_max` in the URL sizes the pool.
 *
 * @example
 * const store = await openPostgresContextStore('postgres://sync@db.internal/connectors?pool_max=4');
 */
export async function openPostgresContextStore(url: string, options: PostgresStoreOptions = {}): Promise<ContextStore> {
  const { Pool } = pgDriver('the context store keeps its data');
  const clock = options.clock ?? Date.now;
  const t = target(url, options);
  const reason = (err: unknown) => scrub((err as Error)?.message || String(err), t.secrets);

  /** Every failure as a typed error that says what to do, with no secret in it. */
  const failure = (err: unknown, doing: string, connecting = false): Error => {
    if (isConnectorError(err)) return err;
    const e = err as { code?: unknown; message?: unknown; severity?: unknown };
    const code = typeof e?.code === 'string' ? e.code : undefined;
    const why = reason(err);
    const lost = (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code))) || /connection terminated|connection error|timeout exceeded when trying to connect|not queryable/i.test(why);
    switch (code) {
      case '28P01':
      case '28000':
        return new ConfigurationError(`PostgreSQL at ${t.where} refused ${t.user ? `the user ${t.user}` : 'the connection'} (${why}); check the user and password in the store URL.`);
      case '3D000':
        return new ConfigurationError(`PostgreSQL at ${t.where}: the database does not exist (${why}); create it, or name another in the store URL.`);
      case '42501':
        return new ConfigurationError(`the context store at ${t.where} could not ${doing}: permission denied (${why}); grant the store's user CREATE on the schema and the right to read and write its tables.`);
      case '25006':
        return new ConfigurationError(`the context store at ${t.where} is read-only (a standby, or default_transaction_read_only is on); point the store URL at the primary.`);
      case '53300':
        return new ConfigurationError(`PostgreSQL at ${t.where} has no connection left (${why}); lower pool_max in the store URL (now ${t.max}) or raise the server's max_connections.`);
      case '42P01':
        return new ConfigurationError(`the context store at ${t.where} is not prepared (${why}); run a sync first: it creates the tables.`);
    }
    if (lost || connecting) {
      // A server that takes fewer connections than the pool opens drops the extra ones at once.
      const fewer = /terminated|ECONNRESET/i.test(`${why} ${code}`) && t.max > 1 ? ` If the server takes few connections at a time, add pool_max=1 to the URL.` : '';
      return new ConfigurationError(`cannot reach the PostgreSQL context store at ${t.where} (${why}); check the store URL (host, port, user, password, database) and that the server accepts connections from here.${fewer}`);
    }
    // A statement failed: pg's own error (SQLSTATE, detail) is the cause; it never holds the URL.
    return new ConnectorError('STORE_FAILED', `the PostgreSQL context store at ${t.where} could not ${doing}: ${why}${code ? ` (SQLSTATE ${code})` : ''}.`, {
      cause: typeof e?.severity === 'string' ? err : undefined,
    });
  };

  const pool: Pool = new Pool({
    connectionString: t.connectionString,
    max: t.max,
    // Without it a database that does not answer holds a sync for the OS's TCP timeout.
    connectionTimeoutMillis: 10_000,
    fallback_application_name: 'context store',
  });
  // An idle pooled connection that the server drops is discarded and reopened on the next
  // query; without a listener its error would end the process.
  pool.on('error', () => {});

  /**
   * `work` in one transaction on one connection, committed when it resolves and rolled back
   * when it throws. Reads too: the records and the freshness of an answer come from one
   * snapshot. (It also keeps an embedded server behind a socket, which interleaves the
   * statements of its connections outside transactions, from mixing two of them up.)
   */
  const transaction = async <T>(doing: string, work: (c: PoolClient) => Promise<T>, read = false): Promise<T> => {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw failure(err, doing, true);
    }
    // A connection lost while checked out reports here and through the pending query, not as an unhandled event.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      await client.query(read ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.off('error', ignore);
      client.release();
      return result;
    } catch (err) {
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      );
      client.off('error', ignore);
      client.release(broken ?? undefined);
      throw failure(err, doing);
    }
  };

  // Reached once now, so that a wrong URL is told when the store opens, not at a sync's first page.
  try {
    (await pool.connect()).release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw failure(err, 'connect', true);
  }

  const saveState = (c: PoolClient, s: SyncState) =>
    c.query(
      `INSERT INTO sync_state (entity, mode, cursor, pass, checkpoint, high_water, full_at, synced_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (entity) DO UPDATE SET mode = excluded.mode, cursor = excluded.cursor, pass = excluded.pass, checkpoint = excluded.checkpoint,
         high_water = excluded.high_water, full_at = excluded.full_at, synced_at = excluded.synced_at`,
      [s.entity, s.mode, s.cursor, s.pass, s.checkpoint, s.high_water, s.full_at, s.synced_at],
    );

  /** A state, read in `c`'s transaction (a bigint comes back as a string: toState makes it a number). */
  const readState = async (c: PoolClient, entity: string): Promise<SyncState | undefined> => {
    const row = (await c.query<{ state: Record<string, unknown> | null }>('SELECT row_to_json(s) AS state FROM sync_state s WHERE s.entity = $1', [entity])).rows[0];
    return row?.state ? toState(row.state) : undefined;
  };

  let closed: Promise<void> | undefined;

  return {
    kind: 'postgres',

    async migrate(entities) {
      // Names are checked before anything is sent: a manifest's bad name changes nothing.
      const wanted = entities.map((e) => ({
        name: e.name,
        table: tableName(e.name),
        indexes: [
          { name: ident(`idx_${e.name}__updated_at`), expr: 'updated_at' },
          ...e.indexes.flatMap((field) => indexExpressions(field, 'postgres').map((expr, i) => ({ name: indexName(e.name, field, i), expr }))),
        ],
      }));
      await transaction('prepare its tables', async (c) => {
        await c.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        await c.query('CREATE TABLE IF NOT EXISTS store_schema_version (version INTEGER NOT NULL)');
        const row = (await c.query<{ version: number }>('SELECT version FROM store_schema_version')).rows[0];
        const version = row?.version ?? 0;
        if (version > MIGRATIONS.length) {
          throw new ConfigurationError(`the context store at ${t.where} has schema version ${version}, newer than this version of the engine knows (${MIGRATIONS.length}); upgrade the package.`);
        }
        if (!row) await c.query('INSERT INTO store_schema_version (version) VALUES (0)');
        // All missing steps in this one transaction: a step that fails leaves the schema as it was.
        for (let v = version; v < MIGRATIONS.length; v++) await c.query(MIGRATIONS[v]!);
        if (version < MIGRATIONS.length) await c.query('UPDATE store_schema_version SET version = $1', [MIGRATIONS.length]);
        if (wanted.length === 0) return;

        // Only what is missing is created: CREATE INDEX, even IF NOT EXISTS, locks its table
        // against writes, and every sync migrates as it starts while others may be writing.
        const names = wanted.flatMap((w) => [w.table, ...w.indexes.map((i) => i.name)]);
        const existing = new Set(
          (
            await c.query<{ relname: string }>(
              'SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = ANY($1::text[])',
              [names],
            )
          ).rows.map((r) => r.relname),
        );
        const ddl: string[] = [];
        for (const w of wanted) {
          if (!existing.has(w.table)) {
            // Ids collate bytewise, as in SQLite: both engines page in one order, and the key's index serves ORDER BY id.
            ddl.push(`CREATE TABLE IF NOT EXISTS "${w.table}" (id TEXT COLLATE "C" PRIMARY KEY, record JSONB NOT NULL, updated_at DOUBLE PRECISION, synced_at BIGINT NOT NULL, pass TEXT)`);
          }
          for (const i of w.indexes) if (!existing.has(i.name)) ddl.push(`CREATE INDEX IF NOT EXISTS "${i.name}" ON "${w.table}" ((${i.expr}))`);
        }
        if (ddl.length > 0) await c.query(ddl.join(';\n'));
        await c.query('INSERT INTO store_entities (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING', [wanted.map((w) => w.name)]);
      });
    },

    async state(entity) {
      return transaction(
        'read a sync state',
        async (c) => {
          try {
            return await readState(c, entity);
          } catch (err) {
            if (isUndefinedTable(err)) return undefined;
            throw err;
          }
        },
        true,
      );
    },

    async writePage(records, state) {
      const into = table(state.entity);
      // A page may hold one id twice (offset paging shifts under writes): one statement cannot
      // update a row twice, so the n-th copy of each id goes in the n-th statement, in page
      // order, and newer-wins is decided copy after copy as in SQLite.
      const rounds: StoredRecord[][] = [];
      const copies = new Map<string, number>();
      for (const r of records) {
        const n = copies.get(r.id) ?? 0;
        copies.set(r.id, n + 1);
        (rounds[n] ??= []).push(r);
      }
      // Rows are locked in the order they are written: in id order, two syncs writing pages
      // that share ids wait for each other instead of deadlocking. (Ids are unique within a round.)
      for (const round of rounds) round.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const rows = rounds.map((round) => ({
        ids: round.map((r) => r.id),
        json: round.map(storableJson),
        updated: round.map((r) => r.updated_at),
      }));
      const now = clock();
      return transaction('write a page of records', async (c) => {
        let changed = 0;
        for (const round of rows) {
          // One statement per page, the records as three arrays: a round trip per record would dominate a sync.
          // Newer content wins (a change feed may repeat a record a later page already wrote); the pass that saw it is noted either way.
          const result = await c.query(
            `INSERT INTO ${into} AS r (id, record, updated_at, synced_at, pass)
             SELECT page.id, page.record::jsonb, page.updated_at, $4::bigint, $5::text FROM unnest($1::text[], $2::text[], $3::float8[]) AS page(id, record, updated_at)
             ON CONFLICT (id) DO UPDATE SET
               record = CASE WHEN excluded.updated_at IS NULL OR r.updated_at IS NULL OR excluded.updated_at >= r.updated_at THEN excluded.record ELSE r.record END,
               updated_at = CASE WHEN excluded.updated_at IS NULL OR r.updated_at IS NULL OR excluded.updated_at >= r.updated_at THEN excluded.updated_at ELSE r.updated_at END,
               synced_at = excluded.synced_at,
               pass = COALESCE(excluded.pass, r.pass)`,
            [round.ids, round.json, round.updated, now, state.pass],
          );
          changed += result.rowCount ?? 0;
        }
        await saveState(c, state);
        return changed;
      });
    },

    async lock(entity, owner, steal) {
      return transaction('take the sync lock', async (c) => {
        // FOR UPDATE: two syncs asking at once take turns here.
        const held = (await c.query('SELECT id, host, pid, since, heartbeat FROM sync_locks WHERE entity = $1 FOR UPDATE', [entity])).rows[0] as Record<string, unknown> | undefined;
        if (held && held.id !== owner.id && held.id !== steal) {
          return { id: String(held.id), host: String(held.host), pid: Number(held.pid), since: Number(held.since), heartbeat: Number(held.heartbeat) };
        }
        await c.query(
          `INSERT INTO sync_locks (entity, id, host, pid, since, heartbeat) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (entity) DO UPDATE SET id = excluded.id, host = excluded.host, pid = excluded.pid, since = excluded.since, heartbeat = excluded.heartbeat`,
          [entity, owner.id, owner.host, owner.pid, owner.since, owner.heartbeat],
        );
        return undefined;
      });
    },

    async unlock(entity, ownerId) {
      await transaction('release the sync lock', async (c) => {
        await c.query('DELETE FROM sync_locks WHERE entity = $1 AND id = $2', [entity, ownerId]);
      });
    },

    async endFullPass(state) {
      const from = table(state.entity);
      return transaction('end a full pass', async (c) => {
        const deleted = (await c.query(`DELETE FROM ${from} WHERE pass IS DISTINCT FROM $1`, [state.pass])).rowCount ?? 0;
        await saveState(c, state);
        return deleted;
      });
    },

    async search(entity: string, query: StoreQuery): Promise<StoreAnswer> {
      // The query is checked (and compiled) before a connection is taken.
      const params = new Params('postgres');
      const where = query.where ? `WHERE ${compileFilter(query.where, params)}` : '';
      const order = orderBy(query.sort, 'postgres');
      const limit = pageLimit(query.limit);
      const offset = decodeCursor(query, entity);
      const { rows, state } = await transaction(
        'search',
        async (c) => {
          let head: { known: boolean; state: Record<string, unknown> | null } | undefined;
          try {
            head = (
              await c.query<{ known: boolean; state: Record<string, unknown> | null }>(
                'SELECT EXISTS (SELECT 1 FROM store_entities WHERE name = $1) AS known, (SELECT row_to_json(s) FROM sync_state s WHERE s.entity = $1) AS state',
                [entity],
              )
            ).rows[0];
          } catch (err) {
            // A store no sync has prepared yet holds no records: an empty answer, as for an entity never synced.
            if (isUndefinedTable(err)) return { rows: [], state: undefined };
            throw err;
          }
          if (!head?.known) return { rows: [], state: head?.state ? toState(head.state) : undefined };
          const found = await c.query<{ record: Record<string, unknown>; synced_at: string }>(
            `SELECT record, synced_at FROM ${table(entity)} ${where} ${order} LIMIT ${limit + 1} OFFSET ${offset}`,
            params.values,
          );
          return { rows: found.rows.map((r) => ({ record: r.record, synced_at: Number(r.synced_at) })), state: head.state ? toState(head.state) : undefined };
        },
        true,
      );
      return answerPage(entity, query, rows, limit, offset, state);
    },

    async status(): Promise<EntityStatus[]> {
      return transaction(
        'read its status',
        async (c) => {
          let listed: { name: string; state: Record<string, unknown> | null }[];
          try {
            listed = (
              await c.query<{ name: string; state: Record<string, unknown> | null }>(
                'SELECT e.name, row_to_json(s) AS state FROM store_entities e LEFT JOIN sync_state s ON s.entity = e.name ORDER BY e.name COLLATE "C"',
              )
            ).rows;
          } catch (err) {
            if (isUndefinedTable(err)) return [];
            throw err;
          }
          if (listed.length === 0) return [];
          // Every count in one statement: one round trip however many entities there are.
          const counts = new Map(
            (
              await c.query<{ entity: string; n: string }>(
                listed.map((e, i) => `SELECT $${i + 1}::text AS entity, count(*) AS n FROM ${table(e.name)}`).join(' UNION ALL '),
                listed.map((e) => e.name),
              )
            ).rows.map((r) => [r.entity, Number(r.n)]),
          );
          return listed.map(({ name, state }) => {
            const s = state ? toState(state) : undefined;
            return {
              entity: name,
              records: counts.get(name) ?? 0,
              mode: s?.mode ?? null,
              checkpoint: s?.checkpoint ?? null,
              in_progress: s?.cursor != null,
              last_synced_at: s?.synced_at ? new Date(s.synced_at).toISOString() : null,
              last_full_at: s?.full_at ? new Date(s.full_at).toISOString() : null,
            };
          });
        },
        true,
      );
    },

    async close() {
      // Twice is harmless, as for the SQLite store; pg's pool refuses a second end.
      await (closed ??= pool.end());
    },
  };
}
