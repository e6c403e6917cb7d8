// Tests of the Zendesk and HubSpot imitations themselves, with plain fetch: they must behave as the vendors
// document before other tests lean on them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startZendesk, zendeskDataset, type ZendeskImitation, type ZendeskTicket, type ZendeskUser } from './imitations/zendesk.js';
import { hubspotDataset, startHubSpot, type HubSpotImitation, type HubSpotObject } from './imitations/hubspot.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// ---------------------------------------------------------------------------------------------------------------
// Zendesk
// ---------------------------------------------------------------------------------------------------------------

describe('Zendesk imitation', () => {
  let zd: ZendeskImitation;
  const get = (path: string, auth?: string): Promise<Reply> =>
    call(`${zd.url}${path}`, { headers: auth === undefined ? { authorization: zd.basicAuth } : auth === '' ? {} : { authorization: auth } });

  before(async () => {
    zd = await startZendesk({ email: 'Admin@Example.com', apiToken: 'tok123', oauthToken: 'oauth456', tickets: 137, users: 23, seed: 7 });
  });
  after(() => zd.close());

  describe('authentication', () => {
    it('accepts Basic {email}/token:{api_token} (e-mail case-insensitive) and Bearer oauth', async () => {
      const basic = `Basic ${Buffer.from('admin@example.com/token:tok123').toString('base64')}`;
      assert.equal((await get('/api/v2/tickets/1', basic)).status, 200);
      assert.equal((await get('/api/v2/tickets/1', 'Bearer oauth456')).status, 200);
      assert.equal(zd.bearerAuth, 'Bearer oauth456');
    });

    for (const [label, auth] of [
      ['no Authorization header', ''],
      ['a wrong API token', `Basic ${Buffer.from('admin@example.com/token:nope').toString('base64')}`],
      ['a password instead of /token', `Basic ${Buffer.from('admin@example.com:tok123').toString('base64')}`],
      ['a wrong OAuth token', 'Bearer nope'],
      ['the API token as a bearer token', 'Bearer tok123'],
    ] as const) {
      it(`answers 401 {"error":"Couldn't authenticate you"} for ${label}`, async () => {
        const r = await get('/api/v2/tickets', auth);
        assert.equal(r.status, 401);
        assert.deepEqual(r.json, { error: "Couldn't authenticate you" });
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
        assert.ok(r.headers.get('x-zendesk-request-id'));
        assert.ok(r.headers.get('x-request-id'));
        assert.equal(r.headers.get('x-rate-limit'), null);
      });
    }

    it('users/me: anonymous user (200) without credentials, 401 with wrong ones, the admin with right ones', async () => {
      const anon = await get('/api/v2/users/me.json', '');
      assert.equal(anon.status, 200);
      assert.equal(anon.json.user.id, null);
      assert.equal(anon.json.user.name, 'Anonymous user');
      assert.equal((await get('/api/v2/users/me', 'Bearer nope')).status, 401);
      const me = await get('/api/v2/users/me');
      assert.equal(me.status, 200);
      assert.equal(me.json.user.email, 'Admin@Example.com');
      assert.equal(me.json.user.role, 'admin');
    });
  });

  describe('tickets: cursor pagination', () => {
    it('follows links.next through every ticket exactly once, in id order', async () => {
      const seen: number[] = [];
      let next: string | null = `${zd.url}/api/v2/tickets.json?page[size]=10`;
      let pages = 0;
      let last: Reply | undefined;
      while (next) {
        const r = await call(next, { headers: { authorization: zd.basicAuth } });
        assert.equal(r.status, 200);
        pages++;
        last = r;
        seen.push(...(r.json.tickets as ZendeskTicket[]).map((t) => t.id));
        assert.equal(typeof r.json.meta.has_more, 'boolean');
        assert.ok(r.json.meta.has_more || r.json.tickets.length <= 10);
        next = r.json.meta.has_more ? r.json.links.next : null;
      }
      assert.equal(pages, Math.ceil(137 / 10));
      assert.deepEqual(seen, zd.tickets.map((t) => t.id));
      assert.equal(new Set(seen).size, 137);
      // Like real Zendesk, the last page keeps its cursors and a next link; has_more alone says stop.
      assert.ok(last);
      assert.equal(last.json.meta.has_more, false);
      assert.equal(typeof last.json.meta.after_cursor, 'string');
      assert.equal(typeof last.json.links.next, 'string');
      const beyond = await call(last.json.links.next, { headers: { authorization: zd.basicAuth } });
      assert.equal(beyond.status, 200);
      assert.deepEqual(beyond.json, {
        tickets: [],
        meta: { has_more: false, after_cursor: null, before_cursor: null },
        links: { prev: null, next: null },
      });
    });

    it('serves records equal to the dataset, with realistic fields', async () => {
      const r = await get('/api/v2/tickets?page%5Bsize%5D=5');
      assert.deepEqual(r.json.tickets, zd.tickets.slice(0, 5));
      const t = r.json.tickets[0] as ZendeskTicket;
      for (const k of ['url', 'id', 'subject', 'description', 'status', 'priority', 'requester_id', 'assignee_id', 'tags', 'created_at', 'updated_at', 'via']) {
        assert.ok(k in t, k);
      }
      assert.equal(t.url, `${zd.url}/api/v2/tickets/${t.id}.json`);
      assert.match(t.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(zd.users.some((u) => u.id === t.requester_id));
    });

    it('uses opaque, absolute, Rails-encoded links and default/maximum page sizes of 100', async () => {
      const r = await get('/api/v2/tickets.json?page[size]=3&sort=id');
      const next = r.json.links.next as string;
      assert.ok(next.startsWith(`${zd.url}/api/v2/tickets.json?`));
      assert.match(next, /page%5Bafter%5D=[^&]+&page%5Bsize%5D=3&sort=id$/);
      const cursor = r.json.meta.after_cursor as string;
      assert.doesNotMatch(cursor, /^\d+$/);
      assert.equal(new URL(next).searchParams.get('page[after]'), cursor);
      assert.equal((await get('/api/v2/tickets?page[size]=500')).json.tickets.length, 100);
      assert.equal((await get('/api/v2/tickets?page[after]=')).json.tickets.length, 100);
    });

    it('page[before] walks back; an unreadable cursor is 400', async () => {
      const p1 = await get('/api/v2/tickets?page[size]=4');
      const p2 = await call(p1.json.links.next, { headers: { authorization: zd.basicAuth } });
      const back = await call(p2.json.links.prev, { headers: { authorization: zd.basicAuth } });
      assert.deepEqual(back.json.tickets, p1.json.tickets);
      assert.equal(back.json.meta.has_more, false);
      const bad = await get('/api/v2/tickets?page[size]=4&page[after]=garbage');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.errors[0].code, 'InvalidPaginationParameter');
    });

    it('sort=-updated_at pages every ticket once in that order; offset-only sorts are refused', async () => {
      const seen: ZendeskTicket[] = [];
      let next: string | null = `${zd.url}/api/v2/tickets?page[size]=50&sort=-updated_at`;
      while (next) {
        const r = await call(next, { headers: { authorization: zd.basicAuth } });
        seen.push(...r.json.tickets);
        next = r.json.meta.has_more ? r.json.links.next : null;
      }
      const expected = [...zd.tickets].sort((a, b) => (a.updated_at === b.updated_at ? b.id - a.id : a.updated_at < b.updated_at ? 1 : -1));
      assert.deepEqual(seen.map((t) => t.id), expected.map((t) => t.id));
      const refused = await get('/api/v2/tickets?page[size]=5&sort=created_at');
      assert.equal(refused.status, 400);
    });
  });

  describe('tickets: offset pagination', () => {
    it('follows next_page through every ticket exactly once, with count and previous_page', async () => {
      const seen: number[] = [];
      let next: string | null = `${zd.url}/api/v2/tickets.json?page=1&per_page=20`;
      let first = true;
      while (next) {
        const r = await call(next, { headers: { authorization: zd.basicAuth } });
        assert.equal(r.status, 200);
        assert.equal(r.json.count, 137);
        if (first) assert.equal(r.json.previous_page, null);
        else assert.match(r.json.previous_page, /^http:\/\/127\.0\.0\.1:\d+\/api\/v2\/tickets\.json\?page=\d+&per_page=20$/);
        first = false;
        seen.push(...(r.json.tickets as ZendeskTicket[]).map((t) => t.id));
        next = r.json.next_page;
      }
      assert.deepEqual(seen, zd.tickets.map((t) => t.id));
    });

    it('defaults to offset pagination (100 a page) and stops at 10,000 records deep', async () => {
      const r = await get('/api/v2/tickets');
      assert.equal(r.json.tickets.length, 100);
      assert.match(r.json.next_page, /\/api\/v2\/tickets\?page=2$/);
      assert.equal((await get('/api/v2/tickets?page=100&per_page=100')).status, 200);
      const deep = await get('/api/v2/tickets?page=101&per_page=100');
      assert.equal(deep.status, 400);
      assert.equal(deep.json.errors[0].code, 'InvalidPaginationDepth');
    });

    it('sort_by/sort_order apply under offset pagination', async () => {
      const r = await get('/api/v2/tickets?per_page=5&sort_by=id&sort_order=desc');
      assert.deepEqual((r.json.tickets as ZendeskTicket[]).map((t) => t.id), zd.tickets.slice(-5).map((t) => t.id).reverse());
    });
  });

  describe('show and 404', () => {
    it('GET /tickets/{id} and /users/{id} (with or without .json) return the record', async () => {
      const t = zd.tickets[17]!;
      assert.deepEqual((await get(`/api/v2/tickets/${t.id}`)).json, { ticket: t });
      assert.deepEqual((await get(`/api/v2/tickets/${t.id}.json`)).json, { ticket: t });
      const u = zd.users[5]!;
      assert.deepEqual((await get(`/api/v2/users/${u.id}.json`)).json, { user: u });
    });

    it('a missing record is 404 RecordNotFound; an unknown endpoint is 404 InvalidEndpoint', async () => {
      for (const p of ['/api/v2/tickets/99999999', '/api/v2/tickets/abc', '/api/v2/users/1']) {
        const r = await get(p);
        assert.equal(r.status, 404, p);
        assert.deepEqual(r.json, { error: 'RecordNotFound', description: 'Not found' });
      }
      const r = await get('/api/v2/nothing_here');
      assert.deepEqual([r.status, r.json], [404, { error: 'InvalidEndpoint', description: 'Not found' }]);
    });
  });

  describe('users', () => {
    it('cursor-pages every user exactly once and filters by role', async () => {
      const seen: ZendeskUser[] = [];
      let next: string | null = `${zd.url}/api/v2/users?page[size]=6`;
      while (next) {
        const r = await call(next, { headers: { authorization: zd.bearerAuth } });
        seen.push(...r.json.users);
        next = r.json.meta.has_more ? r.json.links.next : null;
      }
      assert.deepEqual(seen, zd.users);
      const agents = await get('/api/v2/users?role[]=agent&role[]=admin');
      assert.deepEqual(
        (agents.json.users as ZendeskUser[]).map((u) => u.id),
        zd.users.filter((u) => u.role !== 'end-user').map((u) => u.id),
      );
      assert.equal(agents.json.count, zd.users.filter((u) => u.role !== 'end-user').length);
    });
  });

  describe('rate limits, request ids and faults', () => {
    it('sends the account-wide rate-limit headers and counts down', async () => {
      const a = await get('/api/v2/tickets?page[size]=1');
      const b = await get('/api/v2/tickets?page[size]=1');
      assert.equal(a.headers.get('x-rate-limit'), '700');
      assert.equal(a.headers.get('ratelimit-limit'), '700');
      assert.equal(Number(b.headers.get('x-rate-limit-remaining')), Number(a.headers.get('x-rate-limit-remaining')) - 1);
      assert.equal(b.headers.get('ratelimit-remaining'), b.headers.get('x-rate-limit-remaining'));
      assert.equal(a.headers.get('ratelimit-reset'), '60');
      assert.match(a.headers.get('zendesk-ratelimit-tickets-index') ?? '', /^total=100; remaining=\d+; resets=60$/);
      assert.match(a.headers.get('x-request-id') ?? '', UUID);
      assert.match(a.headers.get('x-zendesk-request-id') ?? '', /^[0-9a-f]{20}$/);
    });

    it('rateLimitNext(n) answers the next n requests 429 with Retry-After and the documented body', async () => {
      zd.rateLimitNext(2, { retryAfter: 7 });
      for (let i = 0; i < 2; i++) {
        const r = await get('/api/v2/tickets/1');
        assert.equal(r.status, 429);
        assert.equal(r.headers.get('retry-after'), '7');
        assert.equal(r.headers.get('x-rate-limit-remaining'), '0');
        assert.equal(r.headers.get('ratelimit-remaining'), '0');
        assert.deepEqual(r.json, { error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' });
      }
      assert.equal((await get('/api/v2/tickets/1')).status, 200);
    });

    it('an exhausted window gives one 429 and then refills', async () => {
      zd.window.remaining = 0;
      const r = await get('/api/v2/users');
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '1');
      const ok = await get('/api/v2/users');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-rate-limit-remaining'), '699');
    });

    it('failNext injects one reply (status, headers, body), and can drop the connection', async () => {
      zd.failNext({ status: 503, headers: { 'retry-after': '3' }, body: { error: 'ServiceUnavailable' } });
      const r = await get('/api/v2/tickets/1');
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('retry-after'), '3');
      assert.deepEqual(r.json, { error: 'ServiceUnavailable' });
      assert.ok(r.headers.get('x-zendesk-request-id'), 'request-id headers are still sent');
      assert.equal((await get('/api/v2/tickets/1')).status, 200);
      zd.failNext({ destroy: true, match: (req) => req.url.startsWith('/api/v2/users') });
      assert.equal((await get('/api/v2/tickets/1')).status, 200, 'a fault that does not match stays queued');
      await assert.rejects(get('/api/v2/users'));
      assert.equal(zd.faults.length, 0);
    });

    it('records every request with method, url, headers and body text', async () => {
      const n = zd.requests.length;
      await call(`${zd.url}/api/v2/tickets?page[size]=2`, { method: 'POST', headers: { authorization: zd.basicAuth, 'content-type': 'application/json' }, body: '{"x":1}' });
      const seen = zd.requests[n]!;
      assert.equal(seen.method, 'POST');
      assert.equal(seen.url, '/api/v2/tickets?page[size]=2');
      assert.equal(seen.headers.authorization, zd.basicAuth);
      assert.equal(seen.body, '{"x":1}');
    });
  });

  it('the dataset is deterministic for a seed and sized by the options', async () => {
    const a = zendeskDataset('http://x', { tickets: 30, users: 10, seed: 3 });
    const b = zendeskDataset('http://x', { tickets: 30, users: 10, seed: 3 });
    const c = zendeskDataset('http://x', { tickets: 30, users: 10, seed: 4 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(a.tickets.length, 30);
    assert.equal(a.users.length, 10);
    assert.deepEqual(zendeskDataset(zd.url, { tickets: 137, users: 23, seed: 7, email: 'Admin@Example.com' }).tickets, zd.tickets);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// HubSpot
// ---------------------------------------------------------------------------------------------------------------

describe('HubSpot imitation', () => {
  let hs: HubSpotImitation;
  const get = (path: string, auth?: string): Promise<Reply> =>
    call(`${hs.url}${path}`, { headers: auth === undefined ? { authorization: hs.bearerAuth } : auth === '' ? {} : { authorization: auth } });
  const search = (type: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    call(`${hs.url}/crm/v3/objects/${type}/search`, {
      method: 'POST',
      headers: { authorization: hs.bearerAuth, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const live = (): HubSpotObject[] => hs.contacts.filter((c) => !c.archived);
  async function searchAll(type: string, body: Record<string, unknown>): Promise<{ ids: string[]; totals: number[]; requests: number }> {
    const ids: string[] = [];
    const totals: number[] = [];
    let afterCursor: string | undefined;
    let requests = 0;
    do {
      const r = await search(type, { ...body, ...(afterCursor === undefined ? {} : { after: afterCursor }) });
      assert.equal(r.status, 200, r.text);
      requests++;
      totals.push(r.json.total);
      ids.push(...r.json.results.map((o: { id: string }) => o.id));
      afterCursor = r.json.paging?.next?.after;
    } while (afterCursor !== undefined);
    return { ids, totals, requests };
  }

  before(async () => {
    hs = await startHubSpot({ accessToken: 'pat-test', contacts: 143, companies: 31, archivedContacts: 4, seed: 5 });
  });
  after(() => hs.close());

  describe('authentication and ids', () => {
    for (const [label, auth] of [
      ['no Authorization header', ''],
      ['a wrong token', 'Bearer wrong'],
      ['the token without Bearer', 'pat-test'],
    ] as const) {
      it(`401 INVALID_AUTHENTICATION for ${label}`, async () => {
        const r = await get('/crm/v3/objects/contacts', auth);
        assert.equal(r.status, 401);
        assert.equal(r.json.status, 'error');
        assert.equal(r.json.category, 'INVALID_AUTHENTICATION');
        assert.match(r.json.message, /^Authentication credentials not found\./);
        assert.match(r.json.correlationId, UUID);
        assert.equal(r.headers.get('x-hubspot-correlation-id'), r.json.correlationId);
        assert.deepEqual(Object.keys(r.json), ['status', 'message', 'correlationId', 'category']);
      });
    }

    it('every answer carries X-HubSpot-Correlation-Id', async () => {
      const r = await get('/crm/v3/objects/contacts?limit=1');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('x-hubspot-correlation-id') ?? '', UUID);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json;charset=utf-8$/);
    });
  });

  describe('list', () => {
    it('defaults to 10 results with the default properties and an absolute paging link', async () => {
      const r = await get('/crm/v3/objects/contacts');
      assert.equal(r.json.results.length, 10);
      const first = r.json.results[0];
      const expected = live()[0]!;
      assert.deepEqual(Object.keys(first), ['id', 'properties', 'createdAt', 'updatedAt', 'archived']);
      assert.deepEqual(Object.keys(first.properties), ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
      assert.equal(first.id, expected.id);
      assert.equal(first.properties.email, expected.properties.email);
      assert.equal(first.properties.hs_object_id, expected.id);
      assert.equal(first.archived, false);
      assert.match(first.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const next = r.json.paging.next;
      assert.equal(next.after, live()[10]!.id);
      assert.equal(next.link, `${hs.url}/crm/v3/objects/contacts?after=${next.after}`);
    });

    it('pages through every live contact exactly once; the last page has no paging', async () => {
      const ids: string[] = [];
      let url: string | undefined = `${hs.url}/crm/v3/objects/contacts?limit=37&properties=email,phone`;
      let lastBody: any; // eslint-disable-line @typescript-eslint/no-explicit-any
      while (url) {
        const r = await call(url, { headers: { authorization: hs.bearerAuth } });
        assert.equal(r.status, 200);
        lastBody = r.json;
        ids.push(...r.json.results.map((o: { id: string }) => o.id));
        url = r.json.paging?.next?.link;
        if (url) assert.match(url, /\?limit=37&properties=email%2Cphone&after=\d+$/);
      }
      assert.deepEqual(ids, live().map((c) => c.id));
      assert.equal(lastBody.paging, undefined);
    });

    it('caps limit at 100; archived=true lists only archived records', async () => {
      assert.equal((await get('/crm/v3/objects/contacts?limit=500')).json.results.length, 100);
      const archived = await get('/crm/v3/objects/contacts?archived=true');
      assert.deepEqual(archived.json.results.map((o: { id: string }) => o.id), hs.contacts.filter((c) => c.archived).map((c) => c.id));
      assert.ok(archived.json.results.every((o: { archived: boolean; archivedAt?: string }) => o.archived && o.archivedAt));
    });

    it('properties=: named ones (unset as null, unknown dropped) plus createdate, hs_object_id, lastmodifieddate, sorted', async () => {
      const noPhone = live().find((c) => c.properties.phone === undefined)!;
      const r = await get(`/crm/v3/objects/contacts/${noPhone.id}?properties=phone&properties=jobtitle,not_a_property`);
      assert.deepEqual(Object.keys(r.json.properties), ['createdate', 'hs_object_id', 'jobtitle', 'lastmodifieddate', 'phone']);
      assert.equal(r.json.properties.phone, null);
    });

    it('companies: list with company default properties', async () => {
      const r = await get('/crm/v3/objects/companies?limit=100');
      assert.equal(r.json.results.length, 31);
      assert.equal(r.json.paging, undefined);
      assert.deepEqual(Object.keys(r.json.results[0].properties), ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name']);
      assert.deepEqual(hs.defaultProperties('companies'), ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name']);
    });
  });

  describe('get and 404', () => {
    it('returns one object; idProperty=email looks it up by e-mail', async () => {
      const c = live()[42]!;
      const r = await get(`/crm/v3/objects/contacts/${c.id}?properties=city`);
      assert.deepEqual(r.json, {
        id: c.id,
        properties: { city: c.properties.city, createdate: c.properties.createdate, hs_object_id: c.id, lastmodifieddate: c.properties.lastmodifieddate },
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        archived: false,
      });
      const byEmail = await get(`/crm/v3/objects/contacts/${encodeURIComponent(c.properties.email!)}?idProperty=email`);
      assert.equal(byEmail.json.id, c.id);
      const co = hs.companies[3]!;
      assert.equal((await get(`/crm/v3/objects/companies/${co.id}`)).json.properties.name, co.properties.name);
    });

    it('a missing or archived object is 404 OBJECT_NOT_FOUND with the documented body', async () => {
      for (const id of ['1', 'not-numeric', hs.contacts.find((c) => c.archived)!.id]) {
        const r = await get(`/crm/v3/objects/contacts/${id}`);
        assert.equal(r.status, 404);
        assert.deepEqual(Object.keys(r.json), ['status', 'message', 'correlationId', 'context', 'category']);
        assert.equal(r.json.message, 'Object not found.  objectId are usually numeric.');
        assert.deepEqual(r.json.context, { id: [id] });
        assert.equal(r.json.category, 'OBJECT_NOT_FOUND');
      }
      const archivedOne = hs.contacts.find((c) => c.archived)!;
      assert.equal((await get(`/crm/v3/objects/contacts/${archivedOne.id}?archived=true`)).json.id, archivedOne.id);
    });
  });

  describe('search', () => {
    it('with no filters returns every live contact once, paging by after, total constant', async () => {
      const { ids, totals, requests } = await searchAll('contacts', { limit: 30 });
      assert.deepEqual(ids, live().map((c) => c.id));
      assert.ok(totals.every((t) => t === 143));
      assert.equal(requests, Math.ceil(143 / 30));
      const first = await search('contacts', {});
      assert.equal(first.json.results.length, 10);
      assert.deepEqual(first.json.paging, { next: { after: '10' } });
      assert.deepEqual(Object.keys(first.json.results[0].properties), ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
    });

    const cases: [string, Record<string, unknown>[], (c: HubSpotObject) => boolean][] = [
      ['EQ (case-insensitive)', [{ propertyName: 'country', operator: 'EQ', value: 'germany' }], (c) => c.properties.country === 'Germany'],
      ['NEQ', [{ propertyName: 'lifecyclestage', operator: 'NEQ', value: 'lead' }], (c) => c.properties.lifecyclestage !== 'lead'],
      ['GT (numeric)', [{ propertyName: 'hubspotscore', operator: 'GT', value: '50' }], (c) => Number(c.properties.hubspotscore) > 50],
      ['GTE', [{ propertyName: 'hubspotscore', operator: 'GTE', value: 50 }], (c) => Number(c.properties.hubspotscore) >= 50],
      ['LT', [{ propertyName: 'hubspotscore', operator: 'LT', value: '9' }], (c) => Number(c.properties.hubspotscore) < 9],
      ['LTE', [{ propertyName: 'hubspotscore', operator: 'LTE', value: '9' }], (c) => Number(c.properties.hubspotscore) <= 9],
      ['HAS_PROPERTY', [{ propertyName: 'phone', operator: 'HAS_PROPERTY' }], (c) => c.properties.phone !== undefined],
      ['NOT_HAS_PROPERTY', [{ propertyName: 'jobtitle', operator: 'NOT_HAS_PROPERTY' }], (c) => c.properties.jobtitle === undefined],
      ['CONTAINS_TOKEN (word)', [{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: 'mail' }], (c) => /@mail\./.test(c.properties.email!)],
      ['CONTAINS_TOKEN (wildcard)', [{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@example.com' }], (c) => c.properties.email!.endsWith('@example.com')],
      ['IN', [{ propertyName: 'country', operator: 'IN', values: ['japan', 'kenya'] }], (c) => ['Japan', 'Kenya'].includes(c.properties.country!)],
      [
        'AND within a group',
        [
          { propertyName: 'country', operator: 'EQ', value: 'Brazil' },
          { propertyName: 'hubspotscore', operator: 'GTE', value: '30' },
        ],
        (c) => c.properties.country === 'Brazil' && Number(c.properties.hubspotscore) >= 30,
      ],
    ];
    for (const [label, filters, predicate] of cases) {
      it(`filter ${label}`, async () => {
        const expected = live().filter(predicate).map((c) => c.id);
        assert.ok(expected.length > 0 && expected.length < 143, `a meaningful case (${expected.length})`);
        const { ids, totals } = await searchAll('contacts', { filterGroups: [{ filters }], limit: 25 });
        assert.deepEqual(ids, expected);
        assert.equal(totals[0], expected.length);
      });
    }

    it('BETWEEN on a datetime accepts epoch milliseconds; groups are OR-ed', async () => {
      const c = live();
      const lo = Date.parse(c[20]!.properties.createdate!);
      const hi = Date.parse(c[40]!.properties.createdate!);
      const { ids } = await searchAll('contacts', {
        filterGroups: [
          { filters: [{ propertyName: 'createdate', operator: 'BETWEEN', value: String(lo), highValue: String(hi) }] },
          { filters: [{ propertyName: 'hs_object_id', operator: 'EQ', value: c[100]!.id }] },
        ],
        limit: 100,
      });
      assert.deepEqual(ids, [...c.slice(20, 41), c[100]!].map((x) => x.id));
    });

    it('query, sorts and properties', async () => {
      const who = live()[7]!;
      const q = await search('contacts', { query: who.properties.lastname!.toLowerCase(), limit: 200 });
      assert.ok(q.json.results.some((o: { id: string }) => o.id === who.id));
      assert.equal(q.json.total, live().filter((c) => ['firstname', 'lastname', 'email', 'phone', 'company'].some((p) => (c.properties[p] ?? '').toLowerCase().includes(who.properties.lastname!.toLowerCase()))).length);
      const sorted = await search('contacts', { sorts: [{ propertyName: 'hubspotscore', direction: 'DESCENDING' }], properties: ['hubspotscore'], limit: 200 });
      const scores = sorted.json.results.map((o: { properties: { hubspotscore: string } }) => Number(o.properties.hubspotscore));
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
      assert.deepEqual(Object.keys(sorted.json.results[0].properties), ['createdate', 'hs_object_id', 'hubspotscore', 'lastmodifieddate']);
      const companies = await search('companies', { filterGroups: [{ filters: [{ propertyName: 'domain', operator: 'EQ', value: hs.companies[2]!.properties.domain }] }] });
      assert.deepEqual(companies.json.results.map((o: { id: string }) => o.id), [hs.companies[2]!.id]);
    });

    it('validation errors are 400 VALIDATION_ERROR; a non-JSON content type is 415', async () => {
      const bad: unknown[] = [
        { limit: 201 },
        { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }] },
        { filterGroups: [{ filters: [{ operator: 'EQ', value: 'x' }] }] },
        { filterGroups: Array.from({ length: 6 }, () => ({ filters: [{ propertyName: 'email', operator: 'HAS_PROPERTY' }] })) },
        { filterGroups: [{ filters: Array.from({ length: 7 }, () => ({ propertyName: 'email', operator: 'HAS_PROPERTY' })) }] },
        { filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GT', value: 'yesterday' }] }] },
        { after: 9990, limit: 20 },
        '{"limit": 10,',
      ];
      for (const body of bad) {
        const r = await search('contacts', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.status, 'error');
        assert.equal(r.json.category, 'VALIDATION_ERROR');
        assert.match(r.json.correlationId, UUID);
      }
      const notJson = await search('contacts', '{}', { 'content-type': 'text/plain' });
      assert.equal(notJson.status, 415);
      assert.equal(notJson.json.status, 'error');
    });

    it('serves at most 10,000 results: the page ending at 10,000 still offers after=10000, which is 400', async () => {
      const big = await startHubSpot({ contacts: 10_050, companies: 0, rateLimitMax: 1000 });
      try {
        let afterCursor: string | undefined;
        let count = 0;
        let total = 0;
        for (;;) {
          const r: Reply = await call(`${big.url}/crm/v3/objects/contacts/search`, {
            method: 'POST',
            headers: { authorization: big.bearerAuth, 'content-type': 'application/json' },
            body: JSON.stringify({ limit: 200, ...(afterCursor ? { after: afterCursor } : {}) }),
          });
          if (r.status !== 200) {
            assert.equal(r.status, 400);
            assert.equal(r.json.category, 'VALIDATION_ERROR');
            break;
          }
          total = r.json.total;
          count += r.json.results.length;
          afterCursor = r.json.paging?.next?.after;
          assert.ok(afterCursor, 'more results remain past 10,000');
        }
        assert.equal(total, 10_050);
        assert.equal(count, 10_000);
        assert.equal(afterCursor, '10000');
      } finally {
        await big.close();
      }
    });
  });

  describe('rate limits and faults', () => {
    it('list and get carry X-HubSpot-RateLimit-* headers that count down; search does not', async () => {
      const a = await get('/crm/v3/objects/contacts?limit=1');
      const b = await get('/crm/v3/objects/contacts?limit=1');
      assert.equal(a.headers.get('x-hubspot-ratelimit-max'), '100');
      assert.equal(a.headers.get('x-hubspot-ratelimit-interval-milliseconds'), '10000');
      assert.equal(a.headers.get('x-hubspot-ratelimit-daily'), '250000');
      assert.equal(Number(b.headers.get('x-hubspot-ratelimit-remaining')), Number(a.headers.get('x-hubspot-ratelimit-remaining')) - 1);
      assert.equal(Number(b.headers.get('x-hubspot-ratelimit-daily-remaining')), Number(a.headers.get('x-hubspot-ratelimit-daily-remaining')) - 1);
      assert.ok(a.headers.get('x-hubspot-ratelimit-secondly'));
      const s = await search('contacts', { limit: 1 });
      assert.equal(s.headers.get('x-hubspot-ratelimit-max'), null);
    });

    it('rateLimitNext(n) gives n 429s with the documented body, then normal answers', async () => {
      hs.rateLimitNext(2);
      for (let i = 0; i < 2; i++) {
        const r = await get('/crm/v3/objects/contacts?limit=1');
        assert.equal(r.status, 429);
        assert.deepEqual(Object.keys(r.json), ['status', 'message', 'errorType', 'correlationId', 'policyName', 'requestId']);
        assert.equal(r.json.message, 'You have reached your ten_secondly_rolling limit.');
        assert.equal(r.json.errorType, 'RATE_LIMIT');
        assert.equal(r.json.policyName, 'TEN_SECONDLY_ROLLING');
        assert.equal(r.headers.get('x-hubspot-ratelimit-remaining'), '0');
        assert.equal(r.headers.get('retry-after'), null);
        assert.equal(r.headers.get('x-hubspot-correlation-id'), r.json.correlationId);
      }
      assert.equal((await get('/crm/v3/objects/contacts?limit=1')).status, 200);
      hs.rateLimitNext(1, { policy: 'DAILY', retryAfter: 2 });
      const daily = await search('contacts', {});
      assert.equal(daily.status, 429);
      assert.equal(daily.json.message, 'You have reached your daily limit.');
      assert.equal(daily.headers.get('retry-after'), '2');
    });

    it('an exhausted ten-second window gives one 429 and refills; an exhausted day keeps answering 429', async () => {
      hs.window.remaining = 0;
      assert.equal((await get('/crm/v3/objects/contacts?limit=1')).status, 429);
      const ok = await get('/crm/v3/objects/contacts?limit=1');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-hubspot-ratelimit-remaining'), '99');
      hs.window.dailyRemaining = 0;
      for (let i = 0; i < 2; i++) assert.equal((await get('/crm/v3/objects/contacts?limit=1')).json.policyName, 'DAILY');
      hs.window.dailyRemaining = 1000;
      assert.equal((await get('/crm/v3/objects/contacts?limit=1')).status, 200);
    });

    it('failNext injects one reply; requests are recorded with their body', async () => {
      hs.failNext({ status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } });
      const r = await get('/crm/v3/objects/contacts');
      assert.equal(r.status, 502);
      assert.equal(r.text, '<html>Bad Gateway</html>');
      assert.ok(r.headers.get('x-hubspot-correlation-id'));
      const n = hs.requests.length;
      await search('contacts', { limit: 3 });
      assert.equal(hs.requests[n]!.method, 'POST');
      assert.equal(hs.requests[n]!.url, '/crm/v3/objects/contacts/search');
      assert.deepEqual(JSON.parse(hs.requests[n]!.body), { limit: 3 });
    });
  });

  it('the dataset is deterministic for a seed and sized by the options', () => {
    const a = hubspotDataset({ contacts: 20, companies: 5, seed: 9 });
    assert.deepEqual(a, hubspotDataset({ contacts: 20, companies: 5, seed: 9 }));
    assert.notDeepEqual(a, hubspotDataset({ contacts: 20, companies: 5, seed: 10 }));
    assert.equal(a.contacts.length, 20);
    assert.equal(a.companies.length, 5);
    assert.deepEqual(hubspotDataset({ contacts: 143, companies: 31, archivedContacts: 4, seed: 5 }).contacts, hs.contacts);
    assert.ok(a.contacts.every((c) => Object.values(c.properties).every((v) => typeof v === 'string')));
  });
});
