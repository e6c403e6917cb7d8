// The SQLite context store on real files: indexed fields kept in "field:<path>" columns beside
// the JSON record must answer every filter and sort exactly as json_extract over the record
// does (a store without indexes is the reference); a version-2 file is moved to columns; an
// empty table gets its indexes only when its first full pass ends (a table with rows at once);
// a file newer than the engine is refused. The files are read back with better-sqlite3 itself,
// so that what is on disk is checked, not only what the store answers.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Params, compileFilter, fieldColumn } from '../src/store/filter-sql.js';
import { openSqliteContextStore } from '../src/store/sqlite.js';
import type { ContextStore, StoreFilter, StoreQuery } from '../src/store/types.js';
import { FILTERS, PEOPLE, SORTS, f, ids, pageThrough, state, stored } from './support/store-data.js';

const NOW = Date.UTC(2025, 6, 2, 12);
const clock = () => NOW;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-sqlite-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens the file itself (not through the store), and closes it whatever `use` does. */
function withDb<T>(file: string, use: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** The JSON path json_extract takes for a dotted field, written here rather than taken from src/. */
const jsonPath = (field: string) => `$${field.split('.').map((s) => `."${s}"`).join('')}`;

/** Ids of the rows whose column for `field` is not what json_extract gives from their record. */
const valueMismatches = (db: Database.Database, entity: string, field: string) =>
  (db.prepare(`SELECT id FROM "records_${entity}" WHERE NOT ("field:${field}" IS json_extract(record, ?)) ORDER BY id`).all(jsonPath(field)) as { id: string }[]).map((r) => r.id);

/** Ids of the rows whose column for `field` holds another SQL type (integer, real, text, null) than json_extract gives. */
const typeMismatches = (db: Database.Database, entity: string, field: string) =>
  (db.prepare(`SELECT id FROM "records_${entity}" WHERE typeof("field:${field}") IS NOT typeof(json_extract(record, ?)) ORDER BY id`).all(jsonPath(field)) as { id: string }[]).map((r) => r.id);

const columnsOf = (db: Database.Database, entity: string) => (db.prepare(`PRAGMA table_info("records_${entity}")`).all() as { name: string }[]).map((c) => c.name);

/** The store's own indexes on an entity's table (not the primary key's), by name. */
const indexNames = (db: Database.Database, entity: string) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name LIKE 'idx!_%' ESCAPE '!' ORDER BY name").all(`records_${entity}`) as { name: string }[]).map(
    (r) => r.name,
  );

// More of what JSON holds, at the same fields: text beyond ASCII (which NOCASE does not fold),
// objects and arrays where strings were, a key "0" holding an object, a record of only an id.
const ODD: Record<string, unknown>[] = [
  { id: 'u01', name: 'Émile', email: 'émile@exämple.com', score: 3.25, active: true, tags: ['é', '😀'], company: { name: 'Zürich AG', size: 20.5 }, codes: { '0': 'é' }, 'x-flag': true, note: 'naïve 😀', updated_at: 900 },
  { id: 'u02', name: 'émile', email: 'EMILE@EXAMPLE.COM', score: 1e3, active: false, tags: { '0': 'obj' }, company: { name: { first: 'nested' }, size: '12' }, codes: ['zero'], note: null, 'x-flag': ['a'] },
  { id: 'u03', name: '😀 smile', email: null, score: -0.5, active: 'false', tags: [[1, 2], { a: null }], company: 'Acme as text', codes: { '0': { deep: 1 } }, note: 'tab\there "quoted" \\ back', 'x-flag': 0 },
  { id: 'u04', name: '', score: 1e21, active: 1, tags: [null], company: {}, codes: {}, note: '', 'x-flag': null, updated_at: 1000 },
  { id: 'u05' },
];

/** Integers as JSON writes them, past 2^53 too (2^62 is written 4611686018427388000, which json_extract reads as that integer). */
const NUMBERS: Record<string, unknown>[] = [
  { id: 'n1', n: 7, flag: true },
  { id: 'n2', n: 2 ** 62, flag: false },
  { id: 'n3', n: -0, flag: 1 },
  { id: 'n4', n: 123456789012, flag: 0 },
  { id: 'n5', n: 7.5, flag: 'true' },
];

/** Every field FILTERS and SORTS (and ODD) use: the indexed store keeps a column for each. */
const FIELDS = ['name', 'email', 'score', 'active', 'company', 'company.size', 'company.name', 'note', 'tags', 'tags.0', 'codes.0', 'x-flag'];

/** Filters over ODD's values, held to the answer without columns. */
const ODD_FILTERS: StoreFilter[] = [
  f('name', '=', 'émile'),
  f('name', '=', 'ÉMILE'),
  f('name', '~', '😀'),
  f('name', '=', ''),
  f('name', '>', 'Z'),
  f('email', '$', '.COM'),
  f('email', '=', null),
  f('company.name', '=', 'ZÜRICH AG'),
  f('company.name', '~', 'nested'),
  f('company', '~', 'Acme'),
  f('company', '=', 'acme AS TEXT'),
  f('company.size', '>', 10),
  f('company.size', '=', '12'),
  f('tags.0', '=', 'obj'),
  f('tags', '~', '😀'),
  f('codes.0', '=', 'é'),
  f('codes.0', '~', 'deep'),
  f('x-flag', '=', true),
  f('x-flag', '=', 0),
  f('x-flag', 'IN', ['a', 0, true]),
  f('note', '=', null),
  f('note', '~', '"quoted"'),
  f('note', '~', '\t'),
  f('active', '=', 1),
  f('active', '=', 'FALSE'),
  f('score', '>', 100),
  f('score', '<', 0),
  f('score', 'IN', [1000, -0.5, 1e21]),
];


/** The fields a filter reads. */
const fieldsOf = (filter: StoreFilter): string[] => ('field' in filter ? [filter.field] : filter.value.flatMap(fieldsOf));

describe('SQLite store: indexed fields in columns', () => {
  let indexed: ContextStore;
  let plain: ContextStore;
  let indexedFile: string;

  before(async () => {
    indexedFile = join(dir, 'indexed.db');
    indexed = openSqliteContextStore(indexedFile, clock);
    plain = openSqliteContextStore(join(dir, 'plain.db'), clock);
    await indexed.migrate([
      { name: 'people', indexes: FIELDS },
      { name: 'mixed', indexes: FIELDS },
      { name: 'numbers', indexes: ['n', 'flag'] },
    ]);
    await plain.migrate([
      { name: 'people', indexes: [] },
      { name: 'mixed', indexes: [] },
      { name: 'numbers', indexes: [] },
    ]);
    for (const store of [indexed, plain]) {
      // Two pages, so an upsert over an existing row fills the columns too (r02 and r08 again, newer).
      await store.writePage(PEOPLE.map(stored), state('people'));
      await store.writePage([PEOPLE[1]!, PEOPLE[7]!].map(stored), state('people'));
      await store.writePage([...PEOPLE, ...ODD].map(stored), state('mixed'));
      await store.writePage(NUMBERS.map(stored), state('numbers'));
      for (const entity of ['people', 'mixed', 'numbers']) await store.endFullPass(state(entity, { mode: 'changes', full_at: NOW, synced_at: NOW }));
    }
  });
  after(async () => {
    await indexed?.close();
    await plain?.close();
  });

  test('indexed fields in columns answer exactly as the JSON does', async () => {
    withDb(indexedFile, (db) => {
      for (const entity of ['people', 'mixed']) {
        assert.deepEqual(columnsOf(db, entity), ['id', 'record', 'updated_at', 'synced_at', 'pass', ...FIELDS.map((field) => `field:${field}`)], entity);
        for (const field of FIELDS) assert.deepEqual(valueMismatches(db, entity, field), [], `${entity}: column of ${field} against json_extract`);
      }
      // Not vacuous: every column holds values (a column left empty would fail above where the JSON has one).
      for (const field of FIELDS) {
        const filled = (db.prepare(`SELECT count(*) AS n FROM records_mixed WHERE "field:${field}" IS NOT NULL`).get() as { n: number }).n;
        assert.ok(filled > 0, `some rows hold ${field}`);
      }
      // The values themselves, read back: JSON text for objects and arrays, 1 or 0 for booleans, nothing for an array's "0".
      const row = (id: string) => db.prepare(`SELECT "field:company" AS company, "field:tags" AS tags, "field:tags.0" AS tag0, "field:active" AS active, "field:codes.0" AS code0, "field:name" AS name FROM records_mixed WHERE id = ?`).get(id);
      assert.deepEqual(row('r01'), { company: '{"name":"Acme","size":50}', tags: '["vip","beta"]', tag0: null, active: 1, code0: null, name: 'Alice' });
      assert.deepEqual(row('u02'), { company: '{"name":{"first":"nested"},"size":"12"}', tags: '{"0":"obj"}', tag0: 'obj', active: 0, code0: null, name: 'émile' });
      assert.deepEqual(row('u03'), { company: 'Acme as text', tags: '[[1,2],{"a":null}]', tag0: null, active: 'false', code0: '{"deep":1}', name: '😀 smile' });
      assert.deepEqual(row('u05'), { company: null, tags: null, tag0: null, active: null, code0: null, name: null });
    });
    for (const [where, expected] of FILTERS) {
      const [a, b] = await Promise.all([indexed.search('people', { where, limit: 100 }), plain.search('people', { where, limit: 100 })]);
      assert.deepEqual(ids(a), expected, `with columns, ${JSON.stringify(where)}`);
      assert.deepEqual(a, b, `with and without columns, ${JSON.stringify(where)}`);
    }
    for (const where of [...FILTERS.map(([w]) => w), ...ODD_FILTERS]) {
      const [a, b] = await Promise.all([indexed.search('mixed', { where, limit: 100 }), plain.search('mixed', { where, limit: 100 })]);
      assert.deepEqual(ids(a), ids(b), `mixed, ${JSON.stringify(where)}`);
    }
    // A few of ODD's answers spelt out: NOCASE folds ASCII only; an array's "0" is not a key.
    assert.deepEqual(ids(await indexed.search('mixed', { where: f('name', '=', 'émile') })), ['u02']);
    assert.deepEqual(ids(await indexed.search('mixed', { where: f('tags.0', '=', 'obj') })), ['u02']);
    assert.deepEqual(ids(await indexed.search('mixed', { where: f('x-flag', '=', true) })), ['u01']);
    assert.deepEqual(ids(await indexed.search('mixed', { where: f('company.name', '=', 'zürich ag') })), ['u01']);
    for (const [sort, expected] of SORTS) {
      const query: StoreQuery = sort ? { sort } : {};
      for (const entity of ['people', 'mixed']) {
        const [a, b] = await Promise.all([indexed.search(entity, { ...query, limit: 100 }), plain.search(entity, { ...query, limit: 100 })]);
        if (expected && entity === 'people') assert.deepEqual(ids(a), expected, `with columns, ${JSON.stringify(sort)}`);
        assert.deepEqual(ids(a), ids(b), `${entity}, with and without columns, ${JSON.stringify(sort)}`);
        const paged = await pageThrough(indexed, entity, { ...query, limit: 3 });
        assert.deepEqual(paged.ids, ids(a), `${entity}, paged, ${JSON.stringify(sort)}`);
      }
    }
  });

  test(
    'a column holds the SQL type json_extract gives (an integer, not a real), so LIKE and large numbers answer alike',
    // better-sqlite3 binds a JS number as REAL: 10 would be stored as 10.0 and true as 1.0,
    // where json_extract (and migrate's backfill) gives INTEGER 10 and 1; LIKE would read "10.0".
    async () => {
      withDb(indexedFile, (db) => {
        for (const entity of ['people', 'mixed']) for (const field of FIELDS) assert.deepEqual(typeMismatches(db, entity, field), [], `${entity}: SQL type of ${field}`);
        for (const field of ['n', 'flag']) {
          assert.deepEqual(valueMismatches(db, 'numbers', field), [], `numbers: column of ${field}`);
          assert.deepEqual(typeMismatches(db, 'numbers', field), [], `numbers: SQL type of ${field}`);
        }
      });
      const checks: [string, StoreFilter, string[] | undefined][] = [
        ['people', f('score', '~', '.'), ['r02']],
        ['people', f('company.size', '$', '.0'), []],
        ['people', f('active', '~', '.'), []],
        ['numbers', f('n', '~', '.'), undefined],
        ['numbers', f('n', '^', '4611686018427388'), undefined],
        ['numbers', f('n', '=', 2 ** 62), undefined],
        ['numbers', f('flag', '=', 1), undefined],
        ['numbers', f('flag', '$', '1'), undefined],
      ];
      for (const [entity, where, expected] of checks) {
        const [a, b] = await Promise.all([indexed.search(entity, { where, limit: 100 }), plain.search(entity, { where, limit: 100 })]);
        if (expected) assert.deepEqual(ids(a), expected, `with columns, ${JSON.stringify(where)}`);
        assert.deepEqual(ids(a), ids(b), `${entity}, with and without columns, ${JSON.stringify(where)}`);
      }
    },
  );
});

describe('SQLite store: schema versions and deferred indexes', () => {
  test('a version-2 file is migrated: its indexed field moves to a column, and searches use the column index', async () => {
    const file = join(dir, 'v2.db');
    const v2State = state('people', { mode: 'changes', cursor: null, checkpoint: 800, full_at: NOW - 1000, synced_at: NOW - 1000 });
    withDb(file, (db) => {
      db.pragma('journal_mode = WAL');
      // Version 2 as MIGRATIONS[0..1] made it, with a table and its indexes as migrate then made them.
      db.exec(`CREATE TABLE sync_state (entity TEXT PRIMARY KEY, mode TEXT NOT NULL, cursor TEXT, pass TEXT, checkpoint REAL, high_water REAL, full_at INTEGER, synced_at INTEGER);
        CREATE TABLE store_entities (name TEXT PRIMARY KEY);
        CREATE TABLE sync_locks (entity TEXT PRIMARY KEY, id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, since INTEGER NOT NULL, heartbeat INTEGER NOT NULL);
        CREATE TABLE "records_people" (id TEXT PRIMARY KEY, record TEXT NOT NULL, updated_at REAL, synced_at INTEGER NOT NULL, pass TEXT);
        CREATE INDEX "idx_people__updated_at" ON "records_people" (updated_at);
        CREATE INDEX "idx_people_email_0" ON "records_people" (json_extract(record, '$."email"') COLLATE NOCASE);
        INSERT INTO store_entities (name) VALUES ('people');`);
      const insert = db.prepare('INSERT INTO records_people (id, record, updated_at, synced_at, pass) VALUES (?, ?, ?, ?, ?)');
      // PEOPLE, and an email that is a number, one that is an object, one that is null.
      for (const r of [...PEOPLE, { id: 'r09', email: 42 }, { id: 'r10', email: { work: 'w@x.org' } }, { id: 'r11', email: null }]) {
        insert.run(String(r.id), JSON.stringify(r), typeof r.updated_at === 'number' ? r.updated_at : null, NOW - 1000, 'p1');
      }
      db.prepare('INSERT INTO sync_state (entity, mode, cursor, pass, checkpoint, high_water, full_at, synced_at) VALUES (@entity, @mode, @cursor, @pass, @checkpoint, @high_water, @full_at, @synced_at)').run(v2State);
      db.pragma('user_version = 2');
    });

    const store = openSqliteContextStore(file, clock);
    try {
      await store.migrate([{ name: 'people', indexes: ['email'] }]);
      withDb(file, (db) => {
        assert.equal(db.pragma('user_version', { simple: true }), 3);
        assert.ok(columnsOf(db, 'people').includes('field:email'));
        assert.deepEqual(valueMismatches(db, 'people', 'email'), []);
        // Backfilled by json_extract itself: its types too.
        assert.deepEqual(typeMismatches(db, 'people', 'email'), []);
        assert.equal((db.prepare('SELECT count(*) AS n FROM records_people WHERE "field:email" IS NOT NULL').get() as { n: number }).n, 8);
        assert.deepEqual(indexNames(db, 'people'), ['idx_people:email', 'idx_people__updated_at']);
        assert.match((db.prepare("SELECT sql FROM sqlite_master WHERE name = 'idx_people:email'").get() as { sql: string }).sql, /\("field:email" COLLATE NOCASE\)/);

        // The search's own SQL, with the column: the planner takes the column's index.
        const params = new Params('sqlite', new Map([['email', fieldColumn('email')]]));
        const where = compileFilter(f('email', '=', 'CAROL@TEST.ORG'), params);
        assert.match(where, /"field:email"/);
        const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT record FROM "records_people" WHERE ${where}`).all(...params.values) as { detail: string }[]).map((r) => r.detail).join('\n');
        assert.match(plan, /USING INDEX idx_people:email/);
        const found = db.prepare(`SELECT id FROM "records_people" WHERE ${where}`).all(...params.values);
        assert.deepEqual(found, [{ id: 'r03' }]);
      });
      assert.deepEqual(ids(await store.search('people', { where: f('email', '=', 'CAROL@TEST.ORG') })), ['r03']);
      assert.deepEqual(ids(await store.search('people', { where: f('email', '=', 42) })), ['r09']);
      assert.deepEqual(ids(await store.search('people', { where: f('email', '~', 'w@x.org') })), ['r10']);
      assert.deepEqual(ids(await store.search('people', { where: f('email', '=', null) })), ['r04', 'r07', 'r11']);
      // The rest of the file is as it was.
      assert.deepEqual(await store.state('people'), v2State);
      assert.equal((await store.status())[0]?.records, PEOPLE.length + 3);
      // A page written now fills the column; and migrating again changes nothing.
      await store.writePage([stored({ id: 'r12', email: 'New@Example.org' })], state('people', { pass: 'p2' }));
      await store.migrate([{ name: 'people', indexes: ['email'] }]);
      assert.deepEqual(ids(await store.search('people', { where: f('email', '=', 'new@example.ORG') })), ['r12']);
      withDb(file, (db) => {
        assert.deepEqual(indexNames(db, 'people'), ['idx_people:email', 'idx_people__updated_at']);
        assert.deepEqual(valueMismatches(db, 'people', 'email'), []);
        // A value planted in the column alone (the record unchanged) shows what the store reads.
        db.prepare(`UPDATE records_people SET "field:email" = 'AAA@planted.org' WHERE id = 'r12'`).run();
      });
      assert.deepEqual(ids(await store.search('people', { where: f('email', '=', 'aaa@PLANTED.org') })), ['r12'], 'filters read the column');
      assert.deepEqual(ids(await store.search('people', { where: f('email', '~', '@'), sort: { field: 'email' }, limit: 1 })), ['r12'], 'sorts read the column');
    } finally {
      await store.close();
    }
  });

  test("an empty table's indexes come with the end of its first full pass", async () => {
    const file = join(dir, 'fresh.db');
    const store = openSqliteContextStore(file, clock);
    try {
      await store.migrate([
        { name: 'people', indexes: ['email'] },
        { name: 'others', indexes: ['email'] },
      ]);
      withDb(file, (db) => {
        assert.ok(columnsOf(db, 'people').includes('field:email'), 'the column is there from the start');
        assert.deepEqual(indexNames(db, 'people'), []);
      });
      await store.writePage(PEOPLE.map(stored), state('people', { cursor: 'page-2' }));
      withDb(file, (db) => {
        assert.deepEqual(indexNames(db, 'people'), [], 'not while the pass goes on');
        assert.deepEqual(valueMismatches(db, 'people', 'email'), []);
      });
      // Searches answer meanwhile, without the index.
      assert.deepEqual(ids(await store.search('people', { where: f('email', '=', 'bob@example.com') })), ['r02']);
      // Another entity's pass ending builds its own indexes only.
      await store.endFullPass(state('others', { mode: 'changes', full_at: NOW }));
      withDb(file, (db) => {
        assert.deepEqual(indexNames(db, 'others'), ['idx_others:email', 'idx_others__updated_at']);
        assert.deepEqual(indexNames(db, 'people'), []);
      });
      await store.endFullPass(state('people', { mode: 'changes', full_at: NOW }));
      withDb(file, (db) => assert.deepEqual(indexNames(db, 'people'), ['idx_people:email', 'idx_people__updated_at']));
      assert.deepEqual(ids(await store.search('people', { where: f('email', '=', 'bob@example.com') })), ['r02']);
    } finally {
      await store.close();
    }

    // A pass that stops part way (the process dies before endFullPass): the next migrate finds
    // rows in the table and builds the indexes at once.
    const crashed = join(dir, 'crashed.db');
    const first = openSqliteContextStore(crashed, clock);
    try {
      await first.migrate([{ name: 'people', indexes: ['email'] }]);
      await first.writePage(PEOPLE.slice(0, 4).map(stored), state('people', { cursor: 'page-2' }));
    } finally {
      await first.close();
    }
    withDb(crashed, (db) => assert.deepEqual(indexNames(db, 'people'), []));
    const second = openSqliteContextStore(crashed, clock);
    try {
      await second.migrate([{ name: 'people', indexes: ['email'] }]);
      withDb(crashed, (db) => assert.deepEqual(indexNames(db, 'people'), ['idx_people:email', 'idx_people__updated_at']));
      assert.equal((await second.state('people'))?.cursor, 'page-2');
    } finally {
      await second.close();
    }
  });

  test('a file newer than this engine is refused, and left as it was', async () => {
    const file = join(dir, 'future.db');
    withDb(file, (db) => db.pragma('user_version = 99'));
    const store = openSqliteContextStore(file, clock);
    try {
      await assert.rejects(store.migrate([{ name: 'people', indexes: ['email'] }]), (err: unknown) => err instanceof Error && /schema version 99.*upgrade the package/.test(err.message));
    } finally {
      await store.close();
    }
    withDb(file, (db) => {
      assert.equal(db.pragma('user_version', { simple: true }), 99);
      assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all(), []);
    });
  });

  test('a field indexed later, on a table with rows: its column is added and filled, and searches on it answer as the JSON does', async () => {
    const file = join(dir, 'later.db');
    const store = openSqliteContextStore(file, clock);
    try {
      await store.migrate([{ name: 'people', indexes: ['email'] }]);
      await store.writePage([...PEOPLE, ...ODD].map(stored), state('people'));
      await store.endFullPass(state('people', { mode: 'changes', full_at: NOW }));
      const added = ['company.name', 'score', 'x-flag'];
      // Searches on the fields before they have columns: what the JSON answers.
      const queries = FILTERS.filter(([where]) => fieldsOf(where).some((field) => added.includes(field)));
      assert.ok(queries.length > 10);
      const before = await Promise.all(queries.map(([where]) => store.search('people', { where, limit: 100 })));

      await store.migrate([{ name: 'people', indexes: ['email', ...added] }]);
      withDb(file, (db) => {
        assert.deepEqual(columnsOf(db, 'people').filter((c) => c.startsWith('field:')), ['field:email', ...added.map((field) => `field:${field}`)]);
        for (const field of added) {
          assert.deepEqual(valueMismatches(db, 'people', field), [], `column of ${field}`);
          assert.deepEqual(typeMismatches(db, 'people', field), [], `SQL type of ${field}`);
        }
        assert.deepEqual(indexNames(db, 'people'), ['idx_people:company.name', 'idx_people:email', 'idx_people:score', 'idx_people:x-flag', 'idx_people__updated_at']);
      });
      for (const [i, [where]] of queries.entries()) {
        const answer = await store.search('people', { where, limit: 100 });
        assert.deepEqual(answer, before[i], `with the new columns, ${JSON.stringify(where)}`);
      }
      for (const [where, expected] of queries) {
        const answer = await store.search('people', { where, limit: 100 });
        assert.deepEqual(ids(answer).filter((id) => id.startsWith('r')), expected, JSON.stringify(where));
      }
      assert.deepEqual(ids(await store.search('people', { where: f('company.name', '=', 'zürich ag') })), ['u01']);
      assert.deepEqual(ids(await store.search('people', { sort: { field: 'score' }, limit: 3 })), ['r07', 'u03', 'r06']);

      // Pages written after the migrate keep the new columns up, an update included.
      await store.writePage([stored({ ...PEOPLE[2]!, company: { name: 'Umbrella' }, updated_at: 301 }), stored({ id: 'r20', company: { name: 'umbrella' }, 'x-flag': 'ON' })], state('people', { pass: 'p2' }));
      assert.deepEqual(ids(await store.search('people', { where: f('company.name', '=', 'UMBRELLA') })), ['r03', 'r20']);
      assert.deepEqual(ids(await store.search('people', { where: f('x-flag', '=', 'on') })), ['r03', 'r20']);
      withDb(file, (db) => {
        for (const field of ['email', ...added]) assert.deepEqual(valueMismatches(db, 'people', field), [], `column of ${field} after a write`);
      });
    } finally {
      await store.close();
    }
  });

  test('a column another process adds while this one writes is filled by this one too', async () => {
    const file = join(dir, 'two-handles.db');
    const writer = openSqliteContextStore(file, clock);
    const other = openSqliteContextStore(file, clock);
    try {
      await writer.migrate([{ name: 'people', indexes: ['email'] }]);
      await writer.writePage([stored(PEOPLE[0]!)], state('people'));
      // A sync of a manifest that indexes one more field migrates the same file meanwhile.
      await other.migrate([{ name: 'people', indexes: ['email', 'name'] }]);
      await writer.writePage([stored(PEOPLE[1]!)], state('people'));
      withDb(file, (db) => assert.deepEqual(valueMismatches(db, 'people', 'name'), [], 'the row written after the other migrate has its name column'));
      assert.deepEqual(ids(await other.search('people', { where: f('name', '=', 'BOB') })), ['r02']);
    } finally {
      await writer.close();
      await other.close();
    }
  });

  test('a write that fails in the writer thread is rejected with SQLite\'s error, and leaves neither records nor state', async () => {
    const file = join(dir, 'fails.db');
    const store = openSqliteContextStore(file, clock);
    try {
      await store.migrate([{ name: 'people', indexes: [] }]);
      // A NOT NULL column the page cannot fill makes the second record fail part way.
      withDb(file, (db) => db.exec('CREATE TRIGGER no_r02 BEFORE INSERT ON records_people WHEN NEW.id = \'r02\' BEGIN SELECT RAISE(ABORT, \'r02 refused\'); END'));
      await assert.rejects(store.writePage(PEOPLE.slice(0, 3).map(stored), state('people', { cursor: 'after-3' })), (err: unknown) => err instanceof Error && /r02 refused/.test(err.message) && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_TRIGGER');
      assert.deepEqual(ids(await store.search('people', {})), []);
      assert.equal(await store.state('people'), undefined);
      // The writer goes on after a failure.
      assert.equal(await store.writePage([stored(PEOPLE[0]!)], state('people')), 1);
    } finally {
      await store.close();
    }
  });

  test('fields that differ only in case get a column and an index each (SQLite names ignore case, JSON keys do not)', async () => {
    const store = openSqliteContextStore(join(dir, 'case.db'), clock);
    try {
      const entities = [{ name: 'people', indexes: ['custom.Plan', 'custom.plan'] }];
      await store.migrate(entities);
      await store.writePage([stored({ id: 'a', custom: { Plan: 'Gold', plan: 'free' } }), stored({ id: 'b', custom: { Plan: 'free', plan: 'Gold' } })], state('people'));
      await store.endFullPass(state('people'));
      await store.migrate(entities);
      assert.deepEqual(ids(await store.search('people', { where: f('custom.Plan', '=', 'gold') })), ['a']);
      assert.deepEqual(ids(await store.search('people', { where: f('custom.plan', '=', 'gold') })), ['b']);
      withDb(join(dir, 'case.db'), (db) => {
        assert.deepEqual(columnsOf(db, 'people').filter((c) => c.startsWith('field:')).sort(), ['field:custom.^plan', 'field:custom.plan']);
        assert.deepEqual(indexNames(db, 'people'), ['idx_people:custom.^plan', 'idx_people:custom.plan', 'idx_people__updated_at']);
      });
    } finally {
      await store.close();
    }
  });

  test('a column another process adds while a write of this one waits for the lock: the write is made again for the new table', async () => {
    const file = join(dir, 'race.db');
    const store = openSqliteContextStore(file, clock);
    const other = new Database(file);
    try {
      await store.migrate([{ name: 'people', indexes: ['email'] }]);
      await store.writePage([stored(PEOPLE[0]!)], state('people'));
      // The other process's migrate, in its transaction: the column for "name", filled.
      other.pragma('busy_timeout = 5000');
      other.exec('BEGIN IMMEDIATE');
      other.exec(`ALTER TABLE records_people ADD COLUMN "field:name"`);
      other.exec(`UPDATE records_people SET "field:name" = json_extract(record, '$."name"')`);
      // This write's statements are written now, for the table without the column; it runs after the commit.
      const writing = store.writePage([stored(PEOPLE[1]!)], state('people'));
      other.exec('COMMIT');
      assert.equal(await writing, 1);
      withDb(file, (db) => assert.deepEqual(valueMismatches(db, 'people', 'name'), [], 'the row written after the commit has its name column'));
      assert.deepEqual(ids(await store.search('people', { where: f('name', '=', 'BOB') })), ['r02']);
    } finally {
      other.close();
      await store.close();
    }
  });

  test('a store named by a relative path stays that file when the process changes directory', async () => {
    const home = process.cwd();
    const a = join(dir, 'cwd-a');
    const b = join(dir, 'cwd-b');
    await mkdir(a);
    await mkdir(b);
    process.chdir(a);
    let store: ContextStore | undefined;
    try {
      store = openSqliteContextStore('rel.db', clock);
      await store.migrate([{ name: 'people', indexes: [] }]);
      process.chdir(b);
      // The first write starts the writer thread, which opens the file again.
      await store.writePage([stored(PEOPLE[0]!)], state('people'));
      assert.deepEqual(ids(await store.search('people', {})), ['r01']);
      withDb(join(a, 'rel.db'), (db) => assert.equal(db.prepare('SELECT count(*) FROM records_people').pluck().get(), 1));
    } finally {
      process.chdir(home);
      await store?.close();
    }
  });

  test('lock and migrate wait for a write the writer thread is making, instead of failing with SQLITE_BUSY', async () => {
    const file = join(dir, 'busy.db');
    const store = openSqliteContextStore(file, clock);
    const probe = new Database(file);
    try {
      const entities = [{ name: 'people', indexes: ['email', 'name'] }, { name: 'others', indexes: [] }];
      await store.migrate(entities);
      await store.writePage([stored(PEOPLE[0]!)], state('people'));
      // Is the writer thread inside a write? Then the probe cannot take the write lock, even for a moment.
      probe.pragma('busy_timeout = 0');
      const writerBusy = () => {
        try {
          probe.exec('BEGIN IMMEDIATE');
          probe.exec('ROLLBACK');
          return false;
        } catch (err) {
          if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
          return true;
        }
      };
      const big = (k: string) => Array.from({ length: 20_000 }, (_, i) => stored({ id: `${k}${i}`, email: `${k}${i}@example.com`, name: `n${(i * 7919) % 20_000}`, pad: 'x'.repeat(1000), updated_at: i }));
      const owner = { id: 'other-sync', host: 'here', pid: process.pid, since: NOW, heartbeat: NOW };
      for (const [what, run] of [
        ['lock', () => store.lock('others', owner)],
        ['migrate', () => store.migrate(entities)],
      ] as const) {
        const writing = store.writePage(big(what), state('people'));
        let settled = false;
        void writing.then(
          () => (settled = true),
          () => (settled = true),
        );
        while (!writerBusy()) {
          // Checked after the probe: a write that ended unseen would otherwise be waited for forever.
          if (settled) assert.fail(`${what}: the write ended before the probe saw the writer thread busy, so nothing was tested (make the write bigger)`);
          await new Promise(setImmediate);
        }
        // A read-then-write transaction started now would have its snapshot overtaken by that write.
        await run();
        await writing;
      }
      assert.equal((await store.status()).find((s) => s.entity === 'people')!.records, 40_001);
    } finally {
      probe.close();
      await store.close();
    }
  });
});
