// POST /contacts/search and POST /conversations/search on the sandbox, over real HTTP with
// fetch (not the engine: its manifest is written elsewhere). Every expectation is computed
// here from the generated dataset with plain array filters, so the test is an independent
// oracle for the sandbox's query evaluation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, WORKSPACE_TIMEZONE, type Contact, type Conversation, type Sandbox } from '../sandbox/index.js';
import { assertError, sandboxCall, type ErrorList } from './support/sandbox-http.js';

interface Pages { type: 'pages'; page: number; per_page: number; total_pages: number; next?: { page: number; per_page: number; starting_after: string } }
interface ContactPage { type: string; data: Contact[]; total_count: number; pages: Pages }
interface ConversationPage { type: string; conversations: Conversation[]; total_count: number; pages: Pages }

const DAY = 86_400;
const dayOf = (t: number) => Math.floor(t / DAY);

describe('sandbox search', () => {
  let sb: Sandbox;
  let contacts: Contact[];
  let conversations: Conversation[];

  /** A POST with the sandbox's token, another one, or (null) none. */
  const post = (path: string, body: unknown, token: string | null = sb.token) => sandboxCall(sb)('POST', path, body, { Authorization: token === null ? undefined : `Bearer ${token}` });
  const contactSearch = async (query: unknown, extra: Record<string, unknown> = {}) => {
    const r = await post('/contacts/search', { query, ...extra });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as ContactPage;
  };
  /** Every page of a contacts search: the ids in order, each page checked on the way. */
  const allContactIds = async (query: unknown, perPage: number, sort?: unknown): Promise<string[]> => {
    const ids: string[] = [];
    let after: string | undefined;
    for (let page = 1; ; page++) {
      const body = await contactSearch(query, { pagination: { per_page: perPage, starting_after: after }, ...(sort ? { sort } : {}) });
      assert.equal(body.pages.page, page);
      assert.equal(body.pages.total_pages, Math.ceil(body.total_count / perPage));
      ids.push(...body.data.map((c) => c.id));
      if (!body.pages.next) return ids;
      assert.equal(body.data.length, perPage, 'only the last page is short');
      assert.equal(body.pages.next.per_page, perPage);
      after = body.pages.next.starting_after;
    }
  };
  const expectContacts = async (query: unknown, pred: (c: Contact) => boolean, label = JSON.stringify(query)) => {
    const want = contacts.filter(pred).map((c) => c.id);
    assert.ok(want.length > 0 && want.length < contacts.length, `the oracle for ${label} should split the data (${want.length})`);
    assert.deepEqual(await allContactIds(query, 150), want, label);
  };
  const expectError = async (path: string, body: unknown, status: number, code: string, message?: RegExp) => assertError(await post(path, body), status, code, message);
  const filter = (field: string, operator: string, value: unknown) => ({ field, operator, value });

  before(async () => {
    sb = await startSandbox({ seed: 11, counts: { contacts: 2000, conversations: 300 } });
    contacts = Array.from({ length: 2000 }, (_, i) => sb.dataset.contactAt(i));
    conversations = Array.from({ length: 300 }, (_, i) => sb.dataset.conversationAt(i));
  });
  after(() => sb.close());

  test('envelope: a list with total_count and pages; an empty result has 0 pages; the workspace is UTC', async () => {
    assert.equal(WORKSPACE_TIMEZONE, 'UTC');
    const body = await contactSearch(filter('role', '=', 'lead'), { pagination: { per_page: 5 } });
    assert.equal(body.type, 'list');
    assert.equal(body.data.length, 5);
    assert.equal(body.total_count, contacts.filter((c) => c.role === 'lead').length);
    assert.deepEqual({ ...body.pages, next: undefined }, { type: 'pages', page: 1, per_page: 5, total_pages: Math.ceil(body.total_count / 5), next: undefined });
    assert.equal(typeof body.pages.next?.starting_after, 'string');
    const none = await contactSearch(filter('email', '=', 'nobody@nowhere.invalid'));
    assert.deepEqual(none, { type: 'list', data: [], total_count: 0, pages: { type: 'pages', page: 1, per_page: 50, total_pages: 0 } });
  });

  test('string operators: =, !=, IN, NIN, ~, !~, ^, $ (case-insensitive)', async () => {
    const sample = contacts[1234]!;
    await expectContacts(filter('email', '=', sample.email.toUpperCase()), (c) => c.email === sample.email);
    await expectContacts(filter('role', '!=', 'user'), (c) => c.role !== 'user');
    await expectContacts(filter('location.country', 'IN', ['Ireland', 'japan']), (c) => ['Ireland', 'Japan'].includes(c.location.country ?? ''));
    await expectContacts(filter('location.country', 'NIN', ['Ireland', 'Japan']), (c) => !['Ireland', 'Japan'].includes(c.location.country ?? ''));
    await expectContacts(filter('email', '~', 'GMAIL'), (c) => c.email.includes('gmail'));
    await expectContacts(filter('email', '!~', 'gmail'), (c) => !c.email.includes('gmail'));
    await expectContacts(filter('name', '^', 'mei '), (c) => (c.name ?? '').toLowerCase().startsWith('mei '));
    await expectContacts(filter('email', '$', '.io'), (c) => c.email.endsWith('.io'));
    // A missing value: = null finds it, != null the others.
    await expectContacts(filter('phone', '=', null), (c) => c.phone === null);
    await expectContacts(filter('phone', '!=', null), (c) => c.phone !== null);
  });

  test('dotted fields: custom attributes keep their types; booleans; tag_id and segment_id', async () => {
    await expectContacts(filter('custom_attributes.plan_tier', '=', 'enterprise'), (c) => c.custom_attributes.plan_tier === 'enterprise');
    await expectContacts(filter('custom_attributes.beta_tester', '=', true), (c) => c.custom_attributes.beta_tester === true);
    await expectContacts(filter('unsubscribed_from_emails', 'IN', [true]), (c) => c.unsubscribed_from_emails);
    const tag = contacts.find((c) => c.tags.data.length > 0)!.tags.data[0]!.id;
    await expectContacts(filter('tag_id', '=', tag), (c) => c.tags.data.some((t) => t.id === tag));
    await expectContacts(filter('tag_id', '!=', tag), (c) => !c.tags.data.some((t) => t.id === tag));
    const segment = sb.dataset.segments[0]!;
    const members = await allContactIds(filter('segment_id', '=', segment.id), 150);
    assert.equal(members.length, sb.dataset.segmentCounts.get(segment.id), 'a segment search finds exactly the segment count');
  });

  test('integer operators: >, <, >=, <= are strict and inclusive as named', async () => {
    const seats = (c: Contact) => c.custom_attributes.seats as number;
    await expectContacts(filter('custom_attributes.seats', '>', 200), (c) => seats(c) > 200);
    await expectContacts(filter('custom_attributes.seats', '>=', '200'), (c) => seats(c) >= 200);
    await expectContacts(filter('custom_attributes.seats', '<', 10), (c) => seats(c) < 10);
    await expectContacts(filter('custom_attributes.seats', '<=', 10), (c) => seats(c) <= 10);
    await expectContacts(filter('custom_attributes.seats', 'NIN', [1, 2, 3]), (c) => ![1, 2, 3].includes(seats(c)));
    assert.ok(contacts.some((c) => seats(c) === 200) && contacts.some((c) => seats(c) === 10), 'the bounds themselves occur');
  });

  test('dates match by calendar day (UTC): = the whole day, > from the next midnight, < before this one', async () => {
    // Two contacts created on the same day, hours apart, mid-range: the day, not the instant, decides.
    const [a, b] = (() => {
      for (let i = contacts.length / 2; i < contacts.length; i++) {
        const x = contacts[i - 1]!;
        const y = contacts[i]!;
        if (dayOf(x.created_at) === dayOf(y.created_at) && y.created_at > x.created_at) return [x, y];
      }
      throw new Error('no two contacts created on one day');
    })();
    const midnight = dayOf(a.created_at) * DAY;
    await expectContacts(filter('created_at', '=', b.created_at), (c) => dayOf(c.created_at) === dayOf(b.created_at));
    const sameDay = await allContactIds(filter('created_at', '=', midnight + DAY - 1), 150);
    assert.ok(sameDay.includes(a.id) && sameDay.includes(b.id), '= matches any instant of the day');
    await expectContacts(filter('created_at', '>', a.created_at), (c) => c.created_at >= midnight + DAY);
    const later = await allContactIds(filter('created_at', '>', a.created_at), 150);
    assert.ok(!later.includes(b.id), '> skips the rest of the same day');
    await expectContacts(filter('created_at', '<', b.created_at), (c) => c.created_at < midnight);
    const earlier = await allContactIds(filter('created_at', '<', b.created_at), 150);
    assert.ok(!earlier.includes(a.id), '< stops at the start of the day');
    // The spec's own example sends the timestamp as a string.
    await expectContacts(filter('created_at', '>', String(a.created_at)), (c) => c.created_at >= midnight + DAY);
    // Null dates never match a comparison.
    await expectContacts(filter('last_seen_at', '<', 1_800_000_000), (c) => c.last_seen_at !== null);
  });

  test('dates refuse !=, >=, <=, IN and NIN, and values that are not timestamps', async () => {
    for (const op of ['!=', '>=', '<=']) {
      await expectError('/contacts/search', { query: filter('created_at', op, 1_600_000_000) }, 400, 'parameter_invalid', /created_at/);
    }
    for (const op of ['IN', 'NIN']) {
      await expectError('/contacts/search', { query: filter('updated_at', op, [1_600_000_000]) }, 400, 'parameter_invalid');
    }
    await expectError('/contacts/search', { query: filter('created_at', '>', 'foorbar') }, 400, 'parameter_invalid', /created_at/);
  });

  test('nested AND/OR groups, two levels deep', async () => {
    const query = {
      operator: 'AND',
      value: [
        { operator: 'OR', value: [filter('role', '=', 'lead'), filter('custom_attributes.plan_tier', '=', 'enterprise')] },
        { operator: 'OR', value: [filter('location.country', '=', 'Ireland'), filter('custom_attributes.beta_tester', '=', true)] },
        filter('email', '!~', 'yahoo'),
      ],
    };
    await expectContacts(
      query,
      (c) =>
        (c.role === 'lead' || c.custom_attributes.plan_tier === 'enterprise') &&
        (c.location.country === 'Ireland' || c.custom_attributes.beta_tester === true) &&
        !c.email.includes('yahoo'),
      'nested',
    );
    await expectContacts({ operator: 'OR', value: [filter('role', '=', 'lead'), filter('email', '$', '.dev')] }, (c) => c.role === 'lead' || c.email.endsWith('.dev'));
  });

  test('a third level of groups and a 16th filter in a group are refused; 15 are fine', async () => {
    const deep = { operator: 'AND', value: [{ operator: 'OR', value: [{ operator: 'AND', value: [filter('role', '=', 'lead')] }] }] };
    await expectError('/contacts/search', { query: deep }, 400, 'parameter_invalid', /nested at most 2 levels/);
    await expectError('/conversations/search', { query: deep }, 400, 'parameter_invalid', /nested at most 2 levels/);
    const many = (n: number) => ({ operator: 'OR', value: Array.from({ length: n }, (_, i) => filter('custom_attributes.seats', '=', i + 1)) });
    await expectError('/contacts/search', { query: many(16) }, 400, 'parameter_invalid', /at most 15 filters/);
    await expectError('/contacts/search', { query: { operator: 'AND', value: [many(16)] } }, 400, 'parameter_invalid', /at most 15 filters/);
    await expectContacts(many(15), (c) => (c.custom_attributes.seats as number) <= 15);
  });

  test('bad queries get Intercom error bodies', async () => {
    await expectError('/contacts/search', {}, 400, 'parameter_invalid', /query/);
    await expectError('/contacts/search', { query: filter('no_such_field', '=', 'x') }, 400, 'parameter_invalid', /no_such_field/);
    await expectError('/contacts/search', { query: filter('email', '>>', 'x') }, 400, 'parameter_invalid', />>/);
    await expectError('/contacts/search', { query: filter('email', '>', 'x') }, 400, 'parameter_invalid', /not supported on email/);
    await expectError('/contacts/search', { query: filter('tag_id', 'IN', ['1']) }, 400, 'parameter_invalid', /tag_id/);
    await expectError('/contacts/search', { query: filter('custom_attributes.seats', '~', '1') }, 400, 'parameter_invalid');
    await expectError('/contacts/search', { query: filter('unsubscribed_from_emails', '=', 'maybe') }, 400, 'parameter_invalid', /boolean/);
    await expectError('/contacts/search', { query: filter('role', 'IN', 'lead') }, 400, 'parameter_invalid', /array/);
    await expectError('/contacts/search', { query: { operator: 'XOR', value: [] } }, 400, 'parameter_invalid', /AND or OR/);
    await expectError('/contacts/search', { query: filter('role', '=', 'lead'), pagination: { per_page: 151 } }, 400, 'parameter_invalid', /per_page/);
    await expectError('/contacts/search', { query: filter('role', '=', 'lead'), pagination: { starting_after: 'bm9wZQ==' } }, 400, 'parameter_invalid', /cursor/);
    // The spec's own example of this error, word for word.
    await expectError('/contacts/search', { query: filter('role', '=', 'lead'), sort: { field: 'created_at', order: 'desc' } }, 400, 'invalid_sort_order', /^Invalid sort order 'desc'\. Must be one of: ascending, descending$/);
    const unauthorized = await post('/contacts/search', { query: filter('role', '=', 'lead') }, null);
    assert.equal(unauthorized.status, 401);
    assert.equal((unauthorized.json as ErrorList).errors[0]?.code, 'unauthorized');
    assertError(unauthorized, 401, 'unauthorized');
  });

  test('cursor pagination returns every match exactly once, in order, sorted or not', async () => {
    const query = filter('custom_attributes.plan_tier', 'IN', ['pro', 'starter']);
    const want = contacts.filter((c) => ['pro', 'starter'].includes(c.custom_attributes.plan_tier as string));
    const ids = await allContactIds(query, 37);
    assert.equal(ids.length, want.length);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(ids, want.map((c) => c.id));
    // Sorted by a field with ties (signed_up_at is null for every lead): ties and nulls still page exactly once.
    const byField = await allContactIds(query, 29, { field: 'signed_up_at', order: 'descending' });
    assert.deepEqual([...byField].sort(), want.map((c) => c.id).sort());
    const keys = byField.map((id) => contacts.find((c) => c.id === id)!.signed_up_at);
    const nonNull = keys.filter((k): k is number => k !== null);
    assert.deepEqual(nonNull, [...nonNull].sort((x, y) => y - x), 'descending by the full timestamp');
    const ascending = await allContactIds(query, 150, { field: 'created_at' , order: 'ascending' });
    assert.deepEqual(ascending, want.map((c) => c.id));
  });

  test('a page boundary survives a write between pages: nothing served twice or lost', async () => {
    const query = filter('email', '$', '@stable.example');
    const made: string[] = [];
    const create = async (n: number) => {
      const res = await fetch(`${sb.url}/contacts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${sb.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: `user${n}@stable.example` }),
      });
      assert.equal(res.status, 200);
      made.push(((await res.json()) as Contact).id);
    };
    for (let n = 0; n < 5; n++) await create(n);
    const first = await contactSearch(query, { pagination: { per_page: 2 } });
    assert.equal(first.total_count, 5);
    await create(5); // appended after the cursor: served later, once
    const seen = first.data.map((c) => c.id);
    let after = first.pages.next?.starting_after;
    while (after) {
      const page = await contactSearch(query, { pagination: { per_page: 2, starting_after: after } });
      seen.push(...page.data.map((c) => c.id));
      after = page.pages.next?.starting_after;
    }
    assert.deepEqual(seen, made);
  });

  test('conversations: envelope, dotted fields, multi-valued ids, typed integers', async () => {
    const expectConversations = async (query: unknown, pred: (c: Conversation) => boolean) => {
      const want = conversations.filter(pred).map((c) => c.id);
      assert.ok(want.length > 0 && want.length < conversations.length, `the oracle for ${JSON.stringify(query)} should split the data`);
      const r = await post('/conversations/search', { query, pagination: { per_page: 150 } });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const first = r.json as ConversationPage;
      assert.equal(first.type, 'conversation.list');
      assert.equal(first.total_count, want.length);
      const ids = first.conversations.map((c) => c.id);
      let after = first.pages.next?.starting_after;
      while (after) {
        const next = (await post('/conversations/search', { query, pagination: { per_page: 150, starting_after: after } })).json as ConversationPage;
        ids.push(...next.conversations.map((c) => c.id));
        after = next.pages.next?.starting_after;
      }
      assert.deepEqual(ids, want);
      assert.ok(first.conversations.every((c) => c.conversation_parts === undefined), 'search results, like the list, carry no parts');
    };
    const sample = conversations.find((c) => c.source.author.email !== null)!;
    await expectConversations(filter('source.author.email', '=', sample.source.author.email), (c) => c.source.author.email === sample.source.author.email);
    await expectConversations(filter('state', 'IN', ['open', 'snoozed']), (c) => c.state !== 'closed');
    await expectConversations(filter('open', '=', false), (c) => !c.open);
    await expectConversations(filter('contact_ids', '=', sample.contacts.contacts[0]!.id), (c) => c.contacts.contacts.some((x) => x.id === sample.contacts.contacts[0]!.id));
    await expectConversations(filter('statistics.count_conversation_parts', '>=', 4), (c) => (c.statistics?.count_conversation_parts ?? -1) >= 4);
    await expectConversations(filter('admin_assignee_id', '=', sb.dataset.admins[0]!.id), (c) => c.admin_assignee_id === Number(sb.dataset.admins[0]!.id));
    await expectConversations(
      { operator: 'AND', value: [filter('source.delivered_as', '=', 'customer_initiated'), filter('priority', '!=', 'none')] },
      (c) => c.source.delivered_as === 'customer_initiated' && c.priority !== 'none',
    );
    // source.body: = compares each word ("support" finds "I need support"; two words find nothing).
    const words = (c: Conversation) => c.source.body.replace(/<[^>]*>/g, ' ').toLowerCase().split(/[^\p{L}\p{N}]+/u);
    await expectConversations(filter('source.body', '=', 'charged'), (c) => words(c).includes('charged'));
    const phrase = (await post('/conversations/search', { query: filter('source.body', '=', 'charged twice') })).json as ConversationPage;
    assert.equal(phrase.total_count, 0);
    await expectError('/conversations/search', { query: filter('admin_assignee_id', '=', 'abc') }, 400, 'parameter_invalid', /integer/);
    await expectError('/conversations/search', { query: filter('state', '<', 'open') }, 400, 'parameter_invalid');
  });

  test('conversations compare dates by the instant, > and < including it (the spec: "greater (or equal)")', async () => {
    const pivot = conversations[150]!;
    const ids = async (query: unknown) => {
      const out: string[] = [];
      let after: string | undefined;
      do {
        const page = (await post('/conversations/search', { query, pagination: { per_page: 150, starting_after: after } })).json as ConversationPage;
        out.push(...page.conversations.map((c) => c.id));
        after = page.pages.next?.starting_after;
      } while (after);
      return out;
    };
    assert.deepEqual(await ids(filter('created_at', '>', pivot.created_at)), conversations.filter((c) => c.created_at >= pivot.created_at).map((c) => c.id));
    assert.deepEqual(await ids(filter('created_at', '<', pivot.created_at)), conversations.filter((c) => c.created_at <= pivot.created_at).map((c) => c.id));
    assert.deepEqual(await ids(filter('created_at', '=', pivot.created_at)), [pivot.id]);
    const page = (await post('/conversations/search', { query: filter('state', '=', 'open') })).json as ConversationPage;
    assert.equal(page.pages.per_page, 20, 'the spec default for conversations');
  });
});
