import type { Pool, PoolClient } from 'pg';
import { ConfigurationError } from '../errors.js';
import { pgDriver } from '../database/drivers.js';
import { redactUrl, scrubUrlSecrets } from '../database/url.js';
import type { InstanceStore, StoredInstance } from './store.js';



/**
 * Each step moves the schema one version up; the one row of `serve_schema_version` says how
 * far a database is. The tables are prefixed `serve_` because a PostgreSQL database is often
 * shared (another application, the context store): names such as `settings` would collide.
 * Columns and meanings are those of the SQLite store; `created_at` stays ISO 8601 text so both
 * engines list in the same order and answer the same strings.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE serve_instances (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     connector_definition_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     sealed_auth BYTEA NOT NULL,
     config TEXT,
     scope TEXT NOT NULL DEFAULT 'read' CHECK (scope IN ('read', 'read_write'))
   );
   CREATE INDEX serve_instances_by_created ON serve_instances (created_at, id);
   CREATE TABLE serve_settings (key TEXT PRIMARY KEY, value BYTEA NOT NULL);`,
];

/**
 * The advisory lock that serializes migrations (an arbitrary constant, this store's own):
 * replicas starting at once take turns, and the second finds the schema already current.
 */
const MIGRATION_LOCK = '7140521893034112';

/** How long a health probe may take before the store counts as not answering. */
const HEALTH_TIMEOUT_MS = 5_000;

/**
 * Instances in a PostgreSQL database, through a pool of connections, so that several serve
 * replicas behind a load balancer share them. Opening checks what a server needs before it
 * answers anything: the database answers, is writable (not a standby) and has a schema version
 * this server knows; missing steps are applied under an advisory lock.
 */
export async function openPostgresStore(url: string): Promise<InstanceStore> {
  const { Pool } = pgDriver('serve keeps its instances');
  const shown = redactUrl(url);
  const scrub = (err: unknown) => scrubUrlSecrets((err as Error)?.message ?? String(err), url);
  let pool: Pool;
  try {
    pool = new Pool({
      connectionString: url,
      // pg's default, 10 connections per replica: size max_connections of the database to the replicas.
      max: 10,
      // Without it a database that does not answer holds a start, or a request, for the OS's TCP timeout.
      connectionTimeoutMillis: 10_000,
      fallback_application_name: 'connector-engine serve',
    });
  } catch (err) {
    throw new ConfigurationError(`the database URL ${shown} is not usable (${scrub(err)}); check --db.`);
  }
  // A pooled connection that the database drops while idle is discarded by the pool and
  // reopened on the next query; without a listener its error would end the process.
  pool.on('error', () => {});

  try {
    await opening(pool, shown, scrub);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }

  const one = async <T>(text: string, values: unknown[] = []): Promise<T | undefined> => (await pool.query(text, values)).rows[0] as T | undefined;
  const columns = 'id, name, connector_definition_id, created_at, config, scope';
  return {
    async insert(i) {
      await pool.query(
        'INSERT INTO serve_instances (id, name, connector_definition_id, created_at, sealed_auth, config, scope) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [i.id, i.name, i.connector_definition_id, i.created_at, i.sealed_auth, i.config, i.scope],
      );
    },
    list: async () => (await pool.query(`SELECT ${columns} FROM serve_instances ORDER BY created_at, id`)).rows as Omit<StoredInstance, 'sealed_auth'>[],
    get: (id) => one<StoredInstance>(`SELECT ${columns}, sealed_auth FROM serve_instances WHERE id = $1`, [id]),
    async update(id, change) {
      // One statement for any patch: a field left out (null) keeps its stored value.
      const r = await pool.query(
        'UPDATE serve_instances SET name = coalesce($2, name), sealed_auth = coalesce($3, sealed_auth), scope = coalesce($4, scope) WHERE id = $1',
        [id, change.name ?? null, change.sealed_auth ?? null, change.scope ?? null],
      );
      return (r.rowCount ?? 0) > 0;
    },
    delete: async (id) => ((await pool.query('DELETE FROM serve_instances WHERE id = $1', [id])).rowCount ?? 0) > 0,
    getSetting: async (key) => (await one<{ value: Buffer }>('SELECT value FROM serve_settings WHERE key = $1', [key]))?.value,
    async setSetting(key, value) {
      await pool.query('INSERT INTO serve_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
    async initSetting(key, value) {
      // One statement: whichever replica inserts first wins, and each learns the winner.
      const inserted = await one<{ value: Buffer }>('INSERT INTO serve_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value', [key, value]);
      return inserted?.value ?? (await one<{ value: Buffer }>('SELECT value FROM serve_settings WHERE key = $1', [key]))!.value;
    },
    holdsSecrets: async () =>
      (await one<{ held: boolean }>("SELECT EXISTS (SELECT 1 FROM serve_instances) OR EXISTS (SELECT 1 FROM serve_settings WHERE key = 'key_check') AS held"))!.held,
    resealAll: (change, keyCheck) =>
      transaction(pool, async (client) => {
        // No other replica writes an instance meanwhile: a credential sealed under the old key
        // after this read would be left behind. Reads go on; writers wait for the commit.
        await client.query('LOCK TABLE serve_instances IN EXCLUSIVE MODE');
        const { rows } = await client.query<{ id: string; sealed_auth: Buffer }>('SELECT id, sealed_auth FROM serve_instances');
        for (const row of rows) await client.query('UPDATE serve_instances SET sealed_auth = $1 WHERE id = $2', [change(row.id, row.sealed_auth), row.id]);
        await client.query('INSERT INTO serve_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', ['key_check', keyCheck]);
        return rows.length;
      }),
    async health() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${HEALTH_TIMEOUT_MS / 1000} s`), HEALTH_TIMEOUT_MS);
        timer.unref();
      });
      // The table itself, not just `SELECT 1`: a table that went away is noticed.
      const probe = pool.query('SELECT id FROM serve_instances LIMIT 1').then(
        () => undefined,
        (err: unknown) => scrub(err),
      );
      try {
        return await Promise.race([probe, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => pool.end(),
  };
}

/** The checks and migrations of a start; every failure is one ConfigurationError with what to do. */
async function opening(pool: Pool, shown: string, scrub: (err: unknown) => string): Promise<void> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new ConfigurationError(`cannot connect to the PostgreSQL database ${shown} (${scrub(err)}); check --db (host, port, user, password, database) and that the server accepts connections from here.`);
  }
  try {
    const { rows } = await client.query<{ read_only: string }>("SELECT current_setting('transaction_read_only') AS read_only");
    if (rows[0]?.read_only === 'on') {
      throw new ConfigurationError(`the PostgreSQL database ${shown} is read-only (a standby, or default_transaction_read_only is on); point --db at the primary.`);
    }
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(`the PostgreSQL database ${shown} cannot be used (${scrub(err)}); check --db.`);
  } finally {
    client.release();
  }
  try {
    await transaction(pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await c.query('CREATE TABLE IF NOT EXISTS serve_schema_version (version INTEGER NOT NULL)');
      const row = (await c.query<{ version: number }>('SELECT version FROM serve_schema_version')).rows[0];
      const version = row?.version ?? 0;
      if (version > MIGRATIONS.length) {
        throw new ConfigurationError(`the PostgreSQL database ${shown} has schema version ${version}, newer than this server knows (${MIGRATIONS.length}); upgrade the server.`);
      }
      if (!row) await c.query('INSERT INTO serve_schema_version (version) VALUES (0)');
      // All missing steps in this one transaction: a step that fails leaves the schema as it was.
      for (let v = version; v < MIGRATIONS.length; v++) await c.query(MIGRATIONS[v]!);
      if (version < MIGRATIONS.length) await c.query('UPDATE serve_schema_version SET version = $1', [MIGRATIONS.length]);
    });
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(`the PostgreSQL database ${shown} cannot be migrated (${scrub(err)}); check that the user may create tables there.`);
  }
}

/**
 * Runs `work` in one transaction on one pooled connection: committed when it resolves, rolled
 * back when it throws. A connection whose rollback fails is discarded, not reused.
 */
async function transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    const broken = await client.query('ROLLBACK').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    client.release(broken ?? undefined);
    throw err;
  }
}
