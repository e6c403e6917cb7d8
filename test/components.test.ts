// Each component of the manifest language on its own, with a small inline manifest against a
// loopback server: what goes on the wire and what callers get back.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import {
  AuthenticationError,
  ConfigurationError,
  createRuntime,
  HttpError,
  NetworkError,
  PaginationError,
  ServerError,
  parseManifest,
  type Manifest,
  type Runtime,
  type RuntimeOptions,
} from '../src/index.js';
import { sendJson, startImitation, type ImitationRequest, type ImitationServer } from './imitations/common.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ToolCaller } from '../src/mcp/server.js';

const servers: ImitationServer[] = [];
const runtimes: Runtime[] = [];
after(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(handler: (req: ImitationRequest, res: ServerResponse) => void): Promise<ImitationServer> {
  const s = await startImitation(handler);
  servers.push(s);
  return s;
}

/** A manifest from the lines that differ between tests (entities and whatever else is given). */
function manifest(body: string): Manifest {
  return parseManifest(`manifest_version: 1\nconnector: { name: fixture, version: 1.0.0 }\nserver: { base_url: "https://api.example.test" }\n${body}`, 'fixture.yaml');
}

async function runtimeFor(m: Manifest, server: ImitationServer, options: RuntimeOptions = {}): Promise<Runtime> {
  const r = await createRuntime({ manifest: m, baseUrl: server.url, retry: { baseDelayMs: 1 }, ...options });
  runtimes.push(r);
  return r;
}

async function all(r: Runtime, entity: string, action: string, params: Record<string, unknown> = {}): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of r.paginate({ entity, action, params })) out.push(x);
  return out;
}

const ITEMS = Array.from({ length: 57 }, (_, i) => ({ id: `i${String(i).padStart(3, '0')}`, n: i }));
const ids = (xs: unknown[]) => xs.map((x) => (x as { id: string }).id);

describe('pagination components', () => {
  it('offset: an API that serves fewer than asked (Jira caps maxResults) still gives every record once', async () => {
    const server = await serve((req, res) => {
      const startAt = Number(req.parsed.searchParams.get('startAt') ?? 0);
      const max = Math.min(20, Number(req.parsed.searchParams.get('maxResults') ?? 50));
      sendJson(res, 200, { startAt, maxResults: max, total: ITEMS.length, issues: ITEMS.slice(startAt, startAt + max) });
    });
    const m = manifest(`
pagination:
  offset: { type: offset, param: cursor, inject: { in: query, name: startAt }, page_size_param: max_results, total: total }
entities:
  issues:
    actions:
      list:
        method: GET
        path: /search
        params: { cursor: { type: string }, max_results: { type: integer, wire_name: maxResults, default: 50 } }
        records: issues
        record: { type: object }
        pagination: offset
`);
    const r = await runtimeFor(m, server);
    assert.deepEqual(ids(await all(r, 'issues', 'list')), ids(ITEMS));
    const starts = server.requests.map((q) => new URL(q.url, 'http://x').searchParams.get('startAt'));
    assert.deepEqual(starts, [null, '20', '40'], 'counted from the records received; the total ends it without an empty request');
    assert.ok(server.requests.every((q) => q.url.includes('maxResults=50')), 'the default is sent');
    const first = await r.execute({ entity: 'issues', action: 'list' });
    assert.equal(first.meta!.total_count, 57);
    const resumed = await r.execute({ entity: 'issues', action: 'list', params: { cursor: first.meta!.next_page! } });
    assert.deepEqual(ids(resumed.data as unknown[]), ids(ITEMS.slice(20, 40)));
  });

  it('page numbers with no total: the first empty page ends the list; a short page ends it when declared', async () => {
    const server = await serve((req, res) => {
      const page = Number(req.parsed.searchParams.get('page') ?? 1);
      const size = Number(req.parsed.searchParams.get('size') ?? 10);
      sendJson(res, 200, ITEMS.slice((page - 1) * size, page * size));
    });
    const entity = (pagination: string) => `
entities:
  items:
    actions:
      list:
        method: GET
        path: /items
        params: { cursor: { type: string }, size: { type: integer } }
        records: $
        record: { type: object }
        pagination: ${pagination}
`;
    const plain = await runtimeFor(manifest(entity('{ type: page_number, param: cursor, page_param: page, page_size_param: size }')), server);
    assert.deepEqual(ids(await all(plain, 'items', 'list', { size: 10 })), ids(ITEMS));
    assert.equal(server.requests.length, 7, '6 pages and the empty one that ends the list');
    const short = await runtimeFor(manifest(entity('{ type: page_number, param: cursor, page_param: page, page_size_param: size, stop_on_short_page: true }')), server);
    const before = server.requests.length;
    assert.deepEqual(ids(await all(short, 'items', 'list', { size: 10 })), ids(ITEMS));
    assert.equal(server.requests.length - before, 6, 'the short sixth page is the last');
  });

  it('a page number in the path, from the first page on', async () => {
    const server = await serve((req, res) => {
      const page = Number(/^\/items\/page\/(\d+)$/.exec(req.parsed.pathname)?.[1] ?? NaN);
      sendJson(res, Number.isNaN(page) ? 404 : 200, ITEMS.slice((page - 1) * 20, page * 20));
    });
    const m = manifest(`
entities:
  items:
    actions:
      list:
        method: GET
        path: /items/page/{page}
        params: { cursor: { type: string } }
        records: $
        record: { type: object }
        pagination: { type: page_number, param: cursor, inject: { in: path, name: page }, page_size: 20, stop_on_short_page: true }
`);
    const r = await runtimeFor(m, server);
    assert.deepEqual(ids(await all(r, 'items', 'list')), ids(ITEMS));
    assert.deepEqual(server.requests.map((q) => q.url), ['/items/page/1', '/items/page/2', '/items/page/3']);
  });

  it('cursor in a response header, and in the JSON body of a POST (GraphQL), with a hasNextPage flag', async () => {
    const server = await serve((req, res) => {
      if (req.parsed.pathname === '/events') {
        const after = Number(req.parsed.searchParams.get('cursor') ?? 0);
        const page = ITEMS.slice(after, after + 25);
        return sendJson(res, 200, page, after + 25 < ITEMS.length ? { 'x-next-cursor': String(after + 25) } : {});
      }
      const body = JSON.parse(req.body) as { query: string; variables: { first: number; after?: string } };
      if (!body.query.includes('issues')) return sendJson(res, 200, { data: null, errors: [{ message: 'Cannot query field', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
      const start = body.variables.after ? Number(body.variables.after) : 0;
      const nodes = ITEMS.slice(start, start + body.variables.first);
      const end = start + nodes.length;
      sendJson(res, 200, { data: { issues: { nodes, pageInfo: { hasNextPage: end < ITEMS.length, endCursor: String(end) } } } });
    });
    const m = manifest(`
errors:
  details: [{ path: errors, code: extensions.code, message: message }]
  rules: [{ status: 200, body: { path: errors, exists: true }, as: client_error }]
entities:
  events:
    actions:
      list:
        method: GET
        path: /events
        params: { cursor: { type: string } }
        records: $
        record: { type: object }
        pagination: { type: cursor, param: cursor, next_header: X-Next-Cursor }
  issues:
    actions:
      list:
        method: POST
        path: /graphql
        idempotent: true
        body: { query: "query($first: Int!, $after: String) { issues(first: $first, after: $after) { nodes { id n } pageInfo { hasNextPage endCursor } } }" }
        params:
          first: { type: integer, in: body, wire_name: variables.first, default: 20 }
          after: { type: string }
        records: data.issues.nodes
        record: { type: object }
        pagination:
          type: cursor
          param: after
          next: data.issues.pageInfo.endCursor
          has_more: data.issues.pageInfo.hasNextPage
          inject: { in: body, name: variables.after }
      broken:
        method: POST
        path: /graphql
        idempotent: true
        body: { query: "{ nothing }" }
        records: data.nothing
        record: { type: object }
        pagination: { type: none }
`);
    const r = await runtimeFor(m, server);
    assert.deepEqual(ids(await all(r, 'events', 'list')), ids(ITEMS));
    assert.deepEqual(ids(await all(r, 'issues', 'list')), ids(ITEMS));
    const posts = server.requests.filter((q) => q.method === 'POST').map((q) => JSON.parse(q.body) as { variables: object });
    assert.deepEqual(posts.map((p) => p.variables), [{ first: 20 }, { first: 20, after: '20' }, { first: 20, after: '40' }], 'no request after hasNextPage: false');
    await assert.rejects(r.execute({ entity: 'issues', action: 'broken' }), (err: unknown) => {
      assert.ok(err instanceof HttpError && err.status === 200, 'a GraphQL error answered with 200 is an error');
      assert.deepEqual(err.details, [{ code: 'GRAPHQL_VALIDATION_FAILED', message: 'Cannot query field' }]);
      return true;
    });
  });

  it('next_url: a link to another host is refused, so the credential never leaves the origin', async () => {
    const server = await serve((req, res) => sendJson(res, 200, { items: ITEMS.slice(0, 2), next: 'https://elsewhere.example/items?page=2' }));
    const m = manifest(`
auth: { type: api_key, in: header, name: X-Api-Key, value: "Key {key}", credentials: { key: { type: string } } }
entities:
  items:
    actions:
      list:
        method: GET
        path: /items
        params: { cursor: { type: string } }
        records: items
        record: { type: object }
        pagination: { type: next_url, param: cursor, next: next }
`);
    const r = await runtimeFor(m, server, { credentials: { key: 'k-0123456789abcdef' } });
    await assert.rejects(all(r, 'items', 'list'), (err: unknown) => err instanceof PaginationError && /points at https:\/\/elsewhere\.example/.test(err.message));
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]!.headers['x-api-key'], 'Key k-0123456789abcdef', 'api_key in a named header, with its prefix');
  });

  it('none: a list the API says goes on is an error, never a short result', async () => {
    const server = await serve((req, res) => {
      if (req.parsed.pathname === '/linked') return sendJson(res, 200, ITEMS.slice(0, 3), { link: `<${server.url}/linked?page=2>; rel="next"` });
      sendJson(res, 200, { data: ITEMS.slice(0, 3), has_more: true });
    });
    const m = manifest(`
entities:
  items:
    actions:
      linked: { method: GET, path: /linked, records: $, record: { type: object }, pagination: { type: none } }
      flagged: { method: GET, path: /flagged, records: data, record: { type: object }, pagination: { type: none } }
`);
    const r = await runtimeFor(m, server);
    await assert.rejects(r.execute({ entity: 'items', action: 'linked' }), (err: unknown) => err instanceof PaginationError && /Link header with rel="next"/.test(err.message));
    await assert.rejects(all(r, 'items', 'flagged'), (err: unknown) => err instanceof PaginationError && /"has_more" is true/.test(err.message));
  });
});

describe('records', () => {
  it('a null collection may be declared an empty page; a 204 is no content; a wrapped record is unwrapped', async () => {
    const server = await serve((req, res) => {
      if (req.method === 'DELETE') {
        res.writeHead(204).end();
        return;
      }
      if (req.parsed.pathname === '/things') return sendJson(res, 200, { data: null });
      sendJson(res, 200, { thing: { id: 't1' } });
    });
    const m = manifest(`
entities:
  things:
    actions:
      list: { method: GET, path: /things, records: { path: data, missing: empty }, record: { type: object }, pagination: { type: none } }
      strict: { method: GET, path: /things, records: data, record: { type: object }, pagination: { type: none } }
      get: { method: GET, path: "/things/{id}", params: { id: { type: string, in: path, required: true } }, unwrap: thing, record: { type: object } }
      delete: { method: DELETE, path: "/things/{id}", params: { id: { type: string, in: path, required: true } }, record: { type: object } }
`);
    const r = await runtimeFor(m, server);
    assert.deepEqual(await r.execute({ entity: 'things', action: 'list' }), { data: [], meta: { next_page: null } });
    await assert.rejects(r.execute({ entity: 'things', action: 'strict' }), /found null.*declare `missing: empty`/);
    assert.deepEqual(await r.execute({ entity: 'things', action: 'get', params: { id: 't1' } }), { data: { id: 't1' } });
    assert.deepEqual(await r.execute({ entity: 'things', action: 'delete', params: { id: 't1' } }), { data: null });
  });
});

describe('requests', () => {
  it('fixed query, headers and body, form bodies with nested keys, array styles and defaults', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { id: 'x' }));
    const m = manifest(`
entities:
  things:
    actions:
      search:
        method: GET
        path: /things
        query: { version: "2" }
        headers: { X-Feature: beta }
        params:
          tags: { type: array, items: { type: string }, style: comma }
          ids: { type: array, items: { type: integer } }
          expand: { type: array, items: { type: string }, style: brackets }
          filter: { type: object, properties: { status: { type: string } } }
          sort: { type: string, default: created }
        record: { type: object }
      create:
        method: POST
        path: /things
        body_format: form
        body: { source: engine }
        params:
          name: { type: string, in: body, required: true }
          metadata: { type: object, in: body, additionalProperties: { type: string } }
          plan: { type: string, in: body, wire_name: subscription.plan }
        record: { type: object }
`);
    const r = await runtimeFor(m, server);
    await r.execute({ entity: 'things', action: 'search', params: { tags: ['a', 'b'], ids: [1, 2], expand: ['x', 'y'], filter: { status: 'open' } } });
    const q = server.requests.at(-1)!;
    assert.equal(decodeURIComponent(q.url), '/things?version=2&tags=a,b&ids=1&ids=2&expand[]=x&expand[]=y&filter[status]=open&sort=created');
    assert.equal(q.headers['x-feature'], 'beta');
    await r.execute({ entity: 'things', action: 'create', params: { name: 'Ada & co', metadata: { tier: 'gold' }, plan: 'pro' } });
    const post = server.requests.at(-1)!;
    assert.equal(post.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(post.body)), { source: 'engine', name: 'Ada & co', 'metadata[tier]': 'gold', 'subscription[plan]': 'pro' });
  });

  it('server variables fill the base URL; a value outside its pattern is refused', async () => {
    const server = await serve((req, res) => sendJson(res, 200, { path: req.parsed.pathname }));
    const port = new URL(server.url).port;
    const m = parseManifest(
      `manifest_version: 1
connector: { name: tenants, version: 1.0.0 }
server:
  base_url: "http://127.0.0.1:{port}/t/{tenant}"
  variables:
    port: { pattern: "^[0-9]{2,5}$" }
    tenant: { description: The tenant, env: TENANT }
entities:
  me: { actions: { get: { method: GET, path: /me, record: { type: object } } } }
`,
      'tenants.yaml',
    );
    const r = await createRuntime({ manifest: m, config: { port, tenant: 'acme-01' } });
    runtimes.push(r);
    assert.deepEqual((await r.execute({ entity: 'me', action: 'get' })).data, { path: '/t/acme-01/me' });
    await assert.rejects(createRuntime({ manifest: m, config: { port, tenant: '../admin' } }), ConfigurationError);
    await assert.rejects(createRuntime({ manifest: m, config: { port, tenant: 'a', other: 'b' } }), /Unknown configuration value "other"/);
  });
});

describe('auth components', () => {
  it('api_key in the query: sent, and never in an error, a debug event or a resume token', async () => {
    const KEY = 'qk_9f8e7d6c5b4a3210';
    const server = await serve((req, res) => {
      if (req.parsed.searchParams.get('api_key') !== KEY) return sendJson(res, 401, { message: `bad key ${req.parsed.searchParams.get('api_key')}` });
      if (req.parsed.pathname === '/fail') return sendJson(res, 400, { message: `rejected ${req.url}` });
      const page = Number(req.parsed.searchParams.get('page') ?? 1);
      // The API hands back next links that carry the key, as some do.
      sendJson(res, 200, { items: ITEMS.slice((page - 1) * 30, page * 30), next: page < 2 ? `${server.url}/items?page=${page + 1}&api_key=${KEY}` : null });
    });
    const m = manifest(`
auth: { type: api_key, in: query, name: api_key, credential: key, credentials: { key: { type: string } } }
errors: { details: [{ path: $, message: message }] }
entities:
  items:
    actions:
      list: { method: GET, path: /items, params: { cursor: { type: string } }, records: items, record: { type: object }, pagination: { type: next_url, param: cursor, next: next } }
      fail: { method: GET, path: /fail, params: { q: { type: string } }, record: { type: object } }
`);
    const events: unknown[] = [];
    const listen = (e: unknown) => events.push(e);
    for (const c of ['connector-engine:request', 'connector-engine:response']) diagnostics.subscribe(c, listen);
    try {
      const r = await runtimeFor(m, server, { credentials: { key: KEY } });
      const first = await r.execute({ entity: 'items', action: 'list' });
      assert.ok(!first.meta!.next_page!.includes(KEY) && !Buffer.from(first.meta!.next_page!.slice(4), 'base64url').toString().includes(KEY), 'the token holds no key');
      assert.deepEqual(ids(await all(r, 'items', 'list')), ids(ITEMS.slice(0, 60)));
      assert.ok(server.requests.every((q) => new URL(q.url, 'http://x').searchParams.getAll('api_key').length === 1), 'the key once per request, never twice');
      const err = await r.execute({ entity: 'items', action: 'fail', params: { q: 'x' } }).catch((e: unknown) => e as HttpError);
      assert.ok(err instanceof HttpError);
      const shown = `${err.message} ${err.url} ${JSON.stringify(err.details)} ${JSON.stringify(events)}`;
      assert.ok(!shown.includes(KEY), shown);
      assert.match(err.details[0]!.message!, /\[redacted\]/, 'the API echoed the key back; it is redacted');
    } finally {
      for (const c of ['connector-engine:request', 'connector-engine:response']) diagnostics.unsubscribe(c, listen);
    }
  });

  it('oauth2 refresh_token: fetched before the first call, cached, refreshed when expired and once after a 401, rotation reported', async () => {
    let issued = 0;
    let refreshToken = 'rt-initial-0000';
    const tokenRequests: URLSearchParams[] = [];
    const valid = new Set<string>();
    const server = await serve((req, res) => {
      if (req.parsed.pathname === '/oauth/token') {
        const form = new URLSearchParams(req.body);
        tokenRequests.push(form);
        if (form.get('refresh_token') !== refreshToken || form.get('client_secret') !== 'cs-secret-123456') return sendJson(res, 400, { error: 'invalid_grant', error_description: 'bad refresh token' });
        issued++;
        const token = `at-${issued}-abcdefgh`;
        valid.add(token);
        refreshToken = `rt-rotated-${issued}`;
        return sendJson(res, 200, { access_token: token, token_type: 'bearer', expires_in: issued === 1 ? 30 : 3600, refresh_token: refreshToken });
      }
      const token = req.headers.authorization?.slice('Bearer '.length) ?? '';
      if (!valid.has(token)) return sendJson(res, 401, { message: `token ${token} is not valid` });
      sendJson(res, 200, { token });
    });
    const m = manifest(`
auth:
  type: oauth2
  grant: refresh_token
  token_url: "${server.url}/oauth/token"
  client_id: "{client_id}"
  client_secret: "{client_secret}"
  refresh_token: "{refresh_token}"
  credentials:
    client_id: { type: string, secret: false }
    client_secret: { type: string }
    refresh_token: { type: string }
entities:
  me: { actions: { get: { method: GET, path: /me, record: { type: object } } } }
`);
    const rotated: string[] = [];
    const r = await runtimeFor(m, server, {
      credentials: { client_id: 'cid', client_secret: 'cs-secret-123456', refresh_token: 'rt-initial-0000' },
      onTokenRefresh: (t) => rotated.push(t.refresh_token!),
    });
    // The first token expires within the refresh margin (30 s < 60 s): the next call refreshes first.
    assert.deepEqual((await r.execute({ entity: 'me', action: 'get' })).data, { token: 'at-1-abcdefgh' });
    assert.deepEqual((await r.execute({ entity: 'me', action: 'get' })).data, { token: 'at-2-abcdefgh' });
    assert.deepEqual((await r.execute({ entity: 'me', action: 'get' })).data, { token: 'at-2-abcdefgh' }, 'cached while valid');
    assert.equal(tokenRequests.length, 2);
    assert.equal(tokenRequests[1]!.get('refresh_token'), 'rt-rotated-1', 'the rotated refresh token is used');
    // The API revokes the token early: one refresh, one more try.
    valid.clear();
    assert.deepEqual((await r.execute({ entity: 'me', action: 'get' })).data, { token: 'at-3-abcdefgh' });
    assert.deepEqual(rotated, ['rt-rotated-1', 'rt-rotated-2', 'rt-rotated-3']);
    // A refresh token the server no longer accepts is an AuthenticationError that shows no secret.
    valid.clear();
    refreshToken = 'rt-revoked';
    await assert.rejects(r.execute({ entity: 'me', action: 'get' }), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError);
      assert.match(err.message, /invalid_grant: bad refresh token.*authorize again/);
      assert.ok(!/at-\d-abcdefgh|rt-rotated|cs-secret/.test(`${err.message} ${JSON.stringify(err)}`));
      return true;
    });
  });

  it('oauth2 client_credentials with Basic client authentication and scopes', async () => {
    const server = await serve((req, res) => {
      if (req.parsed.pathname === '/token') {
        const form = new URLSearchParams(req.body);
        const basic = Buffer.from('app:s3cret-s3cret').toString('base64');
        if (req.headers.authorization !== `Basic ${basic}` || form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'read write') {
          return sendJson(res, 401, { error: 'invalid_client' });
        }
        return sendJson(res, 200, { access_token: 'cc-token-000111', expires_in: 3600 });
      }
      sendJson(res, req.headers.authorization === 'Bearer cc-token-000111' ? 200 : 401, { ok: true });
    });
    const m = manifest(`
auth:
  type: oauth2
  grant: client_credentials
  token_url: "${server.url}/token"
  client_id: "{client_id}"
  client_secret: "{client_secret}"
  client_auth: basic
  scopes: [read, write]
  credentials: { client_id: { type: string, secret: false }, client_secret: { type: string } }
entities:
  me: { actions: { get: { method: GET, path: /me, record: { type: object } } } }
`);
    const r = await runtimeFor(m, server, { credentials: { client_id: 'app', client_secret: 's3cret-s3cret' } });
    assert.deepEqual((await r.execute({ entity: 'me', action: 'get' })).data, { ok: true });
  });
});

describe('writes and retries', () => {
  const m = manifest(`
entities:
  payments:
    actions:
      create: { method: POST, path: /payments, params: { amount: { type: integer, in: body } }, record: { type: object } }
      create_safely: { method: POST, path: /payments, idempotency_key: Idempotency-Key, params: { amount: { type: integer, in: body } }, record: { type: object } }
      replace: { method: PUT, path: /payments/p1, params: { amount: { type: integer, in: body } }, record: { type: object } }
`);

  it('a write that may have reached the API is not sent twice; with an idempotency key it is, with the same key', async () => {
    let failures = 2;
    const server = await serve((_req, res) => (failures-- > 0 ? sendJson(res, 503, { message: 'busy' }) : sendJson(res, 201, { id: 'p1' })));
    const r = await runtimeFor(m, server);
    await assert.rejects(r.execute({ entity: 'payments', action: 'create', params: { amount: 5 } }), ServerError);
    assert.equal(server.requests.length, 1, 'POST: once');
    await assert.rejects(r.execute({ entity: 'payments', action: 'replace', params: { amount: 5 } }), ServerError);
    assert.equal(server.requests.length, 2, 'PUT: once too, unless declared idempotent');
    failures = 2;
    assert.deepEqual((await r.execute({ entity: 'payments', action: 'create_safely', params: { amount: 5 } })).data, { id: 'p1' });
    const keyed = server.requests.slice(2);
    assert.equal(keyed.length, 3);
    const keys = keyed.map((q) => q.headers['idempotency-key']);
    assert.match(String(keys[0]), /^[0-9a-f-]{36}$/);
    assert.ok(keys.every((k) => k === keys[0]), 'one key for the call and its retries');
  });

  it('a write is retried when the connection never opened', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    const closedPort = new URL(server.url).port;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const r = await createRuntime({ manifest: m, baseUrl: `http://127.0.0.1:${closedPort}`, retry: { baseDelayMs: 1, limit: 2 } });
    runtimes.push(r);
    await assert.rejects(r.execute({ entity: 'payments', action: 'create', params: { amount: 1 } }), (err: unknown) => {
      assert.ok(err instanceof NetworkError && err.beforeSending);
      assert.equal(err.attempts, 3, 'nothing was sent, so trying again is safe');
      return true;
    });
  });
});

describe('page numbers then a scroll, rules with messages, previews', () => {
  it('page_number with scroll: a list longer than the numbers reach is read again from the start at the scroll endpoint', async () => {
    // An API whose page numbers stop at 20 records; its scroll token says where the next batch starts.
    const server = await serve((req, res) => {
      const q = req.parsed.searchParams;
      if (req.parsed.pathname === '/things/scroll') {
        const token = q.get('scroll');
        const at = token === null ? 0 : Number(token.split(':')[1]);
        const batch = ITEMS.slice(at, at + 25);
        sendJson(res, 200, { items: batch, scroll: `tok:${at + 25}` });
        return;
      }
      const page = Number(q.get('page') ?? 1);
      const size = Number(q.get('size') ?? 10);
      if ((page - 1) * size >= 20) return sendJson(res, 400, { message: 'page limit reached, use the scroll' });
      sendJson(res, 200, { items: ITEMS.slice((page - 1) * size, Math.min(page * size, 20)), total: ITEMS.length, pages: Math.ceil(ITEMS.length / size) });
    });
    const m = manifest(`
pagination:
  numbered:
    type: page_number
    param: cursor
    page_param: page
    page_size_param: size
    total_pages: pages
    total: total
    scroll: { after: 20, path: /things/scroll, param: scroll, next: scroll, hint: one scroll at a time }
entities:
  things:
    actions:
      list:
        method: GET
        path: /things
        params: { cursor: { type: string }, size: { type: integer } }
        records: items
        record: { type: object }
        pagination: numbered
`);
    const r = await runtimeFor(m, server);
    assert.deepEqual(ids(await all(r, 'things', 'list', { size: 10 })), ids(ITEMS), 'every record once, none from the dropped first page twice');
    const paths = server.requests.map((q) => q.url);
    assert.equal(paths[0], '/things?size=10');
    assert.equal(paths[1], '/things/scroll', 'the scroll starts from nothing: no page size, no page');
    assert.equal(paths.length, 1 + Math.ceil(ITEMS.length / 25) + 1, 'one numbered page, the batches, and the empty batch that ends it');
  });

  it('errorMessage rules, param_rules and a parameter schema: refused before any request, in words', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { data: [] }));
    const m = manifest(`
schemas:
  Filter:
    type: object
    required: [field, op, value]
    properties:
      field: { type: string }
      op: { type: string, enum: [eq, gt] }
      value: { type: [string, integer] }
    allOf:
      - if: { required: [op], properties: { op: { const: gt } } }
        then: { properties: { value: { type: integer } } }
        errorMessage: "compares with {op}, which takes a number, not {value}"
entities:
  things:
    actions:
      find:
        method: POST
        path: /find
        idempotent: true
        params:
          where: { type: object, in: body, required: true, schema: { $ref: "#/schemas/Filter" } }
          tag: { type: string, in: body }
          owner: { type: string, in: body }
        param_rules:
          - anyOf: [{ required: [tag] }, { required: [owner] }]
            errorMessage: "need a tag or an owner"
        records: data
        record: { type: object }
        pagination: { type: none }
`);
    const r = await runtimeFor(m, server);
    await assert.rejects(r.execute({ entity: 'things', action: 'find', params: { where: { field: 'n', op: 'gt', value: 'ten' }, tag: 'a' } }), /parameter "where" compares with "gt", which takes a number, not "ten"\./);
    await assert.rejects(r.execute({ entity: 'things', action: 'find', params: { where: { field: 'n', op: 'lt', value: 1 }, tag: 'a' } }), /parameter "where.op" must be one of "eq", "gt"/);
    await assert.rejects(r.execute({ entity: 'things', action: 'find', params: { where: { field: 'n', op: 'eq', value: 1 } } }), /things\.find: the parameters need a tag or an owner\./);
    assert.equal(server.requests.length, 0);
    await r.execute({ entity: 'things', action: 'find', params: { where: { field: 'n', op: 'gt', value: 3 }, owner: 'me' } });
    assert.deepEqual(JSON.parse(server.requests[0]!.body), { where: { field: 'n', op: 'gt', value: 3 }, owner: 'me' });
  });

  it('a recursive parameter schema compiles once per name and checks any depth; input nested past 64 levels is refused', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { data: [] }));
    const m = manifest(`
schemas:
  Expr:
    type: object
    additionalProperties: false
    properties:
      and: { type: array, items: { $ref: "#/schemas/Expr" } }
      or: { type: array, items: { $ref: "#/schemas/Expr" } }
      not: { $ref: "#/schemas/Expr" }
      eq: { type: object, required: [field, value], properties: { field: { type: string }, value: { type: string } } }
entities:
  things:
    actions:
      find:
        method: POST
        path: /find
        idempotent: true
        params:
          where: { type: object, in: body, required: true, schema: { $ref: "#/schemas/Expr" } }
        records: data
        record: { type: object }
        pagination: { type: none }
`);
    const r = await runtimeFor(m, server);
    let deep: Record<string, unknown> = { eq: { field: 'a', value: 1 } };
    for (let i = 0; i < 40; i++) deep = { not: deep };
    await assert.rejects(r.execute({ entity: 'things', action: 'find', params: { where: deep } }), /parameter "where(\.not){40}\.eq\.value" must be a string, got number 1/);
    let tooDeep: Record<string, unknown> = { eq: { field: 'a', value: 'b' } };
    for (let i = 0; i < 70; i++) tooDeep = { not: tooDeep };
    await assert.rejects(r.execute({ entity: 'things', action: 'find', params: { where: tooDeep } }), /nested more than 64 levels deep/);
    await r.execute({ entity: 'things', action: 'find', params: { where: { or: [{ and: [{ eq: { field: 'a', value: 'b' } }] }, { not: { eq: { field: 'c', value: 'd' } } }] } } });
    assert.equal(server.requests.length, 1);
  });

  it('MCP structuredContent still validates when the API drifts from the record schema (a number sent as a string, null for an object)', async (t) => {
    const server = await serve((_req, res) => sendJson(res, 200, { data: [{ id: 'a', created_at: '2024-01-01', owner: null, tags: 'none' }] }));
    const m = manifest(`
entities:
  things:
    actions:
      list:
        method: GET
        path: /things
        records: data
        record:
          type: object
          required: [id]
          properties:
            id: { type: string }
            created_at: { type: integer, description: Unix seconds }
            owner: { type: object, properties: { id: { type: string } } }
            tags: { type: array, items: { type: string } }
        pagination: { type: none }
`);
    const caller = new ToolCaller({ manifest: m, runtimeOptions: { baseUrl: server.url } });
    t.after(() => caller.close());
    const tool = caller.tools.find((t) => t.definition.name === 'things_list')!;
    const result = await caller.call('things_list', {});
    const validate = new Ajv2020({ strict: false }).compile(tool.definition.outputSchema!);
    assert.ok(validate(result.structuredContent), JSON.stringify(validate.errors));
    const created = ((tool.definition.outputSchema as any).properties.records.items.properties.created_at) as { description: string };
    assert.equal(created.description, 'integer. Unix seconds', 'the type is said, not enforced');
  });

  it('preview: the request as it would leave, secrets redacted, nothing sent; an OAuth2 token is not fetched for it', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    const m = manifest(`
auth:
  methods:
    key: { type: api_key, in: query, name: api_key, value: "{api_key}" }
    oauth: { type: oauth2, grant: client_credentials, token_url: "https://auth.example.test/token", client_id: "{client_id}", client_secret: "{client_secret}" }
  credentials:
    api_key: { type: string }
    client_id: { type: string, secret: false }
    client_secret: { type: string }
entities:
  things:
    actions:
      create:
        method: POST
        path: /things/{group}
        idempotency_key: Idempotency-Key
        params:
          group: { type: string, in: path, required: true }
          name: { type: string, in: body, required: true }
        record: { type: object }
`);
    const keyed = await runtimeFor(m, server, { credentials: { api_key: 'key-1234567890' } });
    const p = keyed.preview({ entity: 'things', action: 'create', params: { group: 'a b', name: 'x' } });
    assert.equal(p.method, 'POST');
    assert.equal(p.url, `${server.url}/things/a%20b?api_key=[redacted]`);
    assert.deepEqual(p.body, { name: 'x' });
    assert.match(p.headers['idempotency-key']!, /new UUID per call/);
    assert.throws(() => keyed.preview({ entity: 'things', action: 'create', params: { group: 'a' } }), /missing required parameter "name"/);
    const oauth = await runtimeFor(m, server, { credentials: { client_id: 'app', client_secret: 'secret-123456789' } });
    assert.match(oauth.preview({ entity: 'things', action: 'create', params: { group: 'a', name: 'x' } }).headers.authorization!, /^Bearer <OAuth2 access token, fetched when sent>$/);
    assert.equal(server.requests.length, 0);
  });
});
