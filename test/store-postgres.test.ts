// The PostgreSQL context store over the real wire protocol (PGlite behind pglite-socket on
// 127.0.0.1, see support/postgres.ts), held against the SQLite store: the same writes and
// the same searches must give the same answers, record for record and page for page.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { inspect } from 'node:util';
import pg from 'pg';
import { after, before, describe, test } from 'node:test';
import { ConfigurationError, ConnectorError, ParameterError } from '../src/errors.js';
import { Params, compileFilter, indexExpressions } from '../src/store/filter-sql.js';
import { openContextStore } from '../src/store/open.js';
import { openPostgresContextStore } from '../src/store/postgres.js';
import { openSqliteContextStore } from '../src/store/sqlite.js';
import type { ContextStore, StoreQuery, SyncState } from '../src/store/types.js';
import { FILTERS, PEOPLE, SORTS, f, ids, or, pageThrough, state, stored } from './support/store-data.js';
import { startPostgres, type RunningPostgres } from './support/postgres.js';

const NOW = Date.UTC(2025, 6, 2, 12);
const PASSWORD = 'pw-s3cret-Zq9';


describe('context store: PostgreSQL against SQLite', () => {
  let postgres: RunningPostgres;
  let pgStore: ContextStore;
  let sqlite: ContextStore;
  let now = NOW;
  const clock = () => now;

  before(async () => {
    postgres = await startPostgres({ password: PASSWORD });
    pgStore = await openPostgresContextStore(postgres.url, { clock });
    sqlite = openSqliteContextStore(':memory:', clock);
    const entities = [
      { name: 'people', indexes: ['email', 'company.size'] },
      { name: 'items', indexes: [] },
      { name: 'bulk', indexes: ['n'] },
    ];
    await Promise.all([pgStore.migrate(entities), sqlite.migrate(entities)]);
    const page = PEOPLE.map(stored);
    const written = await Promise.all([pgStore.writePage(page, state('people')), sqlite.writePage(page, state('people'))]);
    assert.deepEqual(written, [PEOPLE.length, PEOPLE.length]);
  });
  after(async () => {
    await pgStore?.close();
    await sqlite?.close();
    await postgres?.close();
  });

  test('every operator finds the same ids on both engines, and the ids it should', async () => {
    for (const [where, expected] of FILTERS) {
      const [onPg, onSqlite] = await Promise.all([pgStore.search('people', { where, limit: 100 }), sqlite.search('people', { where, limit: 100 })]);
      assert.deepEqual(ids(onSqlite), expected, `SQLite, ${JSON.stringify(where)}`);
      assert.deepEqual(ids(onPg), expected, `PostgreSQL, ${JSON.stringify(where)}`);
      // Records, cursor and freshness alike, not only ids.
      assert.deepEqual(onPg, onSqlite, JSON.stringify(where));
    }
  });

  test('sorting: the same order on both engines; cursors page through every record once', async () => {
    for (const [sort, expected] of SORTS) {
      const query: StoreQuery = sort ? { sort } : {};
      const [whole, onSqlite] = await Promise.all([pgStore.search('people', { ...query, limit: 100 }), sqlite.search('people', { ...query, limit: 100 })]);
      if (expected) assert.deepEqual(ids(whole), expected, `PostgreSQL, ${JSON.stringify(sort)}`);
      assert.deepEqual(ids(whole), ids(onSqlite), `same order, ${JSON.stringify(sort)}`);
      const paged = await pageThrough(pgStore, 'people', { ...query, limit: 3 });
      assert.deepEqual(paged.ids, ids(whole), `paged, ${JSON.stringify(sort)}`);
      assert.equal(paged.pages, 3);
    }
  });

  test('many records with ties: every page the same on both engines, each record once', async () => {
    // Few distinct values, so most of the order is decided by the id; some of each type.
    const records = Array.from({ length: 250 }, (_, i) => {
      const kind = i % 5;
      const n = kind === 0 ? null : kind === 1 ? `s${i % 7}` : kind === 2 ? i % 4 : kind === 3 ? (i % 3) + 0.5 : i % 2 === 0;
      return stored({ id: `b${String((i * 7919) % 1000).padStart(4, '0')}`, n, group: i % 3 === 0 ? undefined : `G${i % 4}`, updated_at: 1000 + i });
    });
    for (let i = 0; i < records.length; i += 150) {
      const page = records.slice(i, i + 150);
      await Promise.all([pgStore.writePage(page, state('bulk')), sqlite.writePage(page, state('bulk'))]);
    }
    const queries: StoreQuery[] = [
      {},
      { sort: { field: 'n' } },
      { sort: { field: 'n', order: 'descending' } },
      { sort: { field: 'group', order: 'descending' }, where: f('n', '!=', null) },
      { sort: { field: 'updated_at' }, where: or(f('group', 'IN', ['g1', 'G2']), f('n', '>=', 2)) },
    ];
    for (const q of queries) {
      let cursors: [string | undefined, string | undefined] = [undefined, undefined];
      const seen: string[] = [];
      do {
        const [a, b] = await Promise.all([pgStore.search('bulk', { ...q, limit: 7, cursor: cursors[0] }), sqlite.search('bulk', { ...q, limit: 7, cursor: cursors[1] })]);
        assert.deepEqual(a, b, JSON.stringify(q));
        seen.push(...ids(a));
        cursors = [a.next_cursor ?? undefined, b.next_cursor ?? undefined];
      } while (cursors[0]);
      assert.equal(new Set(seen).size, seen.length, `no record twice: ${JSON.stringify(q)}`);
      const total = (await pgStore.search('bulk', { ...q, limit: 1000 })).data.length;
      assert.equal(seen.length, total);
    }
  });

  test('writePage: newer updated_at wins, the pass is noted either way, a page may repeat an id; as in SQLite', async () => {
    const both = async (records: Record<string, unknown>[], s: SyncState) => {
      const page = records.map(stored);
      const [a, b] = await Promise.all([pgStore.writePage(page, s), sqlite.writePage(page, s)]);
      assert.equal(a, b, 'rows changed');
      return a;
    };
    const rows = async () =>
      Object.fromEntries(
        (await postgres.query<{ id: string; v: number; updated_at: number | null; synced_at: string; pass: string | null }>(
          "SELECT id, (record->>'v')::int AS v, updated_at, synced_at, pass FROM records_items ORDER BY id",
        )).map((r) => [r.id, [r.v, r.updated_at, Number(r.synced_at), r.pass]]),
      );

    now = NOW + 1;
    assert.equal(await both([{ id: 'a', v: 1, updated_at: 100 }, { id: 'b', v: 1 }, { id: 'c', v: 1, updated_at: 50 }], state('items', { cursor: 'x' })), 3);
    now = NOW + 2;
    // a: older, its content is kept; b: none stored, replaced; c: as new, replaced.
    await both([{ id: 'a', v: 2, updated_at: 90 }, { id: 'b', v: 2, updated_at: 10 }, { id: 'c', v: 2, updated_at: 50 }], state('items', { pass: 'p2' }));
    assert.deepEqual(await rows(), { a: [1, 100, NOW + 2, 'p2'], b: [2, 10, NOW + 2, 'p2'], c: [2, 50, NOW + 2, 'p2'] });
    now = NOW + 3;
    // A change pass (no pass of its own) keeps the full pass's mark; a record without updated_at replaces.
    await both([{ id: 'a', v: 3 }], state('items', { mode: 'changes', pass: null }));
    assert.deepEqual((await rows()).a, [3, null, NOW + 3, 'p2']);
    // One id three times in a page, then a mix where order decides: each copy goes in turn, as in SQLite.
    await both([{ id: 'd', v: 1, updated_at: 10 }, { id: 'd', v: 2, updated_at: 5 }, { id: 'd', v: 3, updated_at: 20 }], state('items', { pass: 'p2' }));
    await both([{ id: 'e', v: 0, updated_at: 10 }], state('items', { pass: 'p2' }));
    assert.equal(await both([{ id: 'e', v: 1 }, { id: 'e', v: 2, updated_at: 5 }, { id: 'f', v: 1 }], state('items', { pass: 'p2' })), 3);
    const r = await rows();
    assert.deepEqual([r.d, r.e], [[3, 20, NOW + 3, 'p2'], [2, 5, NOW + 3, 'p2']]);
    const [onPg, onSqlite] = await Promise.all([pgStore.search('items', { limit: 100 }), sqlite.search('items', { limit: 100 })]);
    assert.deepEqual(onPg, onSqlite);
    // An empty page still moves the state.
    assert.equal(await both([], state('items', { pass: 'p2', cursor: 'after-empty' })), 0);
    assert.equal((await pgStore.state('items'))?.cursor, 'after-empty');
  });

  test('endFullPass deletes what the pass did not see and saves the state, in one go', async () => {
    const seen = [{ id: 'a', v: 4, updated_at: 200 }, { id: 'c', v: 4, updated_at: 200 }].map(stored);
    const during = state('items', { pass: 'p3', cursor: '' });
    await Promise.all([pgStore.writePage(seen, during), sqlite.writePage(seen, during)]);
    const done = state('items', { mode: 'changes', pass: 'p3', checkpoint: 1_751_457_600.25, full_at: NOW + 5, synced_at: NOW + 5 });
    const deleted = await Promise.all([pgStore.endFullPass(done), sqlite.endFullPass(done)]);
    assert.deepEqual(deleted, [4, 4]); // b, d, e, f
    assert.deepEqual(ids(await pgStore.search('items', {})), ['a', 'c']);
    // Numbers come back as numbers (bigint is a string in pg), nulls as nulls.
    assert.deepEqual(await pgStore.state('items'), done);
    assert.deepEqual(await pgStore.state('items'), await sqlite.state('items'));
    assert.equal(await pgStore.state('nothing'), undefined);
    // Again, with nothing left to delete.
    assert.equal(await pgStore.endFullPass(done), 0);
  });

  test('a page is one transaction: a failure part way leaves neither records nor state', async () => {
    const before = await pgStore.state('items');
    const records = (await pgStore.search('items', { limit: 100 })).data;
    // The state fails after the records went in (text cannot hold U+0000): they go back out.
    await assert.rejects(
      pgStore.writePage([stored({ id: 'x1', v: 1 }), stored({ id: 'a', v: 9, updated_at: 999 })], state('items', { pass: 'p4', cursor: 'bad\u0000cursor' })),
      (err: unknown) => err instanceof ConnectorError && err.code === 'STORE_FAILED' && /write a page/.test(err.message) && !err.message.includes(PASSWORD),
    );
    // A record that fails mid-page: none of the page, nor the state.
    await assert.rejects(
      pgStore.writePage([stored({ id: 'x2', v: 1 }), stored({ id: 'bad\u0000id', v: 1 }), stored({ id: 'x3', v: 1 })], state('items', { pass: 'p4', cursor: 'next' })),
      (err: unknown) => err instanceof ConnectorError && err.code === 'STORE_FAILED',
    );
    assert.deepEqual((await pgStore.search('items', { limit: 100 })).data, records);
    assert.deepEqual(await pgStore.state('items'), before);
    // The pool is usable after a failed transaction.
    assert.equal(await pgStore.writePage([stored({ id: 'x4', v: 1 })], state('items', { pass: 'p3' })), 1);
  });

  test('what jsonb cannot hold (U+0000, a lone surrogate) is kept as U+FFFD; everything else as written', async () => {
    const record = { id: 'odd', nul: 'a\u0000b', lone: 'x\ud800y', low: '\udc00', literal: '\\u0000 \\\\u0000', pair: 'e\u{1F600}', ['k\u0000ey']: 1, nested: [{ deep: '\u0000' }] };
    await pgStore.writePage([stored(record)], state('items', { pass: 'p3' }));
    const [back] = (await pgStore.search('items', { where: f('id', '=', 'odd') })).data;
    assert.deepEqual(back, { id: 'odd', nul: 'a\ufffdb', lone: 'x\ufffdy', low: '\ufffd', literal: '\\u0000 \\\\u0000', pair: 'e\u{1F600}', ['k\ufffdey']: 1, nested: [{ deep: '\ufffd' }] });
  });

  test('status: the same as SQLite', async () => {
    // Make both stores hold the same records again, then compare.
    const all = (await pgStore.search('items', { limit: 100 })).data.map(stored);
    const final = state('items', { mode: 'changes', pass: 'p3', checkpoint: 200, synced_at: NOW + 9, full_at: NOW + 9 });
    await sqlite.writePage(all, final);
    await sqlite.endFullPass(final);
    await pgStore.writePage([], final);
    const [a, b] = await Promise.all([pgStore.status(), sqlite.status()]);
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((s) => [s.entity, s.records]),
      [
        ['bulk', 250],
        ['items', all.length],
        ['people', PEOPLE.length],
      ],
    );
  });

  test('searches, counts and pages at once over a pool of connections', async () => {
    // Long statements (an IN of 1,000 values spans several TCP reads) from several connections at once.
    const many = Array.from({ length: 999 }, (_, i) => `nobody-${i}@example.com`);
    const work = Array.from({ length: 24 }, (_, i) => {
      if (i % 4 === 0) return pgStore.writePage([stored({ id: `c${i}`, v: i, updated_at: i })], state('items', { pass: 'p3', cursor: `c${i}` })).then((n) => ['w', n]);
      if (i % 4 === 1) return pgStore.status().then((s) => ['s', s.length]);
      return pgStore.search('people', { where: f('email', 'IN', [...many, 'alice@example.com']), limit: 10 }).then((a) => ['q', ids(a).join()]);
    });
    const results = await Promise.all(work);
    for (const [kind, value] of results) {
      if (kind === 'w') assert.equal(value, 1);
      else if (kind === 's') assert.equal(value, 3);
      else assert.equal(value, 'r01');
    }
  });

  test('a query is checked before it is sent; an entity never migrated answers an empty page', async () => {
    await assert.rejects(pgStore.search('people', { where: f('bad"field', '=', 1) }), ParameterError);
    await assert.rejects(pgStore.search('people', { limit: 0 }), ParameterError);
    await assert.rejects(pgStore.search('people', { cursor: 'st1.AAAAAAAAAAAAAAAA.3' }), ParameterError);
    const [a, b] = await Promise.all([pgStore.search('unknown', {}), sqlite.search('unknown', {})]);
    assert.deepEqual(a, b);
    assert.deepEqual(a.data, []);
    assert.equal(a.next_cursor, null);
  });
});

describe('context store: PostgreSQL schema and connections', () => {
  let postgres: RunningPostgres;
  const opened: ContextStore[] = [];
  const open = async (url: string) => {
    const store = await openPostgresContextStore(url);
    opened.push(store);
    return store;
  };

  before(async () => {
    postgres = await startPostgres();
  });
  after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await postgres?.close();
  });

  test('before any migration: empty answers, and a write says to prepare the store', async () => {
    const store = await open(postgres.url);
    assert.deepEqual(await store.status(), []);
    assert.equal(await store.state('contacts'), undefined);
    assert.deepEqual((await store.search('contacts', {})).data, []);
    await assert.rejects(store.writePage([stored({ id: '1' })], state('contacts')), (err: unknown) => err instanceof ConfigurationError && /not prepared.*run a sync/.test(err.message));
  });

  test('migrate from two clients at once, then again: one schema, each table and index once', async () => {
    const [a, b] = [await open(postgres.url), await open(`${postgres.url}?pool_max=2`)];
    const entities = [
      { name: 'contacts', indexes: ['email', 'custom_attributes.plan'] },
      { name: 'companies', indexes: [] },
    ];
    await Promise.all([a.migrate(entities), b.migrate(entities), a.migrate(entities)]);
    await b.migrate(entities);
    assert.deepEqual(await postgres.query('SELECT version FROM store_schema_version'), [{ version: 2 }]);
    assert.deepEqual((await postgres.query<{ name: string }>('SELECT name FROM store_entities ORDER BY name')).map((r) => r.name), ['companies', 'contacts']);
    const indexes = await postgres.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'records_contacts' ORDER BY indexname");
    // updated_at, the key, and each expression of each listed field (a dotted field's name gains a hash: "a.b" and "a_b" stay apart).
    const expected = [
      'idx_contacts__updated_at',
      ...indexExpressions('custom_attributes.plan', 'postgres').map((_, i) => new RegExp(`^idx_contacts_custom_attributes_plan_[0-9a-f]{8}_${i}$`)),
      ...indexExpressions('email', 'postgres').map((_, i) => `idx_contacts_email_${i}`),
      'records_contacts_pkey',
    ];
    assert.equal(indexes.length, expected.length, JSON.stringify(indexes));
    indexes.forEach((index, i) => (typeof expected[i] === 'string' ? assert.equal(index.indexname, expected[i]) : assert.match(index.indexname, expected[i] as RegExp)));
    assert.match(indexes.find((i) => i.indexname === 'idx_contacts_email_0')!.indexdef, /lower\(\(record ->> 'email'::text\)\)/);
    // The columns the brief gives, with ids collated bytewise.
    const columns = await postgres.query<{ column_name: string; data_type: string; is_nullable: string; collation_name: string | null }>(
      "SELECT column_name, data_type, is_nullable, collation_name FROM information_schema.columns WHERE table_name = 'records_contacts' ORDER BY ordinal_position",
    );
    assert.deepEqual(
      columns.map((c) => [c.column_name, c.data_type, c.is_nullable, c.collation_name]),
      [
        ['id', 'text', 'NO', 'C'],
        ['record', 'jsonb', 'NO', null],
        ['updated_at', 'double precision', 'YES', null],
        ['synced_at', 'bigint', 'NO', null],
        ['pass', 'text', 'YES', null],
      ],
    );
    // A field indexed later gets its index; data stays.
    await a.writePage([stored({ id: 'k1', email: 'k@x.org', phone: '555' })], state('contacts'));
    await b.migrate([{ name: 'contacts', indexes: ['email', 'custom_attributes.plan', 'phone'] }]);
    const after = await postgres.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'records_contacts' AND indexname LIKE 'idx_contacts_phone%'");
    assert.equal(after.length, indexExpressions('phone', 'postgres').length);
    assert.equal((await a.search('contacts', { where: f('phone', '~', '55') })).data.length, 1);
  });

  test('the planner can use the index compileFilter matches', async () => {
    const params = new Params('postgres');
    const where = compileFilter(f('email', '=', 'K@X.ORG'), params);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      // A table of one row is scanned whatever its indexes: ask what the planner could do.
      await client.query('SET enable_seqscan = off');
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM records_contacts WHERE ${where}`, params.values)).rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.match(plan, /idx_contacts_email_0/);
    } finally {
      await client.query('RESET enable_seqscan');
      await client.end();
    }
  });

  test('a schema newer than this engine is refused, naming what to do', async () => {
    const store = await open(postgres.url);
    await postgres.query('UPDATE store_schema_version SET version = 99');
    try {
      await assert.rejects(store.migrate([]), (err: unknown) => err instanceof ConfigurationError && /schema version 99.*upgrade the package/.test(err.message));
    } finally {
      await postgres.query('UPDATE store_schema_version SET version = 1');
    }
    await store.migrate([]);
  });

  test('entity names PostgreSQL would cut short are refused', async () => {
    const store = await open(postgres.url);
    await assert.rejects(store.migrate([{ name: `e${'x'.repeat(55)}`, indexes: [] }]), (err: unknown) => err instanceof ParameterError && /too long/.test(err.message));
    // A long but legal name gets hashed index names that stay within 63 characters and apart.
    const name = `e${'x'.repeat(54)}`;
    await store.migrate([{ name, indexes: ['a.b', 'a_b'] }]);
    const indexes = await postgres.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'records_${name}'`);
    assert.equal(indexes.length, 2 + 2 * indexExpressions('a.b', 'postgres').length);
    assert.ok(indexes.every((i) => i.indexname.length <= 63));
  });

  test('openContextStore opens a postgres:// location with this engine', async () => {
    const store = await openContextStore(postgres.url.replace('postgres://', 'postgresql://'));
    opened.push(store);
    assert.equal(store.kind, 'postgres');
    await store.close();
    await store.close();
  });

  test('a server that takes one connection at a time: pool_max=1 in the URL', async () => {
    // pglite-socket's own default: a second connection is dropped as it opens. Two servers, each
    // fresh: one that a closed pool just left may not have counted its connection gone yet.
    const [single, other] = await Promise.all([startPostgres({ maxConnections: 1 }), startPostgres({ maxConnections: 1 })]);
    try {
      const store = await openPostgresContextStore(`${single.url}?pool_max=1`);
      try {
        await store.migrate([{ name: 'one', indexes: [] }]);
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? store.search('one', {}) : store.writePage([stored({ id: `o${i}` })], state('one')))));
        assert.equal(results.length, 12);
        assert.equal((await store.search('one', { limit: 100 })).data.length, 6);
      } finally {
        await store.close();
      }
      // The default pool opens more connections than such a server takes: told, with the remedy.
      const wide = await openPostgresContextStore(other.url);
      try {
        const settled = await Promise.allSettled(Array.from({ length: 6 }, () => wide.search('one', {})));
        const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
        assert.ok(refused.length > 0, 'some connections are refused');
        for (const r of refused) assert.ok(r.reason instanceof ConfigurationError && /pool_max=1/.test(r.reason.message), String(r.reason));
      } finally {
        await wide.close();
      }
    } finally {
      await Promise.all([single.close(), other.close()]);
    }
  });
});

describe('context store: PostgreSQL errors never show the password', () => {
  let dropping: Server;
  let port: number;

  before(async () => {
    // Accepts a connection and closes it at once: a server that is there but will not talk.
    dropping = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    port = (dropping.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => dropping.close(() => resolve())));

  const secretFree = (err: unknown, ...secrets: string[]) => {
    const shown = `${inspect(err, { depth: 5 })} ${JSON.stringify(err)} ${(err as Error).message}`;
    for (const s of secrets) assert.ok(!shown.includes(s), `${s} leaked: ${shown}`);
    return true;
  };

  test('a connection that fails: ConfigurationError naming host, port and database', async () => {
    await assert.rejects(openPostgresContextStore(`postgres://sync:${PASSWORD}@127.0.0.1:${port}/warehouse`), (err: unknown) => {
      assert.ok(err instanceof ConfigurationError, String(err));
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}, database warehouse`));
      return secretFree(err, PASSWORD);
    });
    const encoded = 'p@ss:w/rd%?';
    await assert.rejects(openPostgresContextStore(`postgres://sync:${encodeURIComponent(encoded)}@127.0.0.1:${port}/warehouse?sslpassword=${PASSWORD}`), (err: unknown) =>
      secretFree(err, encodeURIComponent(encoded), encoded, PASSWORD),
    );
  });

  test('a location that is not a URL, or a bad pool_max: ConfigurationError without the password', async () => {
    await assert.rejects(openPostgresContextStore(`postgres://sync:${PASSWORD}@[not-a-host/db`), (err: unknown) => err instanceof ConfigurationError && secretFree(err, PASSWORD));
    await assert.rejects(openPostgresContextStore(`postgres://sync:${PASSWORD}@127.0.0.1:${port}/db?pool_max=0`), (err: unknown) => err instanceof ConfigurationError && /pool_max/.test(err.message) && secretFree(err, PASSWORD));
  });
});
