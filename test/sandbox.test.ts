import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDataset, startSandbox, type Sandbox } from '../sandbox/index.js';

interface ErrorList { type: string; request_id: string; errors: { code: string; message: string }[] }
interface Pages { type: string; page: number; per_page: number; total_pages: number; next?: { page: number; starting_after: string } | null }
interface ListBody { type: string; data: { id: string; [k: string]: unknown }[]; total_count: number; pages: Pages }

describe('intercom sandbox', () => {
  let sb: Sandbox;
  const get = (path: string, token: string | null = sb.token) =>
    fetch(sb.url + path, { headers: token === null ? {} : { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  const json = async <T>(path: string, status = 200): Promise<T> => {
    const res = await get(path);
    assert.equal(res.status, status, `${path} -> ${res.status}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return (await res.json()) as T;
  };
  const assertErrorList = (body: ErrorList, code: string) => {
    assert.equal(body.type, 'error.list');
    assert.match(body.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(body.errors[0]?.code, code);
    assert.equal(typeof body.errors[0]?.message, 'string');
  };

  before(async () => {
    sb = await startSandbox({ seed: 7 });
  });
  after(() => sb.close());

  test('contacts cursor pagination at per_page 150 yields every id once', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const q = `/contacts?per_page=150${cursor ? `&starting_after=${encodeURIComponent(cursor)}` : ''}`;
      const body = await json<ListBody>(q);
      pages++;
      assert.equal(body.type, 'list');
      assert.equal(body.total_count, 1000);
      assert.equal(body.pages.page, pages);
      assert.equal(body.pages.total_pages, 7);
      for (const c of body.data) {
        assert.ok(!seen.has(c.id), `duplicate ${c.id}`);
        assert.match(c.id, /^[0-9a-f]{24}$/);
        seen.add(c.id);
      }
      cursor = body.pages.next?.starting_after;
      if (cursor === undefined) assert.ok(!('next' in body.pages), 'last page omits next');
    } while (cursor);
    assert.equal(pages, 7);
    assert.equal(seen.size, 1000);
  });

  test('single contact and conversation lookups', async () => {
    const list = await json<ListBody>('/contacts?per_page=1');
    const first = list.data[0];
    assert.ok(first);
    const c = await json<Record<string, unknown>>(`/contacts/${first.id}`);
    assert.deepEqual(c, first);
    const convs = await json<{ type: string; conversations: { id: string }[]; pages: Pages }>('/conversations');
    assert.equal(convs.type, 'conversation.list');
    assert.equal(convs.conversations.length, 20);
    const conv = await json<{ conversation_parts: { type: string; total_count: number } }>(`/conversations/${convs.conversations[0]?.id}`);
    assert.equal(conv.conversation_parts.type, 'conversation_part.list');
    assertErrorList(await json<ErrorList>('/conversations/abc', 404), 'not_found');
  });

  test('companies use page numbers and clamp per_page to 60', async () => {
    const p1 = await json<ListBody>('/companies?per_page=50');
    assert.equal(p1.data.length, 50);
    assert.deepEqual({ ...p1.pages }, { type: 'pages', next: null, page: 1, per_page: 50, total_pages: 3 });
    const p3 = await json<ListBody>('/companies?per_page=50&page=3&starting_after=ignored');
    assert.equal(p3.data.length, 20);
    assert.equal((await json<ListBody>('/companies?page=99')).data.length, 0);
    assert.equal((await json<ListBody>('/companies?per_page=500')).pages.per_page, 60);
    const byName = await json<ListBody>(`/companies?name=${encodeURIComponent(String(p1.data[3]?.name))}`);
    assert.deepEqual(byName.data.map((c) => c.id), [p1.data[3]?.id]);
  });

  test('401 without or with a wrong token', async () => {
    for (const token of [null, 'nope']) {
      const res = await get('/contacts', token);
      assert.equal(res.status, 401);
      const body = (await res.json()) as ErrorList;
      assertErrorList(body, 'unauthorized');
      assert.equal(body.errors[0]?.message, 'Access Token Invalid');
    }
  });

  test('404 bodies are error.list', async () => {
    const res = await get('/contacts/000000000000000000000000');
    assert.equal(res.status, 404);
    assert.ok(res.headers.get('x-ratelimit-limit'));
    const body = (await res.json()) as ErrorList;
    assertErrorList(body, 'not_found');
    assert.equal(body.errors[0]?.message, 'User Not Found');
    assertErrorList(await json<ErrorList>('/companies/nope', 404), 'company_not_found');
    assertErrorList(await json<ErrorList>('/teams/1', 404), 'team_not_found');
    assertErrorList(await json<ErrorList>('/nowhere', 404), 'not_found');
  });

  test('400 for per_page 151 and for a forged cursor', async () => {
    const body = await json<ErrorList>('/contacts?per_page=151', 400);
    assertErrorList(body, 'parameter_invalid');
    assert.match(body.errors[0]?.message ?? '', /per_page/);
    assertErrorList(await json<ErrorList>('/contacts?starting_after=bm9wZQ==', 400), 'parameter_invalid');
  });

  test('segments include count only on request', async () => {
    const plain = await json<{ type: string; segments: Record<string, unknown>[] }>('/segments');
    assert.equal(plain.type, 'segment.list');
    assert.ok(plain.segments.every((s) => !('count' in s)));
    const counted = await json<{ segments: { count: number }[] }>('/segments?include_count=true');
    assert.ok(counted.segments.every((s) => Number.isInteger(s.count)));
  });

  test('rate-limit headers and 429', async () => {
    const res = await get('/teams');
    assert.equal(res.headers.get('x-ratelimit-limit'), '10000');
    assert.ok(Number(res.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
    const small = await startSandbox({ rateLimit: { limit: 2, windowSeconds: 86_400 }, counts: { contacts: 5 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${small.url}/admins`, { headers: { Authorization: `Bearer ${small.token}` } });
        statuses.push(r.status);
        if (r.status === 429) assertErrorList((await r.json()) as ErrorList, 'rate_limit_exceeded');
        else await r.arrayBuffer();
      }
      assert.deepEqual(statuses, [200, 200, 429]);
    } finally {
      await small.close();
    }
  });

  test('same seed gives the same data', () => {
    const a = generateDataset({ seed: 7 });
    assert.deepEqual(a.contactAt(0), sb.dataset.contactAt(0));
    assert.deepEqual(a.conversationAt(3, true), sb.dataset.conversationAt(3, true));
    assert.notDeepEqual(generateDataset({ seed: 8 }).contactAt(0), a.contactAt(0));
  });
});
