import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { accessOf } from '../src/manifest/access.js';
import { loadManifest } from '../src/manifest/load.js';
import type { Manifest } from '../src/manifest/types.js';
import { ToolCaller } from '../src/mcp/server.js';
import { DEFAULT_MANIFEST } from '../src/runtime.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { spawnMcp, type SpawnedMcp } from './support/mcp.js';

const ENV_VAR = 'INTERCOM_ACCESS_TOKEN';

interface TextResult {
  isError: boolean;
  text: string;
  structured: unknown;
  raw: unknown;
}

interface ListOut {
  records: { id: string }[];
  next_page: string | null;
  total_count?: number;
  note?: string;
}

/** The tools served without --allow-writes: every operation that reads, in manifest order. */
function readTools(manifest: Manifest): string[] {
  return Object.entries(manifest.entities).flatMap(([e, spec]) => Object.entries(spec.actions).filter(([, a]) => accessOf(a) === 'read').map(([a]) => `${e}_${a}`));
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<TextResult> {
  const raw = await client.callTool({ name, arguments: args });
  const content = raw.content as { type: string; text: string }[];
  assert.equal(content.length, 1);
  assert.equal(content[0]!.type, 'text');
  return { isError: raw.isError === true, text: content[0]!.text, structured: raw.structuredContent, raw };
}

/** A successful call's JSON; checks it parses and matches structuredContent. */
async function callOk<T>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ out: T; text: string }> {
  const r = await call(client, name, args);
  assert.equal(r.isError, false, `${name} failed: ${r.text}`);
  const out = JSON.parse(r.text) as T;
  assert.deepEqual(r.structured, out);
  return { out, text: r.text };
}

async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = await call(client, name, args);
  assert.equal(r.isError, true, `${name} should fail: ${r.text}`);
  return r.text;
}

describe('mcp server over stdio', () => {
  let sandbox: Sandbox;
  let manifest: Manifest;
  let main: SpawnedMcp;

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 400 } });
    manifest = await loadManifest(DEFAULT_MANIFEST);
    main = await spawnMcp(['--base-url', sandbox.url], { [ENV_VAR]: sandbox.token }, 'mcp-test');
  });
  after(async () => {
    try {
      await main?.client.close();
    } finally {
      await sandbox?.close();
    }
  });

  test('lists one tool per operation that reads, with schemas from the manifest', async () => {
    const { tools } = await main.client.listTools();
    // Writes are served only with --allow-writes (test/agents.test.ts).
    assert.deepEqual(tools.map((t) => t.name), readTools(manifest));
    for (const tool of tools) {
      const [entity, action] = tool.name.split('_') as [string, string];
      const spec = manifest.entities[entity]!.actions[action]!;
      assert.equal(tool.inputSchema.type, 'object');
      assert.equal(tool.inputSchema.additionalProperties, false);
      assert.deepEqual(Object.keys(tool.inputSchema.properties ?? {}), [...Object.keys(spec.params), 'fields']);
      for (const [name, p] of Object.entries(spec.params)) {
        assert.equal((tool.inputSchema.properties![name] as { type: string }).type, p.type, `${tool.name}.${name}`);
      }
      assert.deepEqual(tool.inputSchema.required ?? [], Object.keys(spec.params).filter((n) => spec.params[n]!.required));
      assert.ok(tool.description?.startsWith(spec.description!), tool.name);
      assert.deepEqual(
        { ...tool.annotations, title: undefined },
        { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true, title: undefined },
      );
      assert.ok(tool.annotations?.title);
    }
    const list = tools.find((t) => t.name === 'contacts_list')!;
    assert.deepEqual(list.inputSchema.properties!.per_page, {
      type: 'integer',
      description: 'Number of contacts to return per page',
      minimum: 1,
      maximum: 150,
    });
    assert.match(list.description!, /paginated.*next_page.*starting_after/s);
    const get = tools.find((t) => t.name === 'contacts_get')!;
    assert.deepEqual(get.inputSchema.required, ['id']);
    assert.deepEqual(get.inputSchema.properties!.id, { type: 'string', description: 'Contact ID', minLength: 1 });
  });

  test('every tool answers; gets return the record asked for', async () => {
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
    for (const entity of Object.keys(ids)) {
      const { out: listed } = await callOk<ListOut>(main.client, `${entity}_list`);
      assert.ok(Array.isArray(listed.records) && listed.records.length > 0, entity);
      assert.ok('next_page' in listed, entity);
      const { out } = await callOk<{ record: { id: string } }>(main.client, `${entity}_get`, { id: ids[entity]! });
      assert.equal(String(out.record.id), ids[entity], entity);
    }

    // One real exchange, for the record.
    const params = { name: 'contacts_list', arguments: { per_page: 2 } };
    const { text } = await callOk<ListOut>(main.client, 'contacts_list', params.arguments);
    console.log(`# tools/call params: ${JSON.stringify(params)}`);
    console.log(`# response text: ${text}`);
  });

  test('paging with next_page yields every contact once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const { out }: { out: ListOut } = await callOk<ListOut>(main.client, 'contacts_list', cursor ? { per_page: 150, starting_after: cursor } : { per_page: 150 });
      assert.equal(out.total_count, 400);
      seen.push(...out.records.map((r) => r.id));
      cursor = out.next_page;
    } while (cursor !== null);
    assert.deepEqual(seen, Array.from({ length: 400 }, (_, i) => sandbox.dataset.contactAt(i).id));
  });

  test('a page over the output budget comes back smaller, and paging still sees every record once', async () => {
    const budget = await spawnMcp(['--base-url', sandbox.url, '--max-output-bytes', '20000'], { [ENV_VAR]: sandbox.token }, 'mcp-test');
    try {
      const seen: string[] = [];
      let cursor: string | null = null;
      let calls = 0;
      do {
        const r = await call(budget.client, 'contacts_list', cursor ? { per_page: 150, starting_after: cursor } : { per_page: 150 });
        assert.equal(r.isError, false, r.text);
        assert.ok(Buffer.byteLength(r.text) <= 20000, `${Buffer.byteLength(r.text)} bytes`);
        const out = JSON.parse(r.text) as ListOut;
        calls++;
        if (calls === 1) {
          assert.ok(out.records.length > 0 && out.records.length < 150, `${out.records.length} records`);
          assert.match(out.note ?? '', /output budget of 20000 bytes.*per_page=\d+/s);
        }
        seen.push(...out.records.map((c) => c.id));
        cursor = out.next_page;
      } while (cursor !== null && calls < 400);
      assert.ok(calls > 3);
      assert.equal(new Set(seen).size, seen.length, 'no record twice');
      assert.deepEqual(seen, Array.from({ length: 400 }, (_, i) => sandbox.dataset.contactAt(i).id));
    } finally {
      await budget.client.close();
    }
  });

  test('parameter errors name the parameter and list the allowed ones', async () => {
    const unknown = await callError(main.client, 'contacts_list', { per_pge: 5 });
    assert.match(unknown, /INVALID_PARAMETERS/);
    assert.match(unknown, /"per_pge"/);
    assert.match(unknown, /per_page \(integer, 1\.\.150\)/);
    assert.match(unknown, /starting_after \(string\)/);

    const wrongType = await callError(main.client, 'contacts_list', { per_page: 'ten' });
    assert.match(wrongType, /"per_page" must be an integer/);
    assert.match(wrongType, /contacts_list takes: per_page \(integer/);

    const missing = await callError(main.client, 'contacts_get', {});
    assert.match(missing, /missing required parameter "id"/);
  });

  test('an unknown tool lists the tools', async () => {
    const text = await callError(main.client, 'contacts_lst');
    assert.match(text, /UNKNOWN_TOOL/);
    assert.match(text, /Did you mean "contacts_list"\?/);
    for (const name of ['contacts_list', 'segments_get', 'companies_list']) assert.ok(text.includes(name), name);
  });

  test('404 says what was not found', async () => {
    const text = await callError(main.client, 'contacts_get', { id: 'no-such-contact' });
    assert.match(text, /NOT_FOUND/);
    assert.match(text, /no record with id "no-such-contact"/);
    assert.match(text, /contacts_list lists the records/);
  });

  test('401 says to check the token variable and never shows the token', async () => {
    const wrong = 'wrong-token-5f2a9c1e77d04b';
    const s = await spawnMcp(['--base-url', sandbox.url], { [ENV_VAR]: wrong }, 'mcp-test');
    try {
      const r = await call(s.client, 'contacts_list', { per_page: 1 });
      assert.equal(r.isError, true);
      assert.match(r.text, /UNAUTHORIZED/);
      assert.match(r.text, /Check the token in the INTERCOM_ACCESS_TOKEN environment variable/);
      assert.ok(!JSON.stringify(r.raw).includes(wrong), 'the token leaked');
      assert.ok(!s.stderr().includes(wrong), 'the token leaked to stderr');
    } finally {
      await s.client.close();
    }
  });

  test('without the credential, tools are listed and calls say which variable to set', async () => {
    const s = await spawnMcp(['--base-url', sandbox.url], {}, 'mcp-test');
    try {
      const { tools } = await s.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), readTools(manifest));
      const text = await callError(s.client, 'contacts_list');
      assert.match(text, /INVALID_CONFIGURATION/);
      assert.match(text, /Set INTERCOM_ACCESS_TOKEN in the environment of this MCP server/);
    } finally {
      await s.client.close();
    }
  });

  test('a rate limit says when to retry', async () => {
    const s = await spawnMcp(['--base-url', sandbox.url, '--max-retries', '0'], { [ENV_VAR]: sandbox.token }, 'mcp-test');
    try {
      sandbox.setFaults([{ kind: 'rate_limit', every: 1, retryAfterSeconds: 0 }]);
      const text = await callError(s.client, 'contacts_list', { per_page: 1 });
      assert.match(text, /RATE_LIMITED/);
      assert.match(text, /Retry after \d{4}-\d\d-\d\dT[\d:.]+Z \(in about \d+ s\)/);
    } finally {
      sandbox.setFaults([]);
      await s.client.close();
    }
  });

  test('in process: tiny budgets cut whole records or truncate one record, always valid JSON', async () => {
    const caller = new ToolCaller({
      manifest,
      runtimeOptions: { baseUrl: sandbox.url, credentials: { access_token: sandbox.token } },
      maxOutputBytes: 1000,
    });
    try {
      const run = async (name: string, args: Record<string, unknown>) => {
        const r = await caller.call(name, args);
        const text = (r.content[0] as { text: string }).text;
        assert.ok(!r.isError, text);
        assert.ok(Buffer.byteLength(text) <= 1000, `${name}: ${Buffer.byteLength(text)} bytes`);
        const out = JSON.parse(text) as ListOut & { record_truncated?: string };
        assert.deepEqual(r.structuredContent, out);
        return out;
      };
      // Not paginated: as many whole records as fit, and a note saying how many were left out.
      const teams = await run('teams_list', { fields: ['*'] });
      assert.ok(teams.records.length > 0 && teams.records.length < sandbox.dataset.teams.length);
      assert.match(teams.note!, new RegExp(`^${sandbox.dataset.teams.length - teams.records.length} of ${sandbox.dataset.teams.length} records were left out`));
      // One record over the budget: its JSON's beginning, and paging still goes on after it.
      const one = await run('contacts_list', { per_page: 50, fields: ['*'] });
      assert.deepEqual(one.records, []);
      assert.ok(one.record_truncated!.startsWith(`{"type":"contact","id":"${sandbox.dataset.contactAt(0).id}"`));
      const next = await run('contacts_list', { per_page: 50, starting_after: one.next_page, fields: ['*'] });
      assert.ok(next.record_truncated!.includes(sandbox.dataset.contactAt(1).id));
      const get = await run('contacts_get', { id: sandbox.dataset.contactAt(2).id, fields: ['*'] });
      assert.match(get.note!, /larger than this server's output budget of 1000 bytes/);
    } finally {
      await caller.close();
    }
  });

  test('in process: credential values are redacted from anything returned', async () => {
    // A sandbox whose token also occurs in the data: the output must not carry it.
    const secret = sandbox.dataset.contactAt(0).email;
    const other = await startSandbox({ counts: { contacts: 400 }, token: secret });
    const caller = new ToolCaller({ manifest, runtimeOptions: { baseUrl: other.url, credentials: { access_token: secret } } });
    try {
      const r = await caller.call('contacts_list', { per_page: 3 });
      assert.ok(!r.isError);
      assert.ok(!JSON.stringify(r).includes(secret));
      assert.match((r.content[0] as { text: string }).text, /\[redacted\]/);
    } finally {
      await caller.close();
      await other.close();
    }
  });
});
