// serve on PostgreSQL (`--db postgres://…`): the instance API, several replicas on one
// database, the key they must share, migrations under an advisory lock, and a URL whose
// password is never printed. PostgreSQL is PGlite behind pglite-socket on 127.0.0.1 (see
// test/support/postgres.ts), reached by pg over the real wire protocol.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { ConfigurationError, DEFAULT_MANIFEST, loadManifest, type Manifest } from '../src/index.js';
import { rotateKey } from '../src/serve/keys.js';
import { redactUrl, scrubUrlSecrets } from '../src/database/url.js';
import { startServer, type RunningServer, type ServeOptions } from '../src/serve/server.js';
import { run } from './support/attack.js';
import { startPostgres, type RunningPostgres } from './support/postgres.js';

const DEF = 'd8313939-3782-41b0-be29-b3ca20d8dd3a';
const KEY = 'serve-postgres-api-key';
const SECRET = 'c0'.repeat(32);
const OTHER_SECRET = 'e1'.repeat(32);
/** In the database URL: it must never be printed. */
const PASSWORD = 'pg-pass-w0rd-never-printed';
const WRONG_TOKEN = 'tok_wrong_pg_credential';

type Reply = { status: number; text: string; json?: Record<string, any> };

async function call(server: { url: string }, method: string, path: string, body?: unknown, key: string = KEY): Promise<Reply> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/** Whatever settles: a server that wrongly started is closed at once, so the test fails rather than hangs. */
async function startFailure(options: ServeOptions): Promise<unknown> {
  return startServer(options).then(
    async (wrong) => {
      await wrong.close();
      return 'the server started';
    },
    (err: unknown) => err,
  );
}

describe('serve on PostgreSQL', () => {
  let postgres: RunningPostgres;
  let sandbox: Sandbox;
  let manifest: Manifest;
  const servers: RunningServer[] = [];
  const databases: RunningPostgres[] = [];
  const logs: string[] = [];

  const options = (extra: Partial<ServeOptions> = {}): ServeOptions => ({
    port: 0,
    dbPath: postgres.url,
    manifests: [manifest],
    apiKeys: KEY,
    secretKey: SECRET,
    runtime: { baseUrl: sandbox.url, retry: { limit: 0 }, timeoutMs: 5_000 },
    log: (line) => logs.push(line),
    ...extra,
  });
  const start = async (extra: Partial<ServeOptions> = {}) => {
    const server = await startServer(options(extra));
    servers.push(server);
    return server;
  };
  /** Another empty PostgreSQL, for a test that needs a new database or breaks it. */
  const freshDatabase = async () => {
    const db = await startPostgres({ password: PASSWORD });
    databases.push(db);
    return db;
  };
  const path = (id: string, rest = '') => `/api/v1/connectors/instances/${encodeURIComponent(id)}${rest}`;

  before(async () => {
    [postgres, sandbox, manifest] = await Promise.all([startPostgres({ password: PASSWORD }), startSandbox({ counts: { contacts: 60 } }), loadManifest(DEFAULT_MANIFEST)]);
  });
  after(async () => {
    // Servers (and their pools) first, then the databases they talk to.
    for (const s of servers) await s.close();
    for (const d of [postgres, ...databases]) await d?.close();
    await sandbox?.close();
  });

  it('the instance API: create, list, get, PATCH scope and credentials, execute, delete; credentials sealed at rest', async () => {
    const server = await start();
    assert.deepEqual((await call(server, 'GET', '/healthz')).json, { status: 'ok' });
    const created = await call(server, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: sandbox.token }, name: 'On Postgres' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json!.scope, 'read');
    const id = created.json!.id as string;

    const listed = await call(server, 'GET', '/api/v1/connectors/instances');
    assert.ok(listed.json!.data.some((i: { id: string }) => i.id === id));
    const one = await call(server, 'GET', path(id));
    assert.deepEqual(one.json, created.json, 'read back as it was created');

    const contact = sandbox.dataset.contactAt(7);
    const got = await call(server, 'POST', path(id, '/execute'), { entity: 'contacts', action: 'get', params: { id: contact.id } });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json!.data.id, contact.id);

    const write = { entity: 'contacts', action: 'create', params: { email: 'pg-writer@example.com', role: 'user' } };
    assert.equal((await call(server, 'POST', path(id, '/execute'), write)).json!.error.code, 'WRITE_NOT_ALLOWED');
    const patched = await call(server, 'PATCH', path(id), { scope: 'read_write', name: 'Writer' });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual([patched.json!.scope, patched.json!.name], ['read_write', 'Writer']);
    assert.equal((await call(server, 'POST', path(id, '/execute'), write)).status, 200);

    assert.equal((await call(server, 'PATCH', path(id), { auth_config: { access_token: WRONG_TOKEN } })).status, 200);
    assert.equal((await call(server, 'POST', path(id, '/execute'), { entity: 'tags', action: 'list' })).json!.error.code, 'UPSTREAM_UNAUTHORIZED', 'the next call uses the new credentials');
    assert.equal((await call(server, 'PATCH', path(id), { auth_config: { access_token: sandbox.token } })).status, 200);
    assert.equal((await call(server, 'POST', path(id, '/execute'), { entity: 'tags', action: 'list' })).status, 200);

    const rows = await postgres.query<{ sealed_auth: Buffer; scope: string }>('SELECT sealed_auth, scope FROM serve_instances WHERE id = $1', [id]);
    assert.equal(rows[0]!.scope, 'read_write');
    assert.ok(Buffer.isBuffer(rows[0]!.sealed_auth) && !rows[0]!.sealed_auth.includes(Buffer.from(sandbox.token)), 'auth_config is sealed at rest');

    assert.equal((await call(server, 'DELETE', path(id))).status, 204);
    assert.equal((await call(server, 'GET', path(id))).status, 404);
    assert.equal((await call(server, 'DELETE', path(id))).status, 404);
  });

  it('two replicas on one database share instances: created on A, listed and executed on B; a PATCH or DELETE on one is seen by the other', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const created = await call(a, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: sandbox.token }, name: 'Shared' });
    assert.equal(created.status, 201, created.text);
    const id = created.json!.id as string;

    assert.ok((await call(b, 'GET', '/api/v1/connectors/instances')).json!.data.some((i: { id: string }) => i.id === id), 'B lists what A created');
    const onB = await call(b, 'POST', path(id, '/execute'), { entity: 'contacts', action: 'list', params: { per_page: 5 } });
    assert.equal(onB.status, 200, onB.text);
    assert.deepEqual(onB.json!.data.map((c: { id: string }) => c.id), [0, 1, 2, 3, 4].map((i) => sandbox.dataset.contactAt(i).id));
    // A has a runtime for it now, made with the credentials as they were.
    assert.equal((await call(a, 'POST', path(id, '/execute'), { entity: 'tags', action: 'list' })).status, 200);

    const renamed = await call(b, 'PATCH', path(id), { name: 'Renamed on B', scope: 'read_write' });
    assert.equal(renamed.status, 200, renamed.text);
    const seen = await call(a, 'GET', path(id));
    assert.deepEqual([seen.json!.name, seen.json!.scope], ['Renamed on B', 'read_write'], 'A sees the PATCH made through B');

    // Credentials rotated through B: A's next call uses them, not the runtime it made before.
    assert.equal((await call(b, 'PATCH', path(id), { auth_config: { access_token: WRONG_TOKEN } })).status, 200);
    const refused = await call(a, 'POST', path(id, '/execute'), { entity: 'tags', action: 'list' });
    assert.equal(refused.status, 502, refused.text);
    assert.equal(refused.json!.error.code, 'UPSTREAM_UNAUTHORIZED');
    assert.ok(!refused.text.includes(WRONG_TOKEN));
    assert.equal((await call(a, 'PATCH', path(id), { auth_config: { access_token: sandbox.token } })).status, 200);
    assert.equal((await call(b, 'POST', path(id, '/execute'), { entity: 'tags', action: 'list' })).status, 200);

    // Concurrent calls spread over both replicas, each answered with its own record.
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => call(i % 2 ? a : b, 'POST', path(id, '/execute'), { entity: 'contacts', action: 'get', params: { id: sandbox.dataset.contactAt(i).id } })),
    );
    assert.deepEqual(results.map((r) => r.json!.data?.id), Array.from({ length: 40 }, (_, i) => sandbox.dataset.contactAt(i).id));

    assert.equal((await call(a, 'DELETE', path(id))).status, 204);
    assert.equal((await call(b, 'GET', path(id))).status, 404, 'B sees the delete made through A');
    assert.equal((await call(b, 'POST', path(id, '/execute'), { entity: 'tags', action: 'list' })).status, 404);
  });

  it('a replica started with another secret key is refused; one without CONNECTOR_SECRET_KEY too; neither prints the password', async () => {
    await start();
    const other = await startFailure(options({ secretKey: OTHER_SECRET }));
    assert.ok(other instanceof ConfigurationError && /not the one this database was created with.*every replica on one database needs the same CONNECTOR_SECRET_KEY/.test(other.message), String(other));
    const none = await startFailure(options({ secretKey: undefined }));
    assert.ok(none instanceof ConfigurationError && /needs CONNECTOR_SECRET_KEY/.test(none.message), String(none));
    assert.match(none.message, /postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres/, 'the URL is shown without its password');
    for (const e of [other, none]) assert.ok(!String((e as Error).message).includes(PASSWORD), 'no password in the error');
  });

  it('replicas starting at once on a new database migrate it once, under the advisory lock, and agree on one generated API key', async () => {
    const db = await freshDatabase();
    const [a, b] = await Promise.all([start({ dbPath: db.url, apiKeys: undefined }), start({ dbPath: db.url, apiKeys: undefined })]);
    assert.deepEqual(await db.query('SELECT version FROM serve_schema_version'), [{ version: 1 }]);
    const shown = [a.generatedApiKey, b.generatedApiKey].filter((k): k is string => k !== undefined);
    assert.equal(shown.length, 1, 'one key is generated for the database, and shown once');
    for (const server of [a, b]) assert.equal((await call(server, 'GET', '/api/v1/connectors/instances', undefined, shown[0])).status, 200);
    assert.equal((await db.query("SELECT key FROM serve_settings WHERE key = 'key_check'")).length, 1);
  });

  it('a database of a newer schema is refused; /healthz answers 503 once the store cannot answer', async () => {
    const db = await freshDatabase();
    const server = await start({ dbPath: db.url });
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    await db.query('UPDATE serve_schema_version SET version = 99');
    const newer = await startFailure(options({ dbPath: db.url }));
    assert.ok(newer instanceof ConfigurationError && /schema version 99, newer than this server knows \(1\); upgrade the server/.test(newer.message), String(newer));
    assert.ok(!newer.message.includes(PASSWORD));

    await db.query('DROP TABLE serve_instances');
    assert.equal((await call(server, 'GET', '/api/v1/connectors/instances')).status, 500);
    const health = await fetch(`${server.url}/healthz`);
    const body = (await health.json()) as { status: string; reason: string };
    assert.equal(health.status, 503, JSON.stringify(body));
    assert.equal(body.status, 'unavailable');
    assert.ok(!body.reason.includes(PASSWORD));
  });

  it('rotate-key re-seals every instance in one transaction; replicas start with the new key, and the old one is refused', async () => {
    const db = await freshDatabase();
    const first = await start({ dbPath: db.url });
    const created = await call(first, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: sandbox.token }, name: 'Rotated' });
    const id = created.json!.id as string;
    await first.close();

    await assert.rejects(rotateKey(db.url, { CONNECTOR_SECRET_KEY: SECRET }), /set CONNECTOR_NEW_SECRET_KEY/);
    assert.deepEqual(await rotateKey(db.url, { CONNECTOR_SECRET_KEY: SECRET, CONNECTOR_NEW_SECRET_KEY: OTHER_SECRET }), { instances: 1 });

    const old = await startFailure(options({ dbPath: db.url }));
    assert.ok(old instanceof ConfigurationError && /not the one this database was created with/.test(old.message), String(old));
    const [a, b] = await Promise.all([start({ dbPath: db.url, secretKey: OTHER_SECRET }), start({ dbPath: db.url, secretKey: OTHER_SECRET })]);
    for (const server of [a, b]) assert.equal((await call(server, 'POST', path(id, '/execute'), { entity: 'tags', action: 'list' })).status, 200);
  });

  it('a database that cannot be reached is one error naming the URL without its password', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const url = `postgresql://admin:${PASSWORD}@127.0.0.1:${port}/connectors?sslmode=disable`;
    const err = await startFailure(options({ dbPath: url }));
    assert.ok(err instanceof ConfigurationError && /cannot connect to the PostgreSQL database postgresql:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/connectors/.test(err.message), String(err));
    assert.ok(!err.message.includes(PASSWORD));
  });

  it('the command line: serve --db postgres://… without CONNECTOR_SECRET_KEY is one line, without the password', async () => {
    const r = await run(['serve', '--port', '0', '--db', postgres.url], { CONNECTOR_API_KEYS: KEY, CONNECTOR_SECRET_KEY: undefined });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /needs CONNECTOR_SECRET_KEY/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), 'the password is not printed');
  });

  it('redacts a URL password in the user part and in query parameters, and scrubs it from any text', () => {
    assert.equal(redactUrl('postgres://u:p%40ss@db.example:5432/app?sslmode=require'), 'postgres://u:***@db.example:5432/app?sslmode=require');
    assert.equal(redactUrl('postgres://u@db/app?password=hunter22&sslpassword=k3y'), 'postgres://u@db/app?password=***&sslpassword=***');
    assert.equal(redactUrl('postgres://u:secret@[bad/app'), 'postgres://***@[bad/app');
    const url = 'postgres://u:p%40ss-w0rd@db/app?password=hunter22';
    assert.equal(scrubUrlSecrets(`failed for ${url}: p@ss-w0rd, hunter22`, url), 'failed for postgres://u:***@db/app?password=***: ***, ***');
  });
});
