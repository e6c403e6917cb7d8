import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { createRuntime, type Runtime } from '../src/index.js';

type Rec = Record<string, unknown> & { id: string };

describe('all 14 operations through execute, against the sandbox', () => {
  let sandbox: Sandbox;
  let runtime: Runtime;

  before(async () => {
    sandbox = await startSandbox({ seed: 7, counts: { contacts: 400, conversations: 120, companies: 40 } });
    // validateResponses: every record must match the manifest's schema, or the call throws.
    runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token }, validateResponses: true });
  });
  after(async () => {
    await runtime.close();
    await sandbox.close();
  });

  const list = async (entity: string, params: Record<string, unknown> = {}) => {
    const res = await runtime.execute({ entity, action: 'list', params });
    assert.ok(Array.isArray(res.data));
    assert.ok(res.meta && 'next_page' in res.meta);
    return { data: res.data as Rec[], next: res.meta!.next_page };
  };
  const get = async (entity: string, id: string) => (await runtime.execute({ entity, action: 'get', params: { id } })).data as Rec;

  it('contacts.list and contacts.get', async () => {
    const { data, next } = await list('contacts', { per_page: 25 });
    assert.deepEqual(data.map((c) => c.id), Array.from({ length: 25 }, (_, i) => sandbox.dataset.contactAt(i).id));
    assert.equal(typeof next, 'string');
    const raw = sandbox.dataset.contactAt(3);
    const contact = await get('contacts', raw.id);
    assert.equal(contact.id, raw.id);
    assert.equal(contact.email, raw.email);
    // The API sends an avatar object and a string owner id; the connector promises a URL and an integer.
    assert.equal(contact.avatar, raw.avatar?.image_url ?? null);
    assert.equal(contact.owner_id, raw.owner_id === null ? null : Number(raw.owner_id));
    assert.deepEqual(contact.location, raw.location);
  });

  it('conversations.list and conversations.get', async () => {
    const { data, next } = await list('conversations');
    assert.equal(data.length, 20, 'the API default page size');
    assert.deepEqual(data.map((c) => c.id), Array.from({ length: 20 }, (_, i) => sandbox.dataset.conversationAt(i).id));
    assert.equal(typeof next, 'string');
    const raw = sandbox.dataset.conversationAt(5, true);
    const conversation = await get('conversations', raw.id);
    assert.equal(conversation.id, raw.id);
    assert.equal(conversation.team_assignee_id, raw.team_assignee_id === null ? null : String(raw.team_assignee_id));
    assert.deepEqual(conversation.conversation_parts, raw.conversation_parts);
  });

  it('companies.list and companies.get', async () => {
    const { data, next } = await list('companies', { per_page: 10 });
    assert.deepEqual(data.map((c) => c.id), sandbox.dataset.companies.slice(0, 10).map((c) => c.id));
    assert.equal(typeof next, 'string', 'companies offer an opaque cursor too');
    const company = await get('companies', sandbox.dataset.companies[7]!.id);
    assert.equal(company.name, sandbox.dataset.companies[7]!.name);
  });

  const unpaginated: [string, () => readonly { id: string; name?: string | null }[]][] = [
    ['teams', () => sandbox.dataset.teams],
    ['admins', () => sandbox.dataset.admins],
    ['tags', () => sandbox.dataset.tags],
    ['segments', () => sandbox.dataset.segments],
  ];
  for (const [entity, expected] of unpaginated) {
    it(`${entity}.list and ${entity}.get`, async () => {
      const { data, next } = await list(entity);
      assert.deepEqual(data.map((r) => r.id), expected().map((r) => r.id));
      assert.equal(next, null, 'one response holds everything');
      const target = expected().at(-1)!;
      const record = await get(entity, target.id);
      assert.equal(record.id, target.id);
      assert.equal(record.name, target.name);
    });
  }

  it('segments.list passes include_count through', async () => {
    const without = await list('segments');
    assert.ok(without.data.every((s) => s.count === undefined));
    const withCount = await list('segments', { include_count: true });
    assert.deepEqual(withCount.data.map((s) => s.count), sandbox.dataset.segments.map((s) => sandbox.dataset.segmentCounts.get(s.id)));
  });
});
