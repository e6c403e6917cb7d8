// `import`: OpenAPI documents (plain, and the x-airbyte dialect of ../shared/airbyte-agent-specs)
// into manifests that load, generate code, and run: against the Intercom sandbox, and against a
// mock that serves each of five specs from its own schemas.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { generateAll } from '../scripts/codegen/generate.js';
import { startSandbox } from '../sandbox/index.js';
import { importSpec, parseSpec } from '../src/import/index.js';
import { createRuntime, DEFAULT_MANIFEST, parseManifest, type Runtime } from '../src/index.js';
import { startHubSpot } from './imitations/hubspot.js';
import { startStripe } from './imitations/stripe.js';
import { startZendesk } from './imitations/zendesk.js';
import { requireShared, SHARED } from './support/shared.js';
import { startSpecMock } from './support/spec-mock.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SPECS = join(SHARED, 'airbyte-agent-specs');
const BIN = join(ROOT, 'bin', 'intercom-connector.js');

const PLAIN = `
openapi: 3.0.3
info: { title: Petstore Plus, version: 2.1.0 }
servers:
  - url: https://{region}.pets.example.com/v2
    variables:
      region: { default: eu, enum: [eu, us] }
security: [{ key: [] }, { basicAuth: [] }]
components:
  securitySchemes:
    key: { type: apiKey, in: query, name: api_key }
    basicAuth: { type: http, scheme: basic }
    oauth:
      type: oauth2
      flows: { clientCredentials: { tokenUrl: "https://auth.pets.example.com/token", scopes: { read: read pets } } }
  schemas:
    Pet:
      type: object
      required: [id]
      discriminator: { propertyName: kind }
      properties:
        id: { type: integer }
        name: { type: string, nullable: true, example: Rex }
        tag: { $ref: "#/components/schemas/Tag" }
    Tag: { type: object, properties: { label: { type: string } } }
    NewPet:
      type: object
      properties:
        name: { type: string, required: true }
        tags: { type: array, items: { $ref: "#/components/schemas/Tag" } }
  parameters:
    PetId: { name: petId, in: path, required: true, schema: { type: integer } }
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      parameters:
        - { name: page, in: query, schema: { type: integer, default: 1 } }
        - { name: per_page, in: query, schema: { type: integer, maximum: 100 } }
        - { name: X-Trace-Id, in: header, schema: { type: string } }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  pets: { type: array, items: { $ref: "#/components/schemas/Pet" } }
                  has_more: { type: boolean }
    post:
      operationId: createPet
      tags: [pets]
      requestBody: { content: { application/json: { schema: { $ref: "#/components/schemas/NewPet" } } } }
      responses: { "201": { description: ok, content: { application/json: { schema: { $ref: "#/components/schemas/Pet" } } } } }
  /pets/{petId}:
    get:
      operationId: getPet
      tags: [pets]
      parameters: [{ $ref: "#/components/parameters/PetId" }]
      responses: { "200": { description: ok, content: { application/json: { schema: { $ref: "#/components/schemas/Pet" } } } } }
  /owners:
    get:
      operationId: listOwners
      tags: [owners]
      responses:
        "200":
          description: ok
          headers: { Link: { schema: { type: string } } }
          content: { application/json: { schema: { type: array, items: { type: object, properties: { id: { type: string } } } } } }
  /vets:
    get:
      operationId: listVets
      tags: [vets]
      responses: { "200": { description: ok, content: { application/json: { schema: { type: object, properties: { data: { type: array, items: { type: object } } } } } } } }
  /photos/{id}:
    get:
      operationId: getPhoto
      tags: [photos]
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses: { "200": { description: ok, content: { image/png: { schema: { type: string, format: binary } } } } }
`;

describe('import: plain OpenAPI', () => {
  it('servers, auth, entities, parameters, bodies, records and pagination, as a manifest that loads', () => {
    const { yaml, manifest, report } = importSpec(parseSpec(PLAIN, 'petstore.yaml'), 'petstore.yaml');
    const m = parseManifest(yaml, 'petstore.yaml');
    assert.equal(m.server.base_url, 'https://{region}.pets.example.com/v2');
    assert.deepEqual(m.server.variables?.region, { default: 'eu', enum: ['eu', 'us'], env: 'PETSTORE_PLUS_REGION' });
    assert.deepEqual(m.auth.methods.map((x) => [x.id, x.type]), [['key', 'api_key'], ['basic_auth', 'basic'], ['oauth', 'oauth2']]);
    assert.deepEqual(Object.keys(m.entities), ['pets', 'owners', 'vets']);
    const list = m.entities.pets!.actions.list!;
    assert.deepEqual(list.pagination, { type: 'page_number', param: 'cursor', inject: { in: 'query', name: 'page' }, page_size_param: 'per_page', has_more: 'has_more' });
    assert.deepEqual(Object.keys(list.params), ['per_page', 'x_trace_id', 'cursor'], 'the page number is the strategy\'s; the header keeps its wire name');
    assert.equal(list.params.x_trace_id!.wire_name, 'X-Trace-Id');
    assert.deepEqual(list.records, { path: 'pets' });
    assert.deepEqual(list.record, { $ref: '#/schemas/Pet' });
    assert.deepEqual(m.schemas.Pet, { type: 'object', required: ['id'], properties: { id: { type: 'integer' }, name: { type: ['string', 'null'] }, tag: { $ref: '#/schemas/Tag' } } }, 'discriminator and example dropped, nullable as a type');
    const create = m.entities.pets!.actions.create!;
    assert.deepEqual(create.params.name, { type: 'string', in: 'body', required: true }, "a property's required: true moves to its parent");
    assert.deepEqual(create.params.tags!.items, { $ref: '#/schemas/Tag' });
    assert.equal(m.entities.pets!.actions.get!.path, '/pets/{pet_id}');
    assert.deepEqual(m.entities.owners!.actions.list!.pagination, { type: 'next_url', param: 'cursor', link_rel: 'next' }, 'a declared Link header');
    assert.deepEqual(m.entities.vets!.actions.list!.pagination, { type: 'none' });
    assert.match(yaml, /# listVets:\n\s*# Pagination not recognised: left unpaginated/, 'what it could not tell is said in a comment');
    assert.deepEqual(report.skipped, [{ id: 'getPhoto', kind: 'get', reason: 'a binary answer (the format reads JSON answers only)' }]);
    assert.match(yaml, /^# Imported from Petstore Plus 2\.1\.0 \(petstore\.yaml\)[\s\S]*# 5 of 6 operations imported\.\n# Skipped, a binary answer/);
    assert.equal(manifest.connector.name, 'petstore_plus');
  });

  it('is stable: the same document gives the same text, and a change shows as a small diff', () => {
    const a = importSpec(parseSpec(PLAIN, 'petstore.yaml'), 'petstore.yaml').yaml;
    assert.equal(importSpec(parseSpec(PLAIN, 'petstore.yaml'), 'petstore.yaml').yaml, a);
    const b = importSpec(parseSpec(PLAIN.replace('maximum: 100', 'maximum: 200'), 'petstore.yaml'), 'petstore.yaml').yaml;
    const changed = a.split('\n').filter((line, i) => line !== b.split('\n')[i]);
    assert.deepEqual(changed, ['          per_page: {type: integer, maximum: 100}']);
  });

  it('the CLI writes the manifest, says what it did in one line, and refuses what is not OpenAPI 3', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'import-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, 'pets.yaml');
    const run = (args: string[], input?: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
        child.stdin!.end(input ?? '');
      });
    const r = await run(['import', '-', '-o', out], PLAIN);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `Imported 5 of 6 operations (list 3, create 1, get 1) into ${out}; skipped 1: a binary answer (the format reads JSON answers only): getPhoto.\n`);
    assert.equal(await readFile(out, 'utf8'), importSpec(parseSpec(PLAIN, 'stdin'), 'stdin').yaml);
    const swagger = await run(['import', '-'], '{"swagger": "2.0", "paths": {}}');
    assert.equal(swagger.code, 3);
    assert.match(swagger.stderr, /not OpenAPI 3\.0 or 3\.1.*Convert a Swagger 2 document first/);
  });
});

describe('import: the 51 connector specs of the reference system', () => {
  it('imports at least 95% of the 1,054 operations; every manifest loads and generates code; declared pagination pages', async (t) => {
    if (!requireShared(t, SPECS, "the reference system's connector specs")) return;
    const files = (await readdir(SPECS)).filter((f) => f.endsWith('.yaml')).sort();
    assert.equal(files.length, 51);
    const byKind = new Map<string, [number, number]>();
    const reasons = new Map<string, number>();
    let total = 0;
    let imported = 0;
    const unpaged: string[] = [];
    for (const f of files) {
      const text = await readFile(join(SPECS, f), 'utf8');
      const r = importSpec(parseSpec(text, f), f);
      assert.equal(importSpec(parseSpec(text, f), f).yaml, r.yaml, `${f}: two imports differ`);
      const manifest = parseManifest(r.yaml, f);
      const files_ = await generateAll(manifest, r.yaml, '../../src/index.js', `../../connectors/${f}`);
      assert.ok(files_.get('types.ts')!.includes('export type Operations'), `${f}: codegen`);
      total += r.report.total;
      imported += r.report.imported.length;
      for (const o of r.report.imported) {
        const k = byKind.get(o.kind) ?? [0, 0];
        byKind.set(o.kind, [k[0] + 1, k[1] + 1]);
        if (o.declaresPaging && !o.paged) unpaged.push(`${f} ${o.id}`);
      }
      for (const s of r.report.skipped) {
        const k = byKind.get(s.kind) ?? [0, 0];
        byKind.set(s.kind, [k[0], k[1] + 1]);
        reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
      }
    }
    assert.equal(total, 1054);
    t.diagnostic(`import coverage: ${imported} of ${total} operations (${((imported / total) * 100).toFixed(1)}%)`);
    t.diagnostic(`by action: ${[...byKind].map(([k, [i, n]]) => `${k} ${i}/${n}`).join(', ')}`);
    t.diagnostic(`skipped: ${[...reasons].map(([r, n]) => `${n} ${r}`).join('; ')}`);
    assert.ok(imported / total >= 0.95, `only ${imported} of ${total}`);
    assert.deepEqual(unpaged, [], 'every operation whose spec declares its pagination pages through it');
  });

  it('the imported Intercom spec reads the sandbox with the same records as connector.yaml', async (t) => {
    if (!requireShared(t, SPECS, "the reference system's connector specs")) return;
    const text = await readFile(join(SPECS, 'intercom.yaml'), 'utf8');
    const imported = parseManifest(importSpec(parseSpec(text, 'intercom.yaml'), 'intercom.yaml').yaml, 'intercom.yaml');
    const sandbox = await startSandbox({ counts: { contacts: 320, conversations: 170 } });
    const runtimes: Runtime[] = [];
    try {
      const options = { baseUrl: sandbox.url, credentials: { access_token: sandbox.token } };
      const ours = await createRuntime({ ...options, manifest: DEFAULT_MANIFEST });
      const theirs = await createRuntime({ ...options, manifest: imported });
      runtimes.push(ours, theirs);
      const ids = (xs: unknown[]) => xs.map((x) => (x as { id: string }).id);
      // Every list and get of the reference's 14 reads; the two cursor lists page to the end.
      for (const entity of ['contacts', 'conversations', 'companies', 'teams', 'admins', 'tags', 'segments']) {
        // The same page size for both: the spec's own default (50) is not connector.yaml's (none).
        const params = ours.manifest.entities[entity]!.actions.list!.params.per_page ? { per_page: 20 } : {};
        const a = await ours.execute({ entity, action: 'list', params });
        const b = await theirs.execute({ entity, action: 'list', params });
        assert.deepEqual(ids(b.data as unknown[]), ids(a.data as unknown[]), `${entity}.list`);
        const id = ids(a.data as unknown[])[0]!;
        const one = await theirs.execute({ entity, action: 'get', params: { id } });
        assert.deepEqual((one.data as { id: string }).id, id, `${entity}.get`);
      }
      for (const entity of ['contacts', 'conversations']) {
        const all: unknown[] = [];
        for await (const r of theirs.paginate({ entity, action: 'list', params: { per_page: 50 } })) all.push(r);
        const mine: unknown[] = [];
        for await (const r of ours.paginate({ entity, action: 'list', params: { per_page: 50 } })) mine.push(r);
        assert.deepEqual(ids(all), ids(mine), `${entity}: every record, in order`);
      }
    } finally {
      await Promise.all(runtimes.map((r) => r.close()));
      await sandbox.close();
    }
  });

  // Five more specs, each served by a mock made from its own schemas: every list and get runs.
  const cases: { file: string; credentials: Record<string, string>; config?: Record<string, string>; basePath: string; auth: (h: Record<string, unknown>) => boolean }[] = [
    { file: 'stripe.yaml', credentials: { api_key: 'sk_test_mock00000000' }, basePath: '', auth: (h) => h.authorization === 'Bearer sk_test_mock00000000' },
    { file: 'hubspot.yaml', credentials: { private_app_token: 'pat-na1-mock-0000' }, basePath: '', auth: (h) => h.authorization === 'Bearer pat-na1-mock-0000' },
    {
      file: 'zendesk-support.yaml',
      credentials: { email: 'agent@example.com', api_token: 'zd-mock-token-0000' },
      basePath: '',
      auth: (h) => h.authorization === `Basic ${Buffer.from('agent@example.com/token:zd-mock-token-0000').toString('base64')}`,
    },
    { file: 'greenhouse.yaml', credentials: { api_key: 'gh-mock-key-0000' }, basePath: '', auth: (h) => h.authorization === `Basic ${Buffer.from('gh-mock-key-0000:').toString('base64')}` },
    { file: 'klaviyo.yaml', credentials: { api_key: 'pk_mock_0000' }, basePath: '', auth: (h) => h.authorization === 'Klaviyo-API-Key pk_mock_0000' },
  ];
  for (const c of cases) {
    it(`${c.file}: every list and get against a mock served from the spec, with its auth, paths and paging`, async (t) => {
      if (!requireShared(t, SPECS, "the reference system's connector specs")) return;
      const doc = parseSpec(await readFile(join(SPECS, c.file), 'utf8'), c.file);
      const { yaml, report } = importSpec(doc, c.file);
      const manifest = parseManifest(yaml, c.file);
      const mock = await startSpecMock(doc, { authorized: (req) => c.auth(req.headers), records: 23 });
      const runtime = await createRuntime({ manifest, baseUrl: mock.url + c.basePath, credentials: c.credentials, retry: { limit: 0 } });
      let lists = 0;
      let gets = 0;
      try {
        for (const o of report.imported) {
          const action = manifest.entities[o.entity]!.actions[o.action]!;
          if (!((o.kind === 'list' || o.kind === 'api_search' || o.kind === 'get') && (action.method === 'GET' || action.idempotent))) continue;
          const params = requiredParams(action.params);
          const paging = typeof action.pagination === 'object' && action.pagination.type !== 'none' ? action.pagination : undefined;
          // Pages of 10, so that the 23 records take three.
          if (paging?.page_size_param) params[paging.page_size_param] = Math.max(10, action.params[paging.page_size_param]?.minimum ?? 1);
          const before = mock.requests.length;
          if (o.kind === 'get') {
            const { data } = await runtime.execute({ entity: o.entity, action: o.action, params });
            assert.ok(data && typeof data === 'object', `${o.id}: a record`);
            gets++;
          } else {
            const records: unknown[] = [];
            for await (const r of runtime.paginate({ entity: o.entity, action: o.action, params })) records.push(r);
            const served = mock.lists.get(o.id)!;
            assert.deepEqual(records, served.records, `${o.id}: every record the API has, once, in order`);
            if (paging?.page_size_param && Number(params[paging.page_size_param]) === 10) {
              assert.ok(mock.requests.length - before >= 3, `${o.id}: 23 records at 10 a page take 3 requests, took ${mock.requests.length - before}`);
            }
            lists++;
          }
          const first = mock.requests[before]!;
          assert.equal(first.method, action.method, o.id);
          const sent = new URL(first.url, 'http://x').searchParams;
          for (const [n, p] of Object.entries(action.params)) {
            if (p.in === 'query' && params[n] !== undefined && p.type !== 'object') assert.ok(sent.has(p.wire_name ?? n), `${o.id}: ${p.wire_name ?? n} goes in the query`);
          }
          const expected = action.path.replace(/\{([a-z0-9_]+)\}/g, (_m, n: string) => encodeURIComponent(String(params[n])));
          assert.equal(new URL(first.url, 'http://x').pathname, expected, `${o.id}: the path the spec names`);
        }
      } finally {
        await runtime.close();
        await mock.close();
      }
      t.diagnostic(`${c.file}: ${lists} lists and ${gets} gets run`);
      assert.ok(lists >= 4 && gets >= 4, `${lists} lists, ${gets} gets`);
    });
  }
});

describe('import: imported specs against the vendor imitations', () => {
  const load = async (file: string) => {
    const text = await readFile(join(SPECS, file), 'utf8');
    return parseManifest(importSpec(parseSpec(text, file), file).yaml, file);
  };

  it('Stripe, Zendesk Support and HubSpot: lists page to the end, gets unwrap, searches carry their cursor in the body', async (t) => {
    if (!requireShared(t, SPECS, "the reference system's connector specs")) return;
    const [stripe, zd, hs] = await Promise.all([
      startStripe({ secretKey: 'sk_test_imported0000', customers: 27 }),
      startZendesk({ tickets: 57 }),
      startHubSpot({ contacts: 31 }),
    ]);
    const runtimes: Runtime[] = [];
    try {
      const s = await createRuntime({ manifest: await load('stripe.yaml'), baseUrl: stripe.url, credentials: { api_key: 'sk_test_imported0000' } });
      const z = await createRuntime({ manifest: await load('zendesk-support.yaml'), baseUrl: `${zd.url}/api/v2`, credentials: { email: zd.email, api_token: zd.apiToken } });
      const h = await createRuntime({ manifest: await load('hubspot.yaml'), baseUrl: hs.url, credentials: { private_app_token: hs.accessToken } });
      runtimes.push(s, z, h);
      const ids = async (r: Runtime, entity: string, action: string, params: Record<string, unknown>) => {
        const out: unknown[] = [];
        for await (const x of r.paginate({ entity, action, params })) out.push((x as { id: unknown }).id);
        return out;
      };
      assert.deepEqual(await ids(s, 'customers', 'list', { limit: 10 }), stripe.data.customers.map((c) => c.id), 'Stripe: the last id while has_more');
      assert.equal(((await s.execute({ entity: 'customers', action: 'get', params: { id: stripe.data.customers[3]!.id } })).data as { id: string }).id, stripe.data.customers[3]!.id);
      assert.deepEqual(await ids(z, 'tickets', 'list', { per_page: 20 }), zd.tickets.map((x) => x.id), 'Zendesk: next_page URLs');
      assert.equal(((await z.execute({ entity: 'tickets', action: 'get', params: { ticket_id: zd.tickets[5]!.id } })).data as { id: number }).id, zd.tickets[5]!.id, 'unwrapped from { ticket }');
      const live = hs.contacts.filter((c) => !c.archived).map((c) => c.id);
      assert.deepEqual(await ids(h, 'contacts', 'list', { limit: 10 }), live, 'HubSpot: paging.next.after');
      const found = await ids(h, 'contacts', 'search', { limit: 10, filter_groups: [], properties: ['email'], sorts: [] });
      assert.deepEqual([...found].sort(), [...live].sort(), 'the search pages with the cursor in its body');
      assert.equal(JSON.parse(hs.requests.at(-1)!.body).after, '30');
    } finally {
      await Promise.all(runtimes.map((r) => r.close()));
      await Promise.all([stripe.close(), zd.close(), hs.close()]);
    }
  });
});

/** Values for the parameters an operation requires and has no default for. */
function requiredParams(params: Record<string, { type: string; required: boolean; enum?: unknown[]; default?: unknown; items?: unknown }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(params)) {
    if (!p.required || p.default !== undefined) continue;
    if (p.enum?.length) out[name] = p.enum[0];
    else if (p.type === 'integer' || p.type === 'number') out[name] = 1;
    else if (p.type === 'boolean') out[name] = true;
    else if (p.type === 'array') out[name] = ['p1'];
    else if (p.type === 'object') out[name] = {};
    else out[name] = 'p1';
  }
  return out;
}
