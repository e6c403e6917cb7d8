// serve's API about itself and its instances: --help and /openapi.json against the router,
// parameters in /definitions, `check: true`, PATCH of an instance, and a port already taken.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { DEFAULT_MANIFEST, loadManifest, parseManifest, type Manifest } from '../src/index.js';
import { listenError } from '../src/host/listen.js';
import { UsageError } from '../src/host/command.js';
import { openApiDocument } from '../src/serve/openapi.js';
import { startServer, type RunningServer, type ServeOptions } from '../src/serve/server.js';
import { run } from './support/attack.js';
import { sendJson, startServer as startUpstream, type TestServer } from './support/server.js';

const DEF = 'd8313939-3782-41b0-be29-b3ca20d8dd3a';
const KEY = 'serve-api-key-0001';
const WRONG_TOKEN = 'tok_wrong_credential_42';
const FORBIDDEN_TOKEN = 'tok_forbidden_credential_43';

/** Every route, written out here rather than read from the code, so the test notices a route that goes missing. */
const ROUTES = [
  'GET /healthz',
  'GET /openapi.json',
  'GET /api/v1/connectors/definitions',
  'GET /api/v1/connectors/instances',
  'POST /api/v1/connectors/instances',
  'GET /api/v1/connectors/instances/{id}',
  'PATCH /api/v1/connectors/instances/{id}',
  'DELETE /api/v1/connectors/instances/{id}',
  'POST /api/v1/connectors/instances/{id}/execute',
];

/** A connector whose only list needs a parameter: there is no cheap call to check it with. */
const UNCHECKABLE = parseManifest(`manifest_version: 1
connector: { name: needs_owner, version: 1.0.0 }
server: { base_url: 'https://api.example.com' }
auth:
  type: bearer
  credential: token
  credentials: { token: { type: string, required: true } }
entities:
  repos:
    actions:
      list:
        method: GET
        path: /owners/{owner}/repos
        params: { owner: { type: string, in: path, required: true } }
        records: $
        pagination: { type: none }
        record: { type: object }
`);

type Reply = { status: number; headers: Headers; text: string; json?: Record<string, any> };

async function call(server: { url: string }, method: string, path: string, body?: unknown, key: string | null = KEY): Promise<Reply> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

describe('serve: the API about itself and its instances', () => {
  let sandbox: Sandbox;
  let manifest: Manifest;
  let dir: string;
  let server: RunningServer;
  let options: ServeOptions;
  const closers: (() => Promise<unknown>)[] = [];

  const create = (body: Record<string, unknown>) => call(server, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, name: 'n', ...body });
  const execute = (id: string) => call(server, 'POST', `/api/v1/connectors/instances/${id}/execute`, { entity: 'tags', action: 'list' });
  const patch = (id: string, body: unknown) => call(server, 'PATCH', `/api/v1/connectors/instances/${encodeURIComponent(id)}`, body);
  const count = async () => (await call(server, 'GET', '/api/v1/connectors/instances')).json!.data.length as number;

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 30 } });
    manifest = await loadManifest(DEFAULT_MANIFEST);
    dir = await mkdtemp(join(tmpdir(), 'serve-api-'));
    options = {
      port: 0,
      dbPath: join(dir, 'c.db'),
      manifests: [manifest, UNCHECKABLE],
      apiKeys: KEY,
      runtime: { baseUrl: sandbox.url, retry: { limit: 0 } },
      log: () => {},
    };
    server = await startServer(options);
  });
  after(async () => {
    try {
      for (const c of closers.reverse()) await c().catch(() => {});
      await server?.close();
      await sandbox?.close();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('serve --help names the environment variables and every route, and the router answers each route it lists', async () => {
    const help = await run(['serve', '--help'], {});
    assert.equal(help.code, 0, help.stderr);
    for (const name of ['CONNECTOR_API_KEYS', 'CONNECTOR_SECRET_KEY', 'CONNECTOR_NEW_SECRET_KEY']) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
    assert.match(help.stdout, /openssl rand -hex 32/);
    assert.match(help.stdout, /generates a key, prints it once/);
    const listed = [...help.stdout.matchAll(/^ {2}(GET|POST|PATCH|DELETE) +(\/\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual([...listed].sort(), [...ROUTES].sort());

    // Each listed route reaches a handler: never "no route" (404) nor "wrong method" (405).
    const { json: made } = await create({ auth_config: { access_token: sandbox.token } });
    for (const route of [...listed.filter((r) => !r.startsWith('DELETE')), ...listed.filter((r) => r.startsWith('DELETE'))]) {
      const [method, path] = route.split(' ') as [string, string];
      const body = method === 'POST' || method === 'PATCH' ? {} : undefined;
      const r = await call(server, method, path.replace('{id}', made!.id), body);
      assert.notEqual(r.status, 405, `${route}: ${r.text}`);
      assert.ok(!(r.status === 404 && /no route/.test(r.text)), `${route}: ${r.text}`);
    }
    assert.equal((await call(server, 'GET', `/api/v1/connectors/instances/${made!.id}`)).status, 404, 'the DELETE ran');
  });

  it('405 names every method the path takes', async () => {
    const put = await call(server, 'PUT', '/api/v1/connectors/instances', {});
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, POST');
    const item = await call(server, 'POST', '/api/v1/connectors/instances/some-id', {});
    assert.equal(item.headers.get('allow'), 'GET, PATCH, DELETE');
    const health = await call(server, 'POST', '/healthz', {}, null);
    assert.equal(health.status, 405);
    assert.equal(health.headers.get('allow'), 'GET');
  });

  it('GET /openapi.json: a valid OpenAPI 3.1 document of every route and every operation, without a key', async () => {
    const r = await call(server, 'GET', '/openapi.json', undefined, null);
    assert.equal(r.status, 200, r.text);
    const doc = r.json! as any;
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(doc.openapi, '3.1.0');
    const described = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).filter((k) => k !== 'parameters').map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(described.sort(), [...ROUTES].sort());

    // Security: the bearer API key everywhere but on the two public routes.
    assert.deepEqual(doc.components.securitySchemes.apiKey, { ...doc.components.securitySchemes.apiKey, type: 'http', scheme: 'bearer' });
    assert.deepEqual(doc.security, [{ apiKey: [] }]);
    assert.deepEqual(doc.paths['/healthz'].get.security, []);
    assert.deepEqual(doc.paths['/openapi.json'].get.security, []);
    assert.equal(doc.paths['/api/v1/connectors/instances'].post.security, undefined);

    // The execute body: per connector, oneOf its operations, each with entity and action constants and its params.
    const schemas = doc.components.schemas;
    const executeBody = doc.paths['/api/v1/connectors/instances/{id}/execute'].post.requestBody.content['application/json'].schema;
    assert.equal(executeBody.anyOf.length, 2, 'one alternative per connector');
    const intercom = schemas[executeBody.anyOf[0].$ref.split('/').at(-1)];
    const operations = intercom.oneOf.map((o: { $ref: string }) => schemas[o.$ref.split('/').at(-1)!]);
    const expected = Object.entries(manifest.entities).flatMap(([e, spec]) => Object.keys(spec.actions).map((a) => `${e}.${a}`));
    assert.deepEqual(operations.map((o: any) => `${o.properties.entity.const}.${o.properties.action.const}`), expected);
    const list = operations.find((o: any) => o.properties.entity.const === 'contacts' && o.properties.action.const === 'list');
    assert.deepEqual(list.properties.params.properties.per_page, { type: 'integer', description: 'Number of contacts to return per page', minimum: 1, maximum: 150 });
    assert.match(list.properties.params.properties.starting_after.description, /meta\.next_page/);
    assert.equal(list.properties.params.additionalProperties, false);
    const get = operations.find((o: any) => o.properties.entity.const === 'contacts' && o.properties.action.const === 'get');
    assert.deepEqual(get.required, ['entity', 'action', 'params']);
    assert.deepEqual(get.properties.params.required, ['id']);
    assert.equal(get.properties.params.properties.id.minLength, 1, 'a path segment is never empty');

    // The create body: one alternative per connector, with its credentials.
    const createBody = doc.paths['/api/v1/connectors/instances'].post.requestBody.content['application/json'].schema;
    assert.equal(createBody.oneOf.length, 2);
    const auth = schemas[schemas[createBody.oneOf[0].$ref.split('/').at(-1)].properties.auth_config.$ref.split('/').at(-1)];
    assert.deepEqual(auth.required, ['access_token']);
    assert.equal(auth.properties.access_token.writeOnly, true);
    assert.equal(auth.additionalProperties, false);
  });

  it('the document matches what the server accepts and answers (checked with a JSON Schema validator)', async () => {
    const doc = (await call(server, 'GET', '/openapi.json', undefined, null)).json!;
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ ...doc, $id: 'api' });
    const pointer = (...parts: string[]) => `api#/${parts.map((p) => encodeURIComponent(p.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/')}`;
    const body = (path: string, method: string) => ajv.compile({ $ref: pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema') });
    const schema = (name: string) => ajv.compile({ $ref: pointer('components', 'schemas', name) });
    const executeBody = body('/api/v1/connectors/instances/{id}/execute', 'post');
    const createBody = body('/api/v1/connectors/instances', 'post');
    const patchBody = body('/api/v1/connectors/instances/{id}', 'patch');

    const good = { connector_definition_id: DEF, auth_config: { access_token: sandbox.token }, name: 'doc', check: true };
    assert.ok(createBody(good), JSON.stringify(createBody.errors));
    const made = await call(server, 'POST', '/api/v1/connectors/instances', good);
    assert.equal(made.status, 201, made.text);
    assert.ok(schema('Instance')(made.json), JSON.stringify(schema('Instance').errors));
    const defs = await call(server, 'GET', '/api/v1/connectors/definitions');
    for (const d of defs.json!.data) assert.ok(schema('Definition')(d), JSON.stringify(schema('Definition').errors));

    // Bodies the document accepts, the server runs; bodies it refuses, the server refuses.
    const d = sandbox.dataset;
    const accepted = [
      { entity: 'contacts', action: 'list', params: { per_page: 2 } },
      { entity: 'contacts', action: 'get', params: { id: d.contactAt(0).id } },
      { entity: 'tags', action: 'list' },
    ];
    const refused = [
      { entity: 'contacts', action: 'list', params: { per_page: 151 } },
      { entity: 'contacts', action: 'list', params: { perpage: 2 } },
      { entity: 'contacts', action: 'get' },
      { entity: 'contacts', action: 'get', params: { id: '' } },
      { entity: 'contact', action: 'list' },
      { entity: 'tags', action: 'list', extra: true },
    ];
    for (const b of accepted) {
      assert.ok(executeBody(b), `${JSON.stringify(b)}: ${JSON.stringify(executeBody.errors)}`);
      const r = await call(server, 'POST', `/api/v1/connectors/instances/${made.json!.id}/execute`, b);
      assert.equal(r.status, 200, r.text);
      assert.ok(schema('ExecuteResult')(r.json), JSON.stringify(schema('ExecuteResult').errors));
    }
    for (const b of refused) {
      assert.ok(!executeBody(b), `the document accepts ${JSON.stringify(b)}`);
      const r = await call(server, 'POST', `/api/v1/connectors/instances/${made.json!.id}/execute`, b);
      assert.ok(r.status === 400 || r.status === 404, `${JSON.stringify(b)}: ${r.status} ${r.text}`);
      assert.ok(schema('Error')(r.json));
    }
    assert.ok(patchBody({ name: 'x' }) && patchBody({ auth_config: { access_token: sandbox.token }, check: true }));
    assert.ok(!patchBody({}) && !patchBody({ check: true }) && !patchBody({ name: 'x', colour: 'red' }));
  });

  it('generates a valid document for every bundled connector at once', async () => {
    const files = ['github', 'stripe', 'zendesk', 'hubspot'].map((n) => new URL(`../connectors/${n}.yaml`, import.meta.url).pathname);
    const all = [manifest, ...(await Promise.all(files.map((f) => loadManifest(f))))];
    const doc = openApiDocument(new Map(all.map((m) => [m.connector.definition_id ?? m.connector.name, m]))) as any;
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    const execute = doc.paths['/api/v1/connectors/instances/{id}/execute'].post.requestBody.content['application/json'].schema;
    const total = all.reduce((n, m) => n + Object.values(m.entities).reduce((k, e) => k + Object.keys(e.actions).length, 0), 0);
    const branches = execute.anyOf.reduce((n: number, r: { $ref: string }) => n + doc.components.schemas[r.$ref.split('/').at(-1)!].oneOf.length, 0);
    assert.equal(branches, total);
    // A nested body parameter's shared schemas come along, under the connector's name.
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[ref[1]!], `${ref[1]} is referenced but missing`);
    assert.deepEqual(openApiDocument(new Map([[DEF, manifest]])), openApiDocument(new Map([[DEF, manifest]])), 'a pure function of the manifests');
  });

  it('GET /definitions lists each action with its parameters, and what check calls', async () => {
    const defs = (await call(server, 'GET', '/api/v1/connectors/definitions')).json!.data;
    const intercom = defs.find((d: { id: string }) => d.id === DEF);
    assert.deepEqual(intercom.entities.contacts, ['list', 'get', 'search', 'create', 'update'], 'the names stay where they were');
    const list = intercom.operations.find((o: any) => o.entity === 'contacts' && o.action === 'list');
    assert.equal(list.list, true);
    assert.equal(list.access, 'read');
    assert.deepEqual(list.params, [
      { name: 'per_page', type: 'integer', required: false, description: 'Number of contacts to return per page', page_size: true, minimum: 1, maximum: 150 },
      { name: 'starting_after', type: 'string', required: false, description: 'Cursor for pagination - get contacts after this ID', cursor: true, maxLength: 16384 },
    ]);
    const get = intercom.operations.find((o: any) => o.entity === 'contacts' && o.action === 'get');
    assert.deepEqual(get.params.map((p: any) => [p.name, p.type, p.required, p.minLength]), [['id', 'string', true, 1]]);
    assert.equal(get.list, false);
    assert.equal(intercom.operations.length, 23);
    assert.equal(intercom.operations.find((o: any) => o.entity === 'contacts' && o.action === 'search').access, 'read');
    assert.equal(intercom.operations.find((o: any) => o.entity === 'contacts' && o.action === 'create').access, 'write');
    assert.deepEqual(intercom.check, { entity: 'contacts', action: 'list', params: { per_page: 1 } });
    assert.equal(defs.find((d: { id: string }) => d.id === 'needs_owner').check, null);
  });

  it('check: true makes one call upstream; good credentials are stored and say checked', async () => {
    const before = sandbox.stats.requests;
    const made = await create({ auth_config: { access_token: sandbox.token }, check: true });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json!.checked, true);
    assert.equal(sandbox.stats.requests - before, 1, 'one call, no more');
    assert.equal((await call(server, 'GET', `/api/v1/connectors/instances/${made.json!.id}`)).json!.checked, undefined, 'checked is said once, not stored');
    const unchecked = await create({ auth_config: { access_token: sandbox.token }, check: false });
    assert.equal(unchecked.status, 201);
    assert.equal(unchecked.json!.checked, undefined);
    assert.equal(sandbox.stats.requests - before, 1, 'check: false calls nothing');
  });

  it('check: true with rejected credentials stores nothing and says so, without the token', async () => {
    const instances = await count();
    const r = await create({ auth_config: { access_token: WRONG_TOKEN }, check: true });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json!.error.code, 'UPSTREAM_UNAUTHORIZED');
    assert.equal(r.json!.error.upstream_status, 401);
    assert.match(r.json!.error.message, /credentials in auth_config were rejected upstream when checked with contacts\.list .*nothing was stored/);
    assert.ok(!r.text.includes(WRONG_TOKEN));
    assert.equal(await count(), instances, 'nothing was stored');
    const bodies = [
      [{ check: 'yes', auth_config: { access_token: sandbox.token } }, 'INVALID_BODY', /"check" must be true or false/],
      [{ connector_definition_id: 'needs_owner', auth_config: { token: 'a-long-enough-token' }, check: true }, 'CHECK_NOT_POSSIBLE', /needs_owner cannot be checked/],
    ] as const;
    for (const [body, code, message] of bodies) {
      const bad = await create(body);
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.json!.error.code, code);
      assert.match(bad.json!.error.message, message);
    }
    assert.equal(await count(), instances, 'nothing was stored');
    const plain = await create({ connector_definition_id: 'needs_owner', auth_config: { token: 'a-long-enough-token' } });
    assert.equal(plain.status, 201, 'without check the same instance is fine');
  });

  it('check: true asks for the smallest page of the first list; a 403 is UPSTREAM_FORBIDDEN', async () => {
    const upstream: TestServer = await startUpstream((req, res) => {
      if (req.headers.authorization === `Bearer ${FORBIDDEN_TOKEN}`) {
        sendJson(res, 403, { type: 'error.list', request_id: 'req-403', errors: [{ code: 'forbidden', message: 'Missing scope' }] });
      } else sendJson(res, 200, { type: 'list', data: [{ type: 'contact', id: '1' }], total_count: 1 });
    });
    closers.push(() => upstream.close());
    const own = await startServer({ ...options, dbPath: join(dir, 'recording.db'), runtime: { baseUrl: upstream.url, retry: { limit: 0 } } });
    closers.push(() => own.close());
    const ok = await call(own, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, name: 'r', auth_config: { access_token: 'a-good-token-123' }, check: true });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(upstream.requests.map((r) => `${r.method} ${r.url}`), ['GET /contacts?per_page=1']);
    const forbidden = await call(own, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, name: 'f', auth_config: { access_token: FORBIDDEN_TOKEN }, check: true });
    assert.equal(forbidden.status, 502, forbidden.text);
    assert.equal(forbidden.json!.error.code, 'UPSTREAM_FORBIDDEN');
    assert.equal(forbidden.json!.error.upstream_status, 403);
    assert.equal(forbidden.json!.error.request_id, 'req-403');
    assert.match(forbidden.json!.error.message, /rejected upstream.*nothing was stored/);
    assert.equal((await call(own, 'GET', '/api/v1/connectors/instances')).json!.data.length, 1);
  });

  it('PATCH rotates credentials (sealed, in effect at the next call) and renames; the answer is what GET answers', async () => {
    const made = (await create({ name: 'before', auth_config: { access_token: WRONG_TOKEN } })).json!;
    assert.equal((await execute(made.id)).status, 502, 'the wrong token is used (and its runtime made)');
    const rotated = await patch(made.id, { auth_config: { access_token: sandbox.token } });
    assert.equal(rotated.status, 200, rotated.text);
    const got = await call(server, 'GET', `/api/v1/connectors/instances/${made.id}`);
    assert.deepEqual(rotated.json, got.json);
    assert.deepEqual(got.json, made, 'same id, name, definition and creation time');
    assert.ok(!rotated.text.includes(sandbox.token) && !rotated.text.includes('auth_config'));
    assert.equal((await execute(made.id)).status, 200, 'the next call uses the new credentials');

    const renamed = await patch(made.id, { name: 'after' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json!.name, 'after');
    assert.equal((await call(server, 'GET', `/api/v1/connectors/instances/${made.id}`)).json!.name, 'after');
    assert.equal((await execute(made.id)).status, 200, 'a rename keeps the credentials');

    const both = await patch(made.id, { name: 'both', auth_config: { access_token: sandbox.token }, check: true });
    assert.equal(both.status, 200, both.text);
    assert.deepEqual(both.json, { ...made, name: 'both', checked: true });

    const files = [options.dbPath!, `${options.dbPath}-wal`];
    for (const f of files) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0));
      assert.ok(!bytes.includes(Buffer.from(sandbox.token)), `${f} holds the token in clear`);
    }
  });

  it('PATCH with check: true and rejected credentials keeps the old ones', async () => {
    const made = (await create({ name: 'keeps', auth_config: { access_token: sandbox.token } })).json!;
    const refused = await patch(made.id, { auth_config: { access_token: WRONG_TOKEN }, name: 'renamed', check: true });
    assert.equal(refused.status, 502, refused.text);
    assert.equal(refused.json!.error.code, 'UPSTREAM_UNAUTHORIZED');
    assert.match(refused.json!.error.message, /nothing was stored/);
    assert.ok(!refused.text.includes(WRONG_TOKEN));
    assert.equal((await execute(made.id)).status, 200, 'the stored credentials still work');
    assert.equal((await call(server, 'GET', `/api/v1/connectors/instances/${made.id}`)).json!.name, 'keeps', 'nor was the name changed');
    const stored = await patch(made.id, { check: true, name: 'checked' });
    assert.equal(stored.status, 200, 'check with only a rename checks the stored credentials');
    assert.equal(stored.json!.checked, true);
  });

  it('PATCH refuses unknown fields, an empty patch, invalid credentials and unknown ids', async () => {
    const made = (await create({ name: 'strict', auth_config: { access_token: sandbox.token } })).json!;
    const cases: [string, string, unknown, number, string, RegExp][] = [
      ['unknown fields', made.id, { name: 'x', colour: 'red', size: 2 }, 400, 'INVALID_BODY', /unknown fields "colour", "size"; the body takes: auth_config, name, scope, check/],
      ['config cannot change', made.id, { config: {} }, 400, 'INVALID_BODY', /unknown field "config"/],
      ['empty patch', made.id, {}, 400, 'INVALID_BODY', /nothing to change/],
      ['check alone', made.id, { check: true }, 400, 'INVALID_BODY', /nothing to change/],
      ['empty name', made.id, { name: '' }, 400, 'INVALID_BODY', /"name" must be a non-empty string/],
      ['unknown credential', made.id, { auth_config: { token: 'x'.repeat(20) } }, 400, 'INVALID_PARAMETERS', /auth_config: Unknown credential "token"/],
      ['credential not a string', made.id, { auth_config: { access_token: 7 } }, 400, 'INVALID_PARAMETERS', /must be a non-empty string/],
      ['unknown id', 'no-such-instance', { name: 'x' }, 404, 'NOT_FOUND', /no connector instance/],
    ];
    for (const [name, id, body, status, code, message] of cases) {
      const r = await patch(id, body);
      assert.equal(r.status, status, `${name}: ${r.text}`);
      assert.equal(r.json!.error.code, code, name);
      assert.match(r.json!.error.message, message, name);
    }
    assert.deepEqual((await call(server, 'GET', `/api/v1/connectors/instances/${made.id}`)).json, made, 'unchanged');
    assert.equal((await execute(made.id)).status, 200);
  });
});

describe('serve: a port it cannot listen on', () => {
  it('the binary says the port is in use and how to pick another: exit 2, one line, no stack', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as { port: number };
    const dir = await mkdtemp(join(tmpdir(), 'serve-port-'));
    try {
      const env = { CONNECTOR_API_KEYS: KEY };
      const [inUse, tooHigh, word] = await Promise.all([
        run(['serve', '--port', String(port), '--db', join(dir, 'a.db')], env),
        run(['serve', '--port', '70000', '--db', join(dir, 'b.db')], env),
        run(['serve', '--port', 'abc', '--db', join(dir, 'c.db')], env),
      ]);
      assert.equal(inUse.code, 2, inUse.stderr);
      assert.equal(
        inUse.stderr,
        `intercom-connector: error[USAGE]: port ${port} on 127.0.0.1 is already in use (another server is listening there); pick another with --port, or --port 0 for any free port. See --help.\n`,
      );
      for (const [r, value] of [[tooHigh, '70000'], [word, 'abc']] as const) {
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stderr, `intercom-connector: error[USAGE]: --port must be a whole number from 0 to 65535 (0: any free port), got "${value}". See --help.\n`);
      }
    } finally {
      taken.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a start that fails to listen keeps no generated key it never showed', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as { port: number };
    const manifest = await loadManifest(DEFAULT_MANIFEST);
    const dir = await mkdtemp(join(tmpdir(), 'serve-port-'));
    const options: ServeOptions = { port, dbPath: join(dir, 'c.db'), manifests: [manifest], log: () => {} };
    try {
      const failure = await startServer(options).then(
        async (s) => {
          await s.close();
          return 'it started';
        },
        (err: unknown) => err,
      );
      const usage = listenError(failure, { port, host: '127.0.0.1' });
      assert.ok(usage instanceof UsageError, String(failure));
      assert.match(usage.message, new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is already in use`));
      const next = await startServer({ ...options, port: 0 });
      try {
        assert.match(next.generatedApiKey ?? '', /^ck_/, 'the key is generated (and shown) by the start that serves');
      } finally {
        await next.close();
      }
    } finally {
      taken.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('listenError: other listen failures name the flag to change; anything else passes through', () => {
    const at = { port: 80, host: '10.9.9.9' };
    const error = (code: string, syscall: string) => Object.assign(new Error(code), { code, syscall });
    assert.match((listenError(error('EACCES', 'listen'), at) as Error).message, /^port 80 on 10\.9\.9\.9 needs privileges .*--port 0 for any free port\.$/);
    assert.match((listenError(error('EADDRNOTAVAIL', 'listen'), at) as Error).message, /10\.9\.9\.9 is not an address of this machine.*--host 127\.0\.0\.1/);
    assert.match((listenError(error('ENOTFOUND', 'getaddrinfo'), { port: 1, host: 'nowhere.invalid' }) as Error).message, /"nowhere\.invalid" does not resolve/);
    const other = error('EACCES', 'open');
    assert.equal(listenError(other, at), other);
  });
});
