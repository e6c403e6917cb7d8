import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { ConfigurationError, DEFAULT_MANIFEST, loadManifest, type Manifest } from '../src/index.js';
import { startServer, type RunningServer, type ServeOptions } from '../src/serve/server.js';

const DEF = 'd8313939-3782-41b0-be29-b3ca20d8dd3a';
const KEY = 'test-api-key-1';

describe('serve: the execute API over HTTP', () => {
  let sandbox: Sandbox;
  let manifest: Manifest;
  let dir: string;
  let server: RunningServer;
  const logs: string[] = [];
  let options: ServeOptions;

  const call = async (method: string, path: string, body?: unknown, key: string | null = KEY, raw?: string) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), 'content-type': 'application/json' },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const create = async (name = 'My Intercom Connector', token = sandbox.token) =>
    (await call('POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: token }, name })).json!;
  const execute = (id: string, body: unknown) => call('POST', `/api/v1/connectors/instances/${encodeURIComponent(id)}/execute`, body);

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 400 } });
    manifest = await loadManifest(DEFAULT_MANIFEST);
    dir = await mkdtemp(join(tmpdir(), 'serve-'));
    options = {
      port: 0,
      dbPath: join(dir, 'connectors.db'),
      manifests: [manifest],
      apiKeys: `${KEY},another-key`,
      runtime: { baseUrl: sandbox.url, retry: { limit: 0 }, timeoutMs: 500 },
      log: (line) => logs.push(line),
    };
    server = await startServer(options);
  });
  after(async () => {
    try {
      await server?.close();
      await sandbox?.close();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('health and definitions', async () => {
    assert.deepEqual((await call('GET', '/healthz', undefined, null)).json, { status: 'ok' });
    const defs = await call('GET', '/api/v1/connectors/definitions');
    assert.equal(defs.json!.data[0].id, DEF);
    assert.deepEqual(defs.json!.data[0].entities.contacts, ['list', 'get', 'search', 'create', 'update']);
  });

  it('instance lifecycle: create, list, get, delete; auth_config is never returned', async () => {
    const created = await call('POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: sandbox.token }, name: 'Lifecycle' });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.json!).sort(), ['connector_definition_id', 'created_at', 'id', 'name', 'scope']);
    assert.equal(created.json!.scope, 'read', 'an instance only reads unless asked');
    const id = created.json!.id as string;
    const list = await call('GET', '/api/v1/connectors/instances');
    assert.ok(list.json!.data.some((i: { id: string }) => i.id === id));
    const one = await call('GET', `/api/v1/connectors/instances/${id}`);
    assert.equal(one.json!.name, 'Lifecycle');
    for (const r of [created, list, one]) assert.ok(!r.text.includes(sandbox.token) && !r.text.includes('auth_config'));
    assert.equal((await call('DELETE', `/api/v1/connectors/instances/${id}`)).status, 204);
    assert.equal((await call('GET', `/api/v1/connectors/instances/${id}`)).status, 404);
    assert.equal((await call('DELETE', `/api/v1/connectors/instances/${id}`)).status, 404);
  });

  it("executes the reference's 14 reads, as runtime.execute returns them", async () => {
    const { id } = await create();
    const d = sandbox.dataset;
    const ids: Record<string, string> = {
      contacts: d.contactAt(3).id, conversations: d.conversationAt(2).id, companies: d.companies[1]!.id,
      teams: d.teams[0]!.id, admins: d.admins[0]!.id, tags: d.tags[0]!.id, segments: d.segments[0]!.id,
    };
    for (const entity of Object.keys(ids)) {
      const list = await execute(id, { entity, action: 'list' });
      assert.equal(list.status, 200, list.text);
      assert.ok(Array.isArray(list.json!.data) && 'next_page' in list.json!.meta);
      const get = await execute(id, { entity, action: 'get', params: { id: ids[entity] } });
      assert.equal(get.status, 200, get.text);
      assert.equal(get.json!.data.id, ids[entity]);
    }
  });

  it('pages through a list by meta.next_page: every record once', async () => {
    const { id } = await create();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const params: Record<string, unknown> = { per_page: 150, ...(cursor ? { starting_after: cursor } : {}) };
      const r = await execute(id, { entity: 'contacts', action: 'list', params });
      seen.push(...r.json!.data.map((c: { id: string }) => c.id));
      cursor = r.json!.meta.next_page;
    } while (cursor);
    assert.deepEqual(seen, Array.from({ length: 400 }, (_, i) => sandbox.dataset.contactAt(i).id));
  });

  it('answers each error with its status and { error: { code, message } }', async () => {
    const { id } = await create();
    const bad = await create('bad token', 'tok_wrong_77');
    const cases: [string, () => Promise<{ status: number; json?: Record<string, any>; headers: Headers }>, number, string][] = [
      ['invalid JSON', () => call('POST', `/api/v1/connectors/instances/${id}/execute`, undefined, KEY, '{"entity":'), 400, 'INVALID_JSON'],
      ['unknown body field', () => execute(id, { entity: 'tags', action: 'list', extra: 1 }), 400, 'INVALID_BODY'],
      ['bad params', () => execute(id, { entity: 'contacts', action: 'list', params: { per_page: 'ten' } }), 400, 'INVALID_PARAMETERS'],
      ['bad auth_config', () => call('POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { token: 'x' }, name: 'n' }), 400, 'INVALID_PARAMETERS'],
      ['missing API key', () => call('GET', '/api/v1/connectors/instances', undefined, null), 401, 'UNAUTHORIZED'],
      ['wrong API key', () => call('GET', '/api/v1/connectors/instances', undefined, 'nope'), 401, 'UNAUTHORIZED'],
      ['unknown instance', () => execute('no-such-instance', { entity: 'tags', action: 'list' }), 404, 'NOT_FOUND'],
      ['unknown definition', () => call('POST', '/api/v1/connectors/instances', { connector_definition_id: 'x', auth_config: {}, name: 'n' }), 404, 'NOT_FOUND'],
      ['unknown entity', () => execute(id, { entity: 'contact', action: 'list' }), 404, 'UNKNOWN_ENTITY'],
      ['unknown action', () => execute(id, { entity: 'tags', action: 'delete' }), 404, 'UNKNOWN_ACTION'],
      ['upstream 404', () => execute(id, { entity: 'contacts', action: 'get', params: { id: 'nope' } }), 404, 'NOT_FOUND'],
      ['body too large', () => call('POST', `/api/v1/connectors/instances/${id}/execute`, undefined, KEY, JSON.stringify({ entity: 'x'.repeat(1_100_000), action: 'list' })), 413, 'BODY_TOO_LARGE'],
      ['upstream 401', () => execute(bad.id, { entity: 'tags', action: 'list' }), 502, 'UPSTREAM_UNAUTHORIZED'],
    ];
    for (const [name, run, status, code] of cases) {
      const r = await run();
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json!.error.code, code, name);
      assert.equal(typeof r.json!.error.message, 'string');
      assert.ok(!JSON.stringify(r.json).includes('tok_wrong_77'), `${name} leaks the token`);
    }
    const upstream = await execute(bad.id, { entity: 'tags', action: 'list' });
    assert.equal(upstream.json!.error.upstream_status, 401);
    assert.match(upstream.json!.error.request_id, /^[0-9a-f-]{36}$/);

    sandbox.setFaults([{ kind: 'rate_limit', every: 1, retryAfterSeconds: 3 }]);
    try {
      const limited = await execute(id, { entity: 'tags', action: 'list' });
      assert.equal(limited.status, 429);
      assert.equal(limited.json!.error.code, 'RATE_LIMITED');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    } finally {
      sandbox.setFaults([]);
    }
    sandbox.setFaults([{ kind: 'slow', every: 1, delayMs: 2000 }]);
    try {
      const slow = await execute(id, { entity: 'tags', action: 'list' });
      assert.equal(slow.status, 504);
      assert.equal(slow.json!.error.code, 'TIMEOUT');
    } finally {
      sandbox.setFaults([]);
    }
  });

  it('serves 100 concurrent executes on one instance through one runtime', async () => {
    const { id } = await create();
    const before = sandbox.stats.requests;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => execute(id, { entity: 'contacts', action: 'get', params: { id: sandbox.dataset.contactAt(i).id } })));
    assert.deepEqual(results.map((r) => r.status), Array(100).fill(200));
    assert.deepEqual(results.map((r) => r.json!.data.id), Array.from({ length: 100 }, (_, i) => sandbox.dataset.contactAt(i).id));
    assert.equal(sandbox.stats.requests - before, 100);
  });

  it('handles names and ids full of SQL and path metacharacters', async () => {
    const name = `'); DROP TABLE instances; -- ../../%2e%2e/\u0000"`;
    const created = await create(name);
    assert.equal((await call('GET', `/api/v1/connectors/instances/${created.id}`)).json!.name, name);
    for (const id of ["' OR '1'='1", '../instances', '..%2F..%2Fhealthz', '%00', 'a/b']) {
      const r = await call('GET', `/api/v1/connectors/instances/${encodeURIComponent(id)}`);
      assert.equal(r.status, 404, `${id}: ${r.text}`);
    }
    const traversal = await execute(created.id, { entity: 'contacts', action: 'get', params: { id: '../admins' } });
    assert.equal(traversal.status, 404, 'the id is one path segment, never a way to another resource');
    assert.ok((await call('GET', '/api/v1/connectors/instances')).json!.data.length > 0, 'the table is still there');
  });

  it('keeps auth_config encrypted at rest, and instances across a restart with the same key', async () => {
    const { id } = await create('persistent');
    const files = [options.dbPath!, `${options.dbPath}-wal`];
    for (const f of files) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0));
      assert.ok(!bytes.includes(Buffer.from(sandbox.token)), `${f} holds the token in clear`);
    }
    assert.equal((await stat(`${options.dbPath}.key`)).mode & 0o777, 0o600);
    await server.close();
    server = await startServer(options);
    const again = await call('GET', `/api/v1/connectors/instances/${id}`);
    assert.equal(again.json!.name, 'persistent');
    assert.equal((await execute(id, { entity: 'tags', action: 'list' })).status, 200, 'the credentials decrypt after the restart');
    assert.ok(logs.some((l) => JSON.parse(l).instance === id && JSON.parse(l).status === 200));
    assert.ok(!logs.join('\n').includes(KEY) && !logs.join('\n').includes(sandbox.token), 'no key or token in the access log');
  });

  it('refuses to start with a secret key other than the database was made with', async () => {
    const other = { ...options, secretKey: 'ab'.repeat(32), port: 0 };
    await server.close();
    try {
      // A server that wrongly starts is closed at once, so the test fails rather than hangs.
      const outcome = await startServer(other).then(
        async (wrong) => {
          await wrong.close();
          return 'the server started with the wrong key';
        },
        (err: unknown) => err,
      );
      assert.ok(outcome instanceof ConfigurationError && /not the one this database was created with/.test(outcome.message), String(outcome));
    } finally {
      server = await startServer(options);
    }
  });

  it('shuts down gracefully: stops accepting, finishes what is in flight', async () => {
    const { id } = await create('graceful');
    sandbox.setFaults([{ kind: 'slow', every: 1, delayMs: 300 }]);
    try {
      const inFlight = execute(id, { entity: 'tags', action: 'list' });
      await new Promise((r) => setTimeout(r, 100));
      const closing = server.close();
      const done = await inFlight;
      assert.equal(done.status, 200, 'the request in flight got its answer');
      await closing;
      await assert.rejects(fetch(`${server.url}/healthz`), 'no new connections after close');
    } finally {
      sandbox.setFaults([]);
      server = await startServer(options);
    }
  });

  it('generates an API key once when none is configured', async () => {
    const fresh = { ...options, dbPath: join(dir, 'fresh.db'), apiKeys: undefined, port: 0 };
    const first = await startServer(fresh);
    const key = first.generatedApiKey!;
    assert.match(key, /^ck_/);
    await first.close();
    const second = await startServer(fresh);
    try {
      assert.equal(second.generatedApiKey, undefined, 'printed only at the first start');
      const r = await fetch(`${second.url}/api/v1/connectors/instances`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(r.status, 200);
    } finally {
      await second.close();
    }
  });
});
