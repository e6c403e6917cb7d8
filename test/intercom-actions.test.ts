// Intercom beyond the reference, end to end: connector.yaml's search and write actions and
// the companies scroll, run by the generic engine against the sandbox over loopback HTTP.
// Expected results are computed from the sandbox's own dataset, not from its search code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { ConflictError, ParameterError, ServerError, PaginationError, HttpError, type Runtime } from '../src/index.js';
import { createClient, createRuntime, type ContactSearchQuery, type Operations } from '../generated/index.js';
import { runCli } from './support/cli.js';
import { ToolCaller } from '../src/mcp/server.js';
import { loadManifest, DEFAULT_MANIFEST } from '../src/index.js';

const DAY = 86_400;
/** Midnight UTC (the sandbox workspace's timezone) of the day holding `t`. */
const dayStart = (t: number) => Math.floor(t / DAY) * DAY;

describe('Intercom search and writes through the engine', () => {
  let sb: Sandbox;
  let rt: Runtime<Operations>;
  const contacts = () => Array.from({ length: sb.dataset.counts.contacts }, (_, i) => sb.dataset.contactAt(i));
  const searchAll = async (query: unknown, per_page = 150) => {
    const ids: string[] = [];
    for await (const c of rt.paginate({ entity: 'contacts', action: 'search', params: { query: query as ContactSearchQuery, per_page } })) ids.push(c.id);
    return ids;
  };
  const idsWhere = (pred: (c: ReturnType<typeof sb.dataset.contactAt>) => boolean) => contacts().filter(pred).map((c) => c.id).sort();

  before(async () => {
    sb = await startSandbox({ seed: 11, counts: { contacts: 400, companies: 300 } });
    rt = await createRuntime({ baseUrl: sb.url, credentials: { access_token: sb.token } });
  });
  after(async () => {
    await rt.close();
    await sb.close();
  });

  test('every operator returns exactly the matching contacts', async () => {
    const sample = sb.dataset.contactAt(7);
    const domain = sample.email.split('@')[1]!;
    const prefix = sample.email.slice(0, 3);
    const created = sample.created_at;
    const cases: [string, unknown, (c: ReturnType<typeof sb.dataset.contactAt>) => boolean][] = [
      ['=', { field: 'email', operator: '=', value: sample.email }, (c) => c.email === sample.email],
      ['!=', { field: 'role', operator: '!=', value: 'user' }, (c) => c.role !== 'user'],
      ['IN', { field: 'role', operator: 'IN', value: ['lead'] }, (c) => c.role === 'lead'],
      ['NIN', { field: 'role', operator: 'NIN', value: ['lead'] }, (c) => c.role !== 'lead'],
      ['~', { field: 'email', operator: '~', value: domain }, (c) => c.email.includes(domain)],
      ['!~', { field: 'email', operator: '!~', value: domain }, (c) => !c.email.includes(domain)],
      ['^', { field: 'email', operator: '^', value: prefix }, (c) => c.email.startsWith(prefix)],
      ['$', { field: 'email', operator: '$', value: `@${domain}` }, (c) => c.email.endsWith(`@${domain}`)],
      // Dates match by calendar day: > starts at the next midnight, < ends before the day, = is the day.
      ['> (date)', { field: 'created_at', operator: '>', value: created }, (c) => c.created_at >= dayStart(created) + DAY],
      ['< (date)', { field: 'created_at', operator: '<', value: created }, (c) => c.created_at < dayStart(created)],
      ['= (date)', { field: 'created_at', operator: '=', value: created }, (c) => dayStart(c.created_at) === dayStart(created)],
    ];
    for (const [name, query, pred] of cases) {
      const got = (await searchAll(query)).sort();
      assert.deepEqual(got, idsWhere(pred), `operator ${name}`);
    }
    // "Since 9:00 today" is not what > means: a contact created later that same day is not found.
    // Contact 7 has none on its day; 17 has (as have 48, 61 and 64 with this seed).
    const early = sb.dataset.contactAt(17).created_at;
    const sameDayLater = contacts().find((c) => c.created_at > early && dayStart(c.created_at) === dayStart(early));
    assert.ok(sameDayLater, 'contact 17 has a contact created later on its day, or this check checks nothing');
    const afterEarly = (await searchAll({ field: 'created_at', operator: '>', value: early })).sort();
    assert.ok(!afterEarly.includes(sameDayLater.id));
    assert.deepEqual(afterEarly, idsWhere((c) => c.created_at >= dayStart(early) + DAY));
  });

  test('nested AND/OR groups, and >= and <= on an integer custom attribute', async () => {
    const query = {
      operator: 'AND',
      value: [
        { operator: 'OR', value: [{ field: 'role', operator: '=', value: 'lead' }, { field: 'unsubscribed_from_emails', operator: '=', value: true }] },
        { field: 'created_at', operator: '<', value: sb.dataset.contactAt(200).created_at },
      ],
    };
    const cut = dayStart(sb.dataset.contactAt(200).created_at);
    assert.deepEqual((await searchAll(query)).sort(), idsWhere((c) => (c.role === 'lead' || c.unsubscribed_from_emails) && c.created_at < cut));
    const seats = (c: ReturnType<typeof sb.dataset.contactAt>) => c.custom_attributes.seats as number;
    const between = { operator: 'AND', value: [{ field: 'custom_attributes.seats', operator: '>=', value: 100 }, { field: 'custom_attributes.seats', operator: '<=', value: 120 }] };
    assert.deepEqual((await searchAll(between)).sort(), idsWhere((c) => seats(c) >= 100 && seats(c) <= 120));
  });

  test('--all pages through a search exactly once, with the cursor in the body', async () => {
    const query = JSON.stringify({ query: { field: 'role', operator: '=', value: 'user' }, per_page: 25 });
    const before = sb.requestCount;
    const run = await runCli(['execute', 'contacts', 'search', '--params', query, '--all', '--base-url', sb.url], { env: { INTERCOM_ACCESS_TOKEN: sb.token } });
    assert.equal(run.code, 0, run.stderr);
    const ids = run.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    const expected = idsWhere((c) => c.role === 'user');
    assert.equal(new Set(ids).size, ids.length, 'no contact twice');
    assert.deepEqual([...ids].sort(), expected);
    assert.equal(sb.requestCount - before, Math.ceil(expected.length / 25), 'one request per page');
  });

  test('each query rule is refused before any request, naming the rule', async () => {
    const refused: [unknown, RegExp][] = [
      [{ field: 'created_at', operator: '>=', value: 1 }, /date field "created_at" with ">=": dates take only =, > and </],
      [{ field: 'created_at', operator: '!=', value: 1 }, /date field "created_at" with "!="/],
      [{ field: 'updated_at', operator: '>', value: '2024-01-01' }, /uses ">", which compares integers and dates/],
      [{ field: 'email', operator: 'IN', value: 'a@b.c' }, /uses "IN", which takes a non-empty array/],
      [{ field: 'location.country', operator: 'IN', value: [] }, /uses "IN", which takes a non-empty array/],
      [{ field: 'email', operator: '=', value: ['a@b.c'] }, /gives "=" a list of values: only IN and NIN take lists/],
      [{ field: 'email', operator: '>', value: 5 }, /compares the string field "email" with ">" and 5: string fields take strings/],
      [{ field: 'email', operator: '=', value: true }, /string field "email" with "=" and true/],
      [{ field: 'unsubscribed_from_emails', operator: '=', value: 'yes' }, /boolean field "unsubscribed_from_emails" with "=" and "yes": booleans take true or false/],
      [{ field: 'role', operator: '=', value: 'admin' }, /searches role for "admin": a contact's role is user or lead/],
      [{ field: 'email', operator: '~', value: 3 }, /uses "~", which works on strings only/],
      [{ field: 'tag_id', operator: 'IN', value: ['1'] }, /tag_id takes only = and !=/],
      [{ field: 'has_hard_bounced', operator: '>', value: 1 }, /boolean field "has_hard_bounced"/],
      [{ field: 'emial', operator: '=', value: 'x' }, /"query.field" is not a searchable contact field/],
      [{ field: 'email', operator: '==', value: 'x' }, /"query.operator" must be one of/],
      [{ operator: 'AND', value: Array.from({ length: 16 }, () => ({ field: 'role', operator: '=', value: 'user' })) }, /more than 15 filters/],
      [{ operator: 'AND', value: [{ operator: 'OR', value: [{ operator: 'AND', value: [{ field: 'role', operator: '=', value: 'user' }] }] }] }, /third level of groups/],
      [{ operator: 'XOR', value: [] }, /"query.operator" must be one of "AND", "OR"/],
    ];
    const start = sb.requestCount;
    for (const [query, message] of refused) {
      // Typed callers cannot write most of these; hosts pass what agents send.
      await assert.rejects(rt.execute({ entity: 'contacts', action: 'search', params: { query: query as ContactSearchQuery } }), (e: unknown) => e instanceof ParameterError && message.test(e.message), JSON.stringify(query));
    }
    await assert.rejects(rt.execute({ entity: 'contacts', action: 'search', params: { query: { field: 'role', operator: '=', value: 'user' }, per_page: 151 } }), /per_page" must be at most 150/);
    await assert.rejects(rt.execute({ entity: 'conversations', action: 'search', params: { query: { field: 'created_at', operator: '>=' as '>', value: 1 } } }), /must be one of "=", "!=", "IN", "NIN", ">", "<"/);
    await assert.rejects(rt.execute({ entity: 'conversations', action: 'search', params: { query: { field: 'admin_assignee_id', operator: '~', value: '12' } } }), /integer field "admin_assignee_id" with "~"/);
    await assert.rejects(rt.execute({ entity: 'conversations', action: 'search', params: { query: { field: 'open', operator: '=', value: 'true' } } }), /boolean field "open" with "=" and "true"/);
    await assert.rejects(rt.execute({ entity: 'conversations', action: 'search', params: { query: { field: 'state', operator: '>', value: 1 } } }), /string field "state" with ">"/);
    await assert.rejects(rt.execute({ entity: 'contacts', action: 'create', params: { name: 'No Key' } }), /need at least one of email, external_id or role/);
    assert.equal(sb.requestCount, start, 'nothing reached the API');
  });

  test('describe spells out the query language: the shapes and every searchable field, as the errors promise', async () => {
    const text = await runCli(['describe', 'contacts.search']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Shape of query:\n  ContactSearchFilter\n    field +"id" \| "role"[^\n]*"tag_id" \| \/\^custom_attributes/);
    assert.match(text.stdout, /ContactSearchGroup\n    operator +"AND" \| "OR"\n    value +array<ContactSearchFilter \| ContactSearchInnerGroup>/);
    const json = JSON.parse((await runCli(['describe', 'conversations.search', '--format', 'json'])).stdout) as { shapes: { query: { name: string; fields: { name: string; type: string }[] }[] } };
    const filter = json.shapes.query.find((o) => o.name === 'ConversationSearchFilter')!;
    assert.match(filter.fields.find((f) => f.name === 'field')!.type, /"statistics\.time_to_admin_reply"/);
    assert.doesNotMatch(filter.fields.find((f) => f.name === 'operator')!.type, />=/);
  });

  test('conversations search: open conversations, through the typed client', async () => {
    const intercom = createClient({ baseUrl: sb.url, credentials: { access_token: sb.token } });
    try {
      const page = await intercom.conversations.search({ query: { field: 'open', operator: '=', value: true }, per_page: 150 });
      assert.ok(page.data.length > 0);
      for (const c of page.data) assert.equal(c.open, true);
    } finally {
      await intercom.close();
    }
  });

  test('create then get shows the contact; update changes it; the same email again is a typed conflict', async () => {
    const email = `ada.${Date.now()}@example.org`;
    const { data: created } = await rt.execute({ entity: 'contacts', action: 'create', params: { email, name: 'Ada Lovelace', role: 'user', custom_attributes: {} } });
    assert.equal(created.email, email);
    const { data: got } = await rt.execute({ entity: 'contacts', action: 'get', params: { id: created.id } });
    assert.equal(got.name, 'Ada Lovelace');
    const { data: updated } = await rt.execute({ entity: 'contacts', action: 'update', params: { id: created.id, name: 'Ada King' } });
    assert.equal(updated.name, 'Ada King');
    assert.equal((await rt.execute({ entity: 'contacts', action: 'get', params: { id: created.id } })).data.name, 'Ada King');
    // The search sees the new contact too.
    assert.deepEqual(await searchAll({ field: 'email', operator: '=', value: email }), [created.id]);

    const err = await rt.execute({ entity: 'contacts', action: 'create', params: { email } }).catch((e: unknown) => e);
    assert.ok(err instanceof ConflictError, String(err));
    assert.equal(err.code, 'CONFLICT');
    assert.equal(err.status, 409);
    assert.match(err.message, new RegExp(`already exists.*${created.id}|${created.id}.*already`, 's'));
    assert.match(err.message, /find it and update it/);
    const cli = await runCli(['execute', 'contacts', 'create', '-p', `email=${email}`, '--base-url', sb.url], { env: { INTERCOM_ACCESS_TOKEN: sb.token } });
    assert.equal(cli.code, 18, cli.stderr);
  });

  test('page numbers with a page size over what the API serves (60) still reach every company', async () => {
    const ids = new Set<string>();
    for await (const c of rt.paginate({ entity: 'companies', action: 'list', params: { per_page: 100 } })) ids.add(c.id);
    assert.equal(ids.size, sb.dataset.companies.length);
  });

  test('companies, tags, notes and internal articles are created and read back', async () => {
    const company_id = `acme-${Date.now()}`;
    const { data: company } = await rt.execute({ entity: 'companies', action: 'create', params: { company_id, name: 'Acme', plan: 'pro', size: 12 } });
    assert.equal(company.company_id, company_id);
    // Intercom creates or updates by company_id: the same company_id again updates it.
    const { data: again } = await rt.execute({ entity: 'companies', action: 'create', params: { company_id, name: 'Acme Ltd' } });
    assert.equal(again.id, company.id);
    const { data: renamed } = await rt.execute({ entity: 'companies', action: 'update', params: { id: company.id, industry: 'Anvils' } });
    assert.equal(renamed.industry, 'Anvils');
    assert.equal((await rt.execute({ entity: 'companies', action: 'get', params: { id: company.id } })).data.name, 'Acme Ltd');

    const { data: tag } = await rt.execute({ entity: 'tags', action: 'create', params: { name: 'vip-test' } });
    assert.ok((await rt.execute({ entity: 'tags', action: 'list' })).data.some((t) => t.id === tag.id));

    const contact = sb.dataset.contactAt(3);
    const { data: note } = await rt.execute({ entity: 'notes', action: 'create', params: { contact_id: contact.id, body: 'Called about the invoice' } });
    assert.match(String(note.body), /invoice/);

    const admin = sb.dataset.admins[0]!;
    const { data: article } = await rt.execute({ entity: 'internal_articles', action: 'create', params: { title: 'Refunds', body: '<p>How</p>', owner_id: Number(admin.id), author_id: Number(admin.id) } });
    assert.equal(article.title, 'Refunds');
    const preview = rt.preview({ entity: 'internal_articles', action: 'create', params: { title: 'T', owner_id: 1, author_id: 1 } });
    assert.equal(preview.headers['intercom-version'], 'Unstable', 'that action alone is sent on Unstable');
    assert.equal(rt.preview({ entity: 'tags', action: 'create', params: { name: 'x' } }).headers['intercom-version'], '2.16');
  });

  test('a 500 on a write is not retried: one request on the wire', async () => {
    sb.resetStats();
    sb.setFaults([{ kind: 'server_error', every: 1, limit: 1 }]);
    try {
      const err = await rt.execute({ entity: 'tags', action: 'create', params: { name: 'once' } }).catch((e: unknown) => e);
      assert.ok(err instanceof ServerError, String(err));
      assert.equal(err.attempts, 1);
      assert.equal(sb.stats.requests, 1);
    } finally {
      sb.setFaults([]);
    }
    // A search is a read: the same fault is retried and the call succeeds.
    sb.resetStats();
    sb.setFaults([{ kind: 'server_error', every: 1, limit: 1 }]);
    try {
      await rt.execute({ entity: 'contacts', action: 'search', params: { query: { field: 'role', operator: '=', value: 'lead' } } }, { retry: { baseDelayMs: 1 } });
      assert.equal(sb.stats.requests, 2);
    } finally {
      sb.setFaults([]);
    }
  });

  test('--dry-run prints the request with the token redacted and sends nothing', async () => {
    const start = sb.requestCount;
    const run = await runCli(['execute', 'contacts', 'create', '-p', 'email=new@example.org', '-p', 'role=lead', '--dry-run', '--base-url', sb.url], {
      env: { INTERCOM_ACCESS_TOKEN: sb.token },
    });
    assert.equal(run.code, 0, run.stderr);
    const shown = JSON.parse(run.stdout) as { method: string; url: string; headers: Record<string, string>; body: unknown };
    assert.equal(shown.method, 'POST');
    assert.equal(shown.url, `${sb.url}/contacts`);
    assert.equal(shown.headers.authorization, 'Bearer [redacted]');
    assert.deepEqual(shown.body, { email: 'new@example.org', role: 'lead' });
    assert.ok(!run.stdout.includes(sb.token));
    // Checked like a real call: a broken write is refused, still with nothing sent.
    const bad = await runCli(['execute', 'contacts', 'create', '-p', 'name=x', '--dry-run', '--base-url', sb.url], { env: { INTERCOM_ACCESS_TOKEN: sb.token } });
    assert.equal(bad.code, 6);
    assert.equal(sb.requestCount, start);
  });
});

describe('companies beyond 10,000: the scroll API', () => {
  let sb: Sandbox;
  let rt: Runtime<Operations>;
  let now = Date.UTC(2026, 10, 26, 12);
  const COMPANIES = 10_130;

  before(async () => {
    sb = await startSandbox({ seed: 5, counts: { companies: COMPANIES, contacts: 20, conversations: 5 }, now: () => now });
    rt = await createRuntime({ baseUrl: sb.url, credentials: { access_token: sb.token } });
  });
  after(async () => {
    await rt.close();
    await sb.close();
  });

  test('paginate reaches every company exactly once', async () => {
    const seen = new Set<string>();
    let n = 0;
    for await (const c of rt.paginate({ entity: 'companies', action: 'list', params: { per_page: 50 } })) {
      seen.add(c.id as string);
      n++;
    }
    assert.equal(n, COMPANIES);
    assert.equal(seen.size, COMPANIES);
  });

  test('another scroll open is an error, never a short list', async () => {
    const first = await rt.execute({ entity: 'companies', action: 'list' });
    assert.ok(first.meta.next_page, 'the first batch of a scroll');
    const err = await rt.execute({ entity: 'companies', action: 'list' }).catch((e: unknown) => e);
    assert.ok(err instanceof HttpError, String(err));
    assert.equal(err.status, 400);
    // The manifest's hint replaces the generic "check the parameters".
    assert.match(err.message, /scroll endpoint \/companies\/scroll: Intercom keeps one scroll open per app/);
    // The first scroll goes on where it was.
    const next = await rt.execute({ entity: 'companies', action: 'list', params: { starting_after: first.meta.next_page! } });
    assert.ok(next.data.length > 0);
    // Let it expire (the sandbox's clock), so the next test starts clean.
    now += 61_000;
    const expired = await rt.execute({ entity: 'companies', action: 'list', params: { starting_after: next.meta.next_page! } }).catch((e: unknown) => e);
    assert.ok(expired instanceof HttpError, String(expired));
  });

  test('a scroll batch cut short is an error, never retried into a gap: each scroll request moves the scroll on', async () => {
    sb.setFaults([{ kind: 'truncate', every: 3, offset: 2, limit: 1, path: '/companies/scroll' }]);
    sb.resetStats();
    try {
      let n = 0;
      const pager = rt.paginate({ entity: 'companies', action: 'list' });
      const err = await (async () => {
        for await (const _ of pager) n++;
      })().catch((e: unknown) => e);
      assert.ok(err instanceof Error && 'code' in err, String(err));
      assert.ok(n > 0 && n < COMPANIES, `stopped after ${n}`);
      assert.equal((err as { resumeCursor?: unknown }).resumeCursor, null, 'only starting over resumes a scroll');
      // No read-ahead: the requests are the first numbered page and the scroll batches asked for, one at a time.
      assert.equal(sb.stats.requests, 1 + Math.ceil(n / 50) + 1);
    } finally {
      sb.setFaults([]);
      now += 61_000;
    }
  });

  test('--limit in the middle of a scroll batch offers no token that would skip the rest; at a batch end it does', async () => {
    const env = { INTERCOM_ACCESS_TOKEN: sb.token };
    const mid = await runCli(['execute', 'companies', 'list', '--limit', '70', '--base-url', sb.url], { env });
    assert.equal(mid.code, 0, mid.stderr);
    assert.match(mid.stderr, /Stopped at --limit after 70 records\. Run it again to start over\./);
    now += 61_000;
    const end = await runCli(['execute', 'companies', 'list', '--limit', '100', '--base-url', sb.url], { env });
    const token = /--starting-after '([^']+)'/.exec(end.stderr)?.[1];
    assert.ok(token, end.stderr);
    const rest = await runCli(['execute', 'companies', 'list', '--limit', '50', '--starting-after', token, '--base-url', sb.url], { env });
    assert.equal(rest.code, 0, rest.stderr);
    const firstIds = end.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    const nextIds = rest.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    assert.equal(new Set([...firstIds, ...nextIds]).size, 150, 'the batch after the token, none skipped or repeated');
    now += 61_000;
  });

  test('MCP: a scroll batch over the output budget comes whole with a note, from one request', async (t) => {
    const manifest = await loadManifest(DEFAULT_MANIFEST);
    const caller = new ToolCaller({ manifest, maxOutputBytes: 4000, runtimeOptions: { baseUrl: sb.url, credentials: { access_token: sb.token } } });
    t.after(() => caller.close());
    const before = sb.requestCount;
    const result = await caller.call('companies_list', { fields: ['*'] });
    const out = JSON.parse((result.content as { text: string }[])[0]!.text) as { records: unknown[]; next_page: string | null; note?: string };
    assert.equal(out.records.length, 50, 'the whole batch');
    assert.match(out.note ?? '', /scroll the API serves only once/);
    assert.ok(out.next_page);
    assert.equal(sb.requestCount - before, 2, 'the numbered first page, then the scroll: nothing fetched again');
    now += 61_000;
  });

  test('a 500 in the middle of a scroll ends the list with an error and a resume point', async () => {
    sb.setFaults([{ kind: 'server_error', every: 3, offset: 2, limit: 1, path: '/companies/scroll' }]);
    try {
      let n = 0;
      const err = await (async () => {
        for await (const _ of rt.paginate({ entity: 'companies', action: 'list' }, { retry: { limit: 0 } })) n++;
      })().catch((e: unknown) => e);
      assert.ok(err instanceof ServerError || err instanceof HttpError || err instanceof PaginationError, String(err));
      assert.ok(n > 0 && n < COMPANIES, `stopped after ${n}`);
    } finally {
      sb.setFaults([]);
      now += 61_000;
    }
  });
});
