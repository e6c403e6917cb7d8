// Issue 15: answers sized for agents (field selection, agent_fields, output schemas, a page
// size chosen to fit the budget with one upstream request) and safety by default for hosts
// (MCP serves writes only with --allow-writes; a serve instance writes only with scope
// read_write). Every case runs over real HTTP on 127.0.0.1 and counts requests upstream.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import BetterSqlite3 from 'better-sqlite3';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { ManifestError, ParameterError } from '../src/errors.js';
import { loadManifest, parseManifest } from '../src/manifest/load.js';
import type { Manifest } from '../src/manifest/types.js';
import { createMcpServer, ToolCaller } from '../src/mcp/server.js';
import type { JsonRpcMessage } from '../src/mcp/jsonrpc.js';
import { createRuntime, DEFAULT_MANIFEST } from '../src/runtime.js';
import { startServer, type RunningServer } from '../src/serve/server.js';
import { openSqliteStore } from '../src/serve/sqlite-store.js';
import { runCli } from './support/cli.js';
import { spawnMcp } from './support/mcp.js';
import { sendJson, startServer as startUpstream, type TestServer } from './support/server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/writes.yaml', import.meta.url));
const NOTEBOOK_TOKEN = 'notebook-token-0001';
const BUDGET = 16_000;

type Rec = Record<string, any>;

const NOTES = Array.from({ length: 6 }, (_, i) => ({
  id: `n${i}`,
  title: `Note ${i}`,
  body: 'x'.repeat(40),
  author: { name: 'Ada', email: 'ada@example.com' },
  labels: [{ id: 'l1', name: 'red' }, { id: 'l2', name: 'blue' }],
  updated_at: 1_700_000_000 + i,
}));

async function readBody(req: IncomingMessage): Promise<Rec | undefined> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? (JSON.parse(text) as Rec) : undefined;
}

/** The notebook API of test/fixtures/writes.yaml: every read and write answers; `bodies` keeps what writes sent. */
async function notebook(): Promise<TestServer & { bodies: (Rec | undefined)[] }> {
  const bodies: (Rec | undefined)[] = [];
  const server = await startUpstream(async (req, res, url) => {
    const body = await readBody(req);
    bodies.push(body);
    const one = /^\/v1\/notes\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/v1/notes') return sendJson(res, 200, { data: NOTES.slice(0, Number(url.searchParams.get('limit') ?? 6)), next: null });
    if (req.method === 'POST' && url.pathname === '/v1/notes/search') return sendJson(res, 200, { data: NOTES.filter((n) => n.title.includes(String(body?.text))) });
    if (req.method === 'POST' && url.pathname === '/v1/notes') return sendJson(res, 201, { ...NOTES[0], id: 'n99', title: body?.title });
    if (one && req.method === 'GET') return sendJson(res, 200, NOTES.find((n) => n.id === one[1]) ?? {});
    if (one && (req.method === 'PUT' || req.method === 'PATCH')) return sendJson(res, 200, { ...NOTES[0], id: one[1], title: body?.title });
    if (one && req.method === 'DELETE') {
      res.writeHead(204).end();
      return;
    }
    sendJson(res, 404, { error: 'no route' });
  });
  return Object.assign(server, { bodies });
}

function textOf(result: Rec): string {
  return (result.content as { text: string }[])[0]!.text;
}

// Strict, but for strictTypes: outputSchema leaves types out on purpose (said in descriptions), so drift validates.
const ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true });

describe('safety by default: MCP tools by method', () => {
  let upstream: Awaited<ReturnType<typeof notebook>>;
  before(async () => {
    upstream = await notebook();
  });
  after(() => upstream?.close());

  it('without --allow-writes lists only reads, refuses a write by name of the flag, and sends nothing', async () => {
    const { client } = await spawnMcp(['--manifest', FIXTURE, '--base-url', `${upstream.url}/v1`], { NOTEBOOK_TOKEN }, 'agents-test');
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['notes_list', 'notes_get', 'notes_search']);
      for (const t of tools) assert.equal(t.annotations?.readOnlyHint, true, t.name);
      // The cursor parameter is the manifest's own (`after`), and the hidden writes are mentioned.
      const instructions = client.getInstructions() ?? '';
      assert.match(instructions, /with after set to next_page/);
      assert.doesNotMatch(instructions, /cursor parameter/);
      assert.match(instructions, /4 tools that write are not served.*--allow-writes/);

      const seen = upstream.requests.length;
      for (const name of ['notes_create', 'notes_replace', 'notes_edit', 'notes_delete']) {
        const refused = await client.callTool({ name, arguments: { id: 'n1', title: 'x' } });
        assert.equal(refused.isError, true, name);
        assert.match(textOf(refused), new RegExp(`^Error \\[WRITE_NOT_ALLOWED\\]: ${name} writes \\((POST|PUT|PATCH|DELETE) /notes.*--allow-writes`), name);
      }
      assert.equal(upstream.requests.length, seen, 'a refused write sends nothing');
      // A search over POST declared idempotent is a read: it is served.
      const found = await client.callTool({ name: 'notes_search', arguments: { text: 'Note 1' } });
      assert.equal(found.isError, undefined, textOf(found));
      assert.deepEqual((found.structuredContent as Rec).records, [{ id: 'n1', title: 'Note 1', author: { email: 'ada@example.com' }, labels: [{ name: 'red' }, { name: 'blue' }] }]);
    } finally {
      await client.close();
    }
  });

  it('with --allow-writes every tool is listed, annotated by its method, and a write is sent once', async () => {
    const { client } = await spawnMcp(['--manifest', FIXTURE, '--base-url', `${upstream.url}/v1`, '--allow-writes'], { NOTEBOOK_TOKEN }, 'agents-test');
    try {
      const { tools } = await client.listTools();
      const hints = Object.fromEntries(tools.map((t) => [t.name, [t.annotations?.readOnlyHint, t.annotations?.destructiveHint, t.annotations?.idempotentHint, t.annotations?.openWorldHint]]));
      //                 readOnly destructive idempotent openWorld
      assert.deepEqual(hints, {
        notes_list: [true, false, true, true],
        notes_get: [true, false, true, true],
        notes_search: [true, false, true, true],
        notes_create: [false, false, false, true],
        notes_replace: [false, true, true, true],
        notes_edit: [false, true, false, true],
        notes_delete: [false, true, true, true],
      });
      assert.match(client.getInstructions() ?? '', /Some tools write/);

      const seen = upstream.requests.length;
      const made = await client.callTool({ name: 'notes_create', arguments: { title: 'Fresh' } });
      assert.equal(made.isError, undefined, textOf(made));
      assert.deepEqual(upstream.requests.slice(seen).map((r) => `${r.method} ${r.url}`), ['POST /v1/notes']);
      assert.deepEqual(upstream.bodies.at(-1), { title: 'Fresh' });
      // The created record comes back in the entity's agent fields.
      assert.deepEqual((made.structuredContent as Rec).record, { id: 'n99', title: 'Fresh', author: { email: 'ada@example.com' }, labels: [{ name: 'red' }, { name: 'blue' }] });
      const gone = await client.callTool({ name: 'notes_delete', arguments: { id: 'n3' } });
      assert.equal(gone.isError, undefined, textOf(gone));
      assert.deepEqual((gone.structuredContent as Rec).record, null);
    } finally {
      await client.close();
    }
  });

  it('a client of a protocol version before 2025-06-18 gets no outputSchema and no structuredContent', async () => {
    const manifest = await loadManifest(FIXTURE);
    const answers = new Map<unknown, Rec>();
    const session = createMcpServer({ manifest, runtimeOptions: { baseUrl: `${upstream.url}/v1`, credentials: { token: NOTEBOOK_TOKEN } } });
    let answered: (() => void) | undefined;
    const transport = {
      onmessage: undefined as ((m: JsonRpcMessage) => void) | undefined,
      start: async () => {},
      close: async () => {},
      send: async (m: JsonRpcMessage) => {
        answers.set((m as { id?: unknown }).id, m as Rec);
        answered?.();
      },
    };
    await session.connect(transport);
    const ask = (id: number, method: string, params: Rec) =>
      new Promise<Rec>((resolve) => {
        answered = () => answers.has(id) && resolve(answers.get(id)!);
        transport.onmessage!({ jsonrpc: '2.0', id, method, params });
      });
    try {
      for (const [version, structured] of [['2025-03-26', false], ['2025-06-18', true]] as const) {
        assert.equal((await ask(1 + answers.size, 'initialize', { protocolVersion: version })).result.protocolVersion, version);
        const { tools } = (await ask(1 + answers.size, 'tools/list', {})).result as { tools: Rec[] };
        assert.equal(tools.every((t) => 'outputSchema' in t), structured, version);
        const result = (await ask(1 + answers.size, 'tools/call', { name: 'notes_list', arguments: {} })).result as Rec;
        assert.equal('structuredContent' in result, structured, version);
        assert.equal(JSON.parse(textOf(result)).records.length, 6);
      }
    } finally {
      await session.close();
    }
  });
});

describe('answers sized for agents: MCP over the Intercom sandbox', () => {
  let sandbox: Sandbox;
  let manifest: Manifest;
  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 300 } });
    manifest = await loadManifest(DEFAULT_MANIFEST);
  });
  after(() => sandbox?.close());

  const caller = (maxOutputBytes?: number) => new ToolCaller({ manifest, maxOutputBytes, runtimeOptions: { baseUrl: sandbox.url, credentials: { access_token: sandbox.token } } });

  it('a default contacts_list answer fits 16 KB with one upstream request per call, and paging sees every contact once', async () => {
    const { client } = await spawnMcp(['--base-url', sandbox.url], { INTERCOM_ACCESS_TOKEN: sandbox.token }, 'agents-test');
    try {
      const agentFields = new Set(manifest.entities.contacts!.agent_fields!.map((f) => f.split('.')[0]));
      const seen: string[] = [];
      let cursor: string | null = null;
      let calls = 0;
      do {
        const before = sandbox.requestCount;
        const result = await client.callTool({ name: 'contacts_list', arguments: cursor ? { starting_after: cursor } : {} });
        assert.equal(sandbox.requestCount - before, 1, `call ${calls + 1}: one upstream request`);
        const text = textOf(result);
        assert.ok(Buffer.byteLength(text) <= BUDGET, `call ${calls + 1}: ${Buffer.byteLength(text)} bytes`);
        const out = JSON.parse(text) as { records: Rec[]; next_page: string | null; total_count: number; note?: string };
        assert.deepEqual(result.structuredContent, out);
        assert.equal(out.note, undefined, 'a page sized before the request needs no excuse');
        assert.ok(out.records.length >= 5, `call ${calls + 1}: ${out.records.length} records`);
        for (const r of out.records) for (const k of Object.keys(r)) assert.ok(agentFields.has(k), `${k} is not an agent field`);
        seen.push(...out.records.map((r) => r.id as string));
        cursor = out.next_page;
        calls++;
      } while (cursor !== null && calls < 100);
      assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => sandbox.dataset.contactAt(i).id));
      // Measured after the first page, later pages fill the budget better than the first guess.
      assert.ok(calls < 20, `${calls} calls for 300 contacts`);
    } finally {
      await client.close();
    }
  });

  it('every tool declares an outputSchema that its structuredContent validates against, whatever fields are asked', async () => {
    const mcpCaller = caller();
    try {
      const ds = sandbox.dataset;
      const ids: Record<string, string> = {
        contacts: ds.contactAt(0).id,
        conversations: ds.conversationAt(0).id,
        companies: ds.companies[0]!.id,
        teams: ds.teams[0]!.id,
        admins: ds.admins[0]!.id,
        tags: ds.tags[0]!.id,
        segments: ds.segments[0]!.id,
      };
      let checked = 0;
      for (const tool of mcpCaller.tools) {
        const { name, outputSchema } = tool.definition;
        assert.equal(outputSchema.type, 'object', name);
        const validate = ajv.compile(outputSchema);
        const entity = tool.entity;
        const calls: Rec[] = [];
        if (tool.list && tool.action === 'list') calls.push({}, { fields: ['*'] }, { fields: ['id', 'type'] });
        else if (tool.action === 'get' && ids[entity]) calls.push({ id: ids[entity] }, { id: ids[entity], fields: ['*'] });
        for (const args of calls) {
          const result = await mcpCaller.call(name, args);
          assert.ok(!result.isError, `${name} ${JSON.stringify(args)}: ${textOf(result)}`);
          assert.ok(validate(result.structuredContent), `${name} ${JSON.stringify(args)}: ${ajv.errorsText(validate.errors)}`);
          checked++;
        }
      }
      assert.ok(checked >= 30, `${checked} answers checked`);
      // The schema says what the default answer holds: the agent fields, nesting kept.
      const contacts = mcpCaller.tools.find((t) => t.definition.name === 'contacts_list')!.definition.outputSchema as Rec;
      assert.deepEqual(Object.keys(contacts.properties.records.items.properties), [...new Set(manifest.entities.contacts!.agent_fields!.map((f) => f.split('.')[0]))]);
      assert.deepEqual(contacts.required, ['records', 'next_page']);
      assert.match(contacts.properties.next_page.description, /starting_after/);
    } finally {
      await mcpCaller.close();
    }
  });

  it('fields keep nesting; ["*"] gives whole records, sized to fit; a comma-separated string is taken too', async () => {
    const mcpCaller = caller();
    try {
      const picked = await mcpCaller.call('contacts_list', { per_page: 2, fields: ['id', 'custom_attributes.plan_tier', 'companies.data.id'] });
      const first = sandbox.dataset.contactAt(0) as unknown as Rec;
      assert.deepEqual((picked.structuredContent as Rec).records[0], {
        id: first.id,
        custom_attributes: { plan_tier: first.custom_attributes.plan_tier },
        companies: { data: first.companies.data.map((c: Rec) => ({ id: c.id })) },
      });
      const before = sandbox.requestCount;
      const whole = await mcpCaller.call('contacts_list', { fields: ['*'] });
      assert.equal(sandbox.requestCount - before, 1);
      assert.ok(Buffer.byteLength(textOf(whole)) <= BUDGET);
      const records = (whole.structuredContent as Rec).records as Rec[];
      assert.ok(records.length >= 2 && Object.keys(records[0]!).length > 40, `${records.length} whole records`);
      const commas = await mcpCaller.call('contacts_get', { id: first.id, fields: 'id, email' });
      assert.deepEqual((commas.structuredContent as Rec).record, { id: first.id, email: first.email });
    } finally {
      await mcpCaller.close();
    }
  });

  it('a per_page over what fits is lowered before the request, and the answer says so', async () => {
    const mcpCaller = caller();
    try {
      await mcpCaller.call('contacts_list', {});
      const before = sandbox.requestCount;
      const result = await mcpCaller.call('contacts_list', { per_page: 150 });
      assert.equal(sandbox.requestCount - before, 1);
      const text = textOf(result);
      assert.ok(Buffer.byteLength(text) <= BUDGET, `${Buffer.byteLength(text)} bytes`);
      const out = JSON.parse(text) as { records: Rec[]; next_page: string; note: string };
      assert.ok(out.records.length < 150);
      assert.match(out.note, new RegExp(`holds ${out.records.length} records, not the 150 asked for.*output budget of ${BUDGET} bytes.*per_page=${out.records.length}.*nothing is skipped`));
      const next = JSON.parse(textOf(await mcpCaller.call('contacts_list', { starting_after: out.next_page }))) as { records: Rec[] };
      assert.equal(next.records[0]!.id, sandbox.dataset.contactAt(out.records.length).id, 'next_page goes on right after the last record');
    } finally {
      await mcpCaller.close();
    }
  });

  it('an unknown field is a typed error, with the nearest name, before any request', async () => {
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    const mcpCaller = caller();
    try {
      const before = sandbox.requestCount;
      await assert.rejects(runtime.execute({ entity: 'contacts', action: 'list', params: {} }, { fields: ['id', 'emial'] }), (err: unknown) => {
        assert.ok(err instanceof ParameterError);
        assert.equal(err.code, 'INVALID_PARAMETERS');
        assert.equal(err.param, 'fields');
        assert.equal(err.attempts, 0);
        assert.match(err.message, /"emial", which is not a field of these records\. Did you mean "email"\?/);
        return true;
      });
      await assert.rejects(async () => {
        for await (const _ of runtime.paginate({ entity: 'companies', action: 'list', fields: ['nmae'] })) break;
      }, /Did you mean "name"\?/);
      await assert.rejects(runtime.execute({ entity: 'contacts', action: 'get', params: { id: 'x' }, fields: [] }), /fields is empty/);
      const refused = await mcpCaller.call('contacts_list', { fields: ['emial'] });
      assert.equal(refused.isError, true);
      assert.match(textOf(refused), /^Error \[INVALID_PARAMETERS\]: .*Did you mean "email"\?/);
      assert.equal(sandbox.requestCount, before, 'nothing was sent');
      // Paths below a free-form field are the API's business: they project what is there.
      const { data } = await runtime.execute({ entity: 'contacts', action: 'get', params: { id: sandbox.dataset.contactAt(1).id }, fields: ['custom_attributes.no_such_attribute', 'id'] });
      assert.deepEqual(data, { custom_attributes: {}, id: sandbox.dataset.contactAt(1).id });
    } finally {
      await runtime.close();
      await mcpCaller.close();
    }
  });

  it('the command line takes --fields, and refuses an unknown one before any request (exit 6)', async () => {
    const env = { INTERCOM_ACCESS_TOKEN: sandbox.token };
    const run = await runCli(['execute', 'contacts', 'list', '-p', 'per_page=2', '--fields', 'id,email,custom_attributes.plan_tier', '--base-url', sandbox.url], { env });
    assert.equal(run.code, 0, run.stderr);
    const first = sandbox.dataset.contactAt(0) as unknown as Rec;
    assert.deepEqual(JSON.parse(run.stdout).data[0], { id: first.id, email: first.email, custom_attributes: { plan_tier: first.custom_attributes.plan_tier } });
    const streamed = await runCli(['execute', 'companies', 'list', '--all', '--limit', '3', '--fields', 'id,name', '--base-url', sandbox.url], { env });
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.deepEqual(streamed.stdout.trim().split('\n').map((l) => Object.keys(JSON.parse(l))), [['id', 'name'], ['id', 'name'], ['id', 'name']]);
    const before = sandbox.requestCount;
    const wrong = await runCli(['execute', 'contacts', 'list', '--fields', 'id,emial', '--base-url', sandbox.url], { env });
    assert.equal(wrong.code, 6);
    assert.match(wrong.stderr, /error\[INVALID_PARAMETERS\]: contacts\.list: fields names "emial".*Did you mean "email"\?/);
    assert.equal(sandbox.requestCount, before);
  });
});

describe('agent_fields in the manifest', () => {
  it('every path must name a field of the entity\'s records, as far as the schema declares them', async () => {
    const text = await readFile(FIXTURE, 'utf8');
    const broken = text.replace('agent_fields: [id, title, author.email, labels.name]', 'agent_fields: [id, titel, author.emial, body.length, labels.name.first, author.email]');
    assert.throws(
      () => parseManifest(broken, 'broken.yaml'),
      (err: unknown) => {
        assert.ok(err instanceof ManifestError);
        const messages = err.issues.map((i) => `${i.path}: ${i.message}`);
        assert.deepEqual(messages, [
          'entities.notes.agent_fields[1]: "titel" is not a field of the records of notes.list; did you mean "title"? (declared: id, title, body, author, labels, updated_at)',
          'entities.notes.agent_fields[2]: "emial" is not a field of "author" of the records of notes.list; did you mean "email"? (declared: name, email)',
          'entities.notes.agent_fields[3]: "body" of the records of notes.list is a string: it has no field "length"',
          'entities.notes.agent_fields[4]: "labels.name" of the records of notes.list is a string: it has no field "first"',
        ]);
        return true;
      },
    );
    assert.throws(() => parseManifest(text.replace('[id, title, author.email, labels.name]', '[]'), 'empty.yaml'), /agent_fields/);
    // Below a free-form value, any name may exist: Intercom's `location.country`.
    const intercom = await loadManifest(DEFAULT_MANIFEST);
    assert.ok(intercom.entities.contacts!.agent_fields!.includes('location.country'));
  });
});

describe('safety by default: serve instances have a scope', () => {
  let upstream: Awaited<ReturnType<typeof notebook>>;
  let server: RunningServer;
  const KEY = 'agents-api-key-0001';
  const DEF = '4b0d6f0e-8a51-4c1e-9d3a-2f7c5e6a9b10';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as Rec };
  };
  const create = (extra: Rec = {}) => call('POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { token: NOTEBOOK_TOKEN }, name: 'n', ...extra });
  const execute = (id: string, body: Rec) => call('POST', `/api/v1/connectors/instances/${id}/execute`, body);

  let dir: string | undefined;

  before(async () => {
    upstream = await notebook();
    dir = await mkdtemp(join(tmpdir(), 'agents-serve-'));
    server = await startServer({
      port: 0,
      dbPath: join(dir, 'c.db'),
      manifests: [await loadManifest(FIXTURE)],
      apiKeys: KEY,
      runtime: { baseUrl: `${upstream.url}/v1` },
      log: () => {},
    });
  });
  after(async () => {
    try {
      await server?.close();
      await upstream?.close();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('an instance reads by default: a write is 403 WRITE_NOT_ALLOWED and sends nothing, until PATCHed to read_write', async () => {
    const made = await create();
    assert.equal(made.status, 201);
    assert.equal(made.json.scope, 'read');
    const id = made.json.id as string;

    const seen = upstream.requests.length;
    for (const [action, params] of [['create', { title: 'x' }], ['replace', { id: 'n1', title: 'x' }], ['edit', { id: 'n1' }], ['delete', { id: 'n1' }]] as const) {
      const refused = await execute(id, { entity: 'notes', action, params });
      assert.equal(refused.status, 403, action);
      assert.equal(refused.json.error.code, 'WRITE_NOT_ALLOWED');
      assert.match(refused.json.error.message, /has scope "read".*PATCH \/api\/v1\/connectors\/instances\/.*\{"scope": "read_write"\}/);
    }
    assert.equal(upstream.requests.length, seen, 'nothing was sent');
    // Reads run: a GET, and a search over POST declared idempotent.
    assert.equal((await execute(id, { entity: 'notes', action: 'list' })).status, 200);
    assert.equal((await execute(id, { entity: 'notes', action: 'search', params: { text: 'Note' } })).status, 200);

    const patched = await call('PATCH', `/api/v1/connectors/instances/${id}`, { scope: 'read_write' });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    assert.equal(patched.json.scope, 'read_write');
    assert.equal((await call('GET', `/api/v1/connectors/instances/${id}`)).json.scope, 'read_write');
    const written = await execute(id, { entity: 'notes', action: 'create', params: { title: 'Now' } });
    assert.equal(written.status, 200, JSON.stringify(written.json));
    assert.equal(written.json.data.title, 'Now');
    assert.equal(upstream.requests.at(-1)!.method, 'POST');

    assert.equal((await call('PATCH', `/api/v1/connectors/instances/${id}`, { scope: 'read' })).json.scope, 'read');
    assert.equal((await execute(id, { entity: 'notes', action: 'create', params: { title: 'x' } })).status, 403);
  });

  it('scope read_write at creation; anything else is a 400; definitions say which operations write', async () => {
    const rw = await create({ scope: 'read_write' });
    assert.equal(rw.status, 201);
    assert.equal(rw.json.scope, 'read_write');
    assert.equal((await execute(rw.json.id, { entity: 'notes', action: 'delete', params: { id: 'n2' } })).status, 200);
    const bad = await create({ scope: 'admin' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /"scope" must be one of "read", "read_write"/);
    const defs = await call('GET', '/api/v1/connectors/definitions');
    assert.deepEqual(
      Object.fromEntries((defs.json.data[0].operations as Rec[]).map((o) => [o.action, o.access])),
      { list: 'read', get: 'read', search: 'read', create: 'write', replace: 'write', edit: 'write', delete: 'write' },
    );
    const openapi = await call('GET', '/openapi.json');
    assert.deepEqual(openapi.json.components.schemas.Instance.properties.scope.enum, ['read', 'read_write']);
    assert.ok(openapi.json.paths['/api/v1/connectors/instances/{id}/execute'].post.responses['403']);
  });

  it('fields in the execute body select what each record holds; an unknown one is a 400 before any request', async () => {
    const { json } = await create();
    const picked = await execute(json.id, { entity: 'notes', action: 'list', fields: ['id', 'author.email', 'labels.name'] });
    assert.equal(picked.status, 200, JSON.stringify(picked.json));
    assert.deepEqual(picked.json.data[0], { id: 'n0', author: { email: 'ada@example.com' }, labels: [{ name: 'red' }, { name: 'blue' }] });
    const whole = await execute(json.id, { entity: 'notes', action: 'get', params: { id: 'n1' }, fields: ['*'] });
    assert.deepEqual(whole.json.data, NOTES[1]);
    const seen = upstream.requests.length;
    const wrong = await execute(json.id, { entity: 'notes', action: 'list', fields: ['titel'] });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.error.code, 'INVALID_PARAMETERS');
    assert.equal(wrong.json.error.param, 'fields');
    assert.match(wrong.json.error.message, /Did you mean "title"\?/);
    assert.equal((await execute(json.id, { entity: 'notes', action: 'list', fields: 'id' })).status, 400);
    assert.equal(upstream.requests.length, seen);
  });

  it('a database made before scopes opens with every instance at scope read', async (t) => {
    const where = await mkdtemp(join(tmpdir(), 'agents-migrate-'));
    t.after(() => rm(where, { recursive: true, force: true }));
    const path = join(where, 'old.db');
    const db = new BetterSqlite3(path);
    db.exec(`CREATE TABLE instances (id TEXT PRIMARY KEY, name TEXT NOT NULL, connector_definition_id TEXT NOT NULL, created_at TEXT NOT NULL, sealed_auth BLOB NOT NULL);
      CREATE TABLE settings (key TEXT PRIMARY KEY, value BLOB NOT NULL);
      CREATE INDEX instances_by_created ON instances (created_at, id);
      ALTER TABLE instances ADD COLUMN config TEXT;`);
    db.pragma('user_version = 3');
    db.prepare('INSERT INTO instances (id, name, connector_definition_id, created_at, sealed_auth) VALUES (?, ?, ?, ?, ?)').run('i1', 'old', DEF, '2024-01-01T00:00:00.000Z', Buffer.from('sealed'));
    db.close();
    const store = openSqliteStore(path);
    try {
      assert.equal((await store.get('i1'))!.scope, 'read');
      assert.equal(await store.update('i1', { scope: 'read_write' }), true);
      assert.equal((await store.list())[0]!.scope, 'read_write');
    } finally {
      await store.close();
    }
  });
});
