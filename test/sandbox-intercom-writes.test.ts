// Writes on the sandbox (contacts, notes, companies, tags, internal articles) and companies
// past 10,000 (page numbers and the scroll), over real HTTP with fetch. Time is the
// sandbox's injected clock, never the wall clock: a scroll expires when the test says so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPANY_PAGE_LIMIT, SCROLL_PAGE_SIZE, SCROLL_TTL_MS, startSandbox, type Company, type Contact, type SandboxOptions } from '../sandbox/index.js';
import { assertError, sandboxCall, scrollAll as followScroll, type ErrorList } from './support/sandbox-http.js';

/** A sandbox with its own clock, and fetch helpers bound to it. */
async function open(options: SandboxOptions = {}) {
  let clock = Date.UTC(2025, 6, 1, 12);
  const sb = await startSandbox({ seed: 5, counts: { contacts: 200, conversations: 10 }, now: () => clock, ...options });
  const call = sandboxCall(sb);
  return {
    sb,
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    put: (path: string, body: unknown) => call('PUT', path, body),
    call,
    advance: (ms: number) => {
      clock += ms;
    },
    nowSeconds: () => Math.floor(clock / 1000),
  };
}
type Client = Awaited<ReturnType<typeof open>>;

describe('sandbox writes', () => {
  let c: Client;
  before(async () => {
    c = await open();
  });
  after(() => c.sb.close());

  test('POST /contacts creates a contact that lists, gets and searches see', async () => {
    const before = await c.get('/contacts?per_page=150');
    const made = await c.post('/contacts', { email: 'Ada@Example.com', name: 'Ada', role: 'user', phone: '+353871234567', custom_attributes: { plan_tier: 'pro', seats: 3 } });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    const contact = made.json as Contact;
    assert.equal(contact.type, 'contact');
    assert.match(contact.id, /^[0-9a-f]{24}$/);
    assert.equal(contact.email, 'Ada@Example.com');
    assert.equal(contact.email_domain, 'example.com');
    assert.equal(contact.role, 'user');
    assert.equal(contact.created_at, c.nowSeconds());
    assert.equal(contact.workspace_id, c.sb.dataset.workspaceId);
    assert.deepEqual(contact.custom_attributes, { plan_tier: 'pro', seats: 3 });
    assert.deepEqual(contact.notes, { type: 'list', data: [], url: `/contacts/${contact.id}/notes`, total_count: 0, has_more: false });

    assert.deepEqual((await c.get(`/contacts/${contact.id}`)).json, contact);
    // The list answered before the write must not be replayed after it.
    const list = await c.get('/contacts?per_page=150');
    assert.equal(list.json.total_count, before.json.total_count + 1);
    let page = list;
    const ids: string[] = [];
    for (;;) {
      ids.push(...(page.json.data as Contact[]).map((x) => x.id));
      const next = page.json.pages.next?.starting_after;
      if (!next) break;
      page = await c.get(`/contacts?per_page=150&starting_after=${encodeURIComponent(next)}`);
    }
    assert.equal(ids.at(-1), contact.id, 'the newest contact lists last');
    const found = await c.post('/contacts/search', { query: { field: 'email', operator: '=', value: 'ada@example.com' } });
    assert.deepEqual(found.json.data.map((x: Contact) => x.id), [contact.id]);
    const lead = await c.post('/contacts', { role: 'lead' });
    assert.equal(lead.status, 200);
    assert.equal(lead.json.role, 'lead');
    assert.equal(lead.json.email, null);
  });

  test('a duplicate email or external_id is a 409 naming the contact that has it', async () => {
    const first = await c.post('/contacts', { email: 'grace@example.com', external_id: 'ext-1' });
    assert.equal(first.status, 200);
    const id = first.json.id as string;
    const message = `A contact matching those details already exists with id=${id}`;
    assertError(await c.post('/contacts', { email: 'GRACE@example.com' }), 409, 'conflict', message);
    assertError(await c.post('/contacts', { external_id: 'ext-1', email: 'other@example.com' }), 409, 'conflict', message);
    const generated = c.sb.dataset.contactAt(17);
    assertError(await c.post('/contacts', { email: generated.email }), 409, 'conflict', `A contact matching those details already exists with id=${generated.id}`);
    // Nothing was created by the refused attempts.
    const search = await c.post('/contacts/search', { query: { field: 'email', operator: '=', value: 'grace@example.com' } });
    assert.equal(search.json.total_count, 1);
  });

  test('create refuses what the spec refuses, with error.list bodies', async () => {
    assertError(await c.post('/contacts', {}), 400, 'parameter_invalid', /email or an external_id/);
    assertError(await c.post('/contacts', { role: 'admin', email: 'x@example.com' }), 400, 'parameter_invalid', /role/);
    assertError(await c.post('/contacts', { email: 42 }), 400, 'parameter_invalid', 'email must be a string');
    assertError(await c.post('/contacts', { email: 'y@example.com', signed_up_at: 'yesterday' }), 400, 'parameter_invalid', /signed_up_at/);
    assertError(await c.post('/contacts', { email: 'y@example.com', owner_id: 1 }), 400, 'parameter_invalid', 'The owner specified is not a member of the workspace');
    assertError(await c.post('/contacts', { email: 'y@example.com', custom_attributes: { favourite_colour: 'blue' } }), 400, 'parameter_invalid', /favourite_colour/);
    assertError(await c.post('/contacts', { email: 'y@example.com', custom_attributes: { seats: 'many' } }), 400, 'parameter_invalid', /seats/);
    // Not JSON: the wrong media type, a broken document, or JSON that is not an object.
    assertError(await c.call('POST', '/contacts', 'email=y@example.com', { 'Content-Type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    assertError(await c.call('POST', '/contacts', '{"email": ', { 'Content-Type': 'application/json' }), 400, 'parameter_invalid', /not valid JSON/);
    assertError(await c.call('POST', '/contacts', '[1,2]', { 'Content-Type': 'application/json' }), 400, 'parameter_invalid', /JSON object/);
    // Writes need the token like reads, checked before the body is looked at.
    const anonymous = await fetch(`${c.sb.url}/contacts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"email":"z@example.com"}' });
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as ErrorList).errors[0]?.code, 'unauthorized');
    const wrongMethod = await c.call('DELETE', '/contacts');
    assertError(wrongMethod, 405, 'method_not_allowed');
  });

  test('PUT /contacts/{id} updates; later reads and searches see the change; 404 and 409 as upstream', async () => {
    const target = c.sb.dataset.contactAt(3);
    c.advance(5_000);
    const updated = await c.put(`/contacts/${target.id}`, { name: 'Renamed Person', email: 'renamed@example.com', custom_attributes: { seats: 99 } });
    assert.equal(updated.status, 200, JSON.stringify(updated.json));
    assert.equal(updated.json.name, 'Renamed Person');
    assert.equal(updated.json.updated_at, c.nowSeconds());
    assert.equal(updated.json.created_at, target.created_at);
    assert.equal(updated.json.custom_attributes.seats, 99);
    assert.equal(updated.json.custom_attributes.plan_tier, target.custom_attributes.plan_tier, 'attributes not sent are kept');
    assert.deepEqual((await c.get(`/contacts/${target.id}`)).json, updated.json);
    const page = await c.get('/contacts?per_page=10');
    assert.equal(page.json.data[3].name, 'Renamed Person');
    const byNew = await c.post('/contacts/search', { query: { field: 'email', operator: '=', value: 'renamed@example.com' } });
    assert.deepEqual(byNew.json.data.map((x: Contact) => x.id), [target.id]);
    const byOld = await c.post('/contacts/search', { query: { field: 'email', operator: '=', value: target.email } });
    assert.equal(byOld.json.total_count, 0);
    // Its old email is free again; taking another contact's is not.
    assert.equal((await c.post('/contacts', { email: target.email })).status, 200);
    const other = c.sb.dataset.contactAt(4);
    assertError(await c.put(`/contacts/${target.id}`, { email: other.email }), 409, 'conflict', `A contact matching those details already exists with id=${other.id}`);
    assertError(await c.put('/contacts/000000000000000000000000', { name: 'x' }), 404, 'not_found', 'User Not Found');
  });

  test('POST /contacts/{id}/notes returns the note and the contact lists it', async () => {
    const target = c.sb.dataset.contactAt(8);
    const admin = c.sb.dataset.admins[2]!;
    const before = (await c.get(`/contacts/${target.id}`)).json as Contact;
    const made = await c.post(`/contacts/${target.id}/notes`, { body: 'Hello', admin_id: admin.id });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    assert.deepEqual(made.json, {
      type: 'note',
      id: made.json.id,
      created_at: c.nowSeconds(),
      contact: { type: 'contact', id: target.id },
      author: admin,
      body: '<p>Hello</p>',
    });
    const afterwards = (await c.get(`/contacts/${target.id}`)).json as Contact;
    assert.equal(afterwards.notes.total_count, before.notes.total_count + 1);
    assert.deepEqual(afterwards.notes.data.at(-1), { type: 'note', id: made.json.id, url: `/notes/${made.json.id}` });
    assertError(await c.post('/contacts/000000000000000000000000/notes', { body: 'x' }), 404, 'not_found', 'User Not Found');
    assertError(await c.post(`/contacts/${target.id}/notes`, { body: 'x', admin_id: '123' }), 404, 'not_found', 'Resource Not Found');
    assertError(await c.post(`/contacts/${target.id}/notes`, { admin_id: admin.id }), 400, 'parameter_invalid', /body/);
  });

  test('POST /companies creates or updates by company_id; PUT /companies/{id} updates by Intercom id', async () => {
    const total = (await c.get('/companies')).json.total_count as number;
    const made = await c.post('/companies', { company_id: 'acme-1', name: 'Acme', plan: 'Pro', size: 40, monthly_spend: 155.98, custom_attributes: { industry: 'manufacturing' } });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    const company = made.json as Company;
    assert.equal(company.type, 'company');
    assert.equal(company.company_id, 'acme-1');
    assert.equal(company.monthly_spend, 155, 'floats are truncated');
    assert.equal(company.created_at, c.nowSeconds());
    assert.deepEqual(company.custom_attributes, { industry: 'manufacturing' });
    assert.deepEqual((await c.get(`/companies/${company.id}`)).json, company);
    assert.equal((await c.get('/companies')).json.total_count, total + 1);
    assert.deepEqual((await c.get('/companies?company_id=acme-1')).json.data, [company]);

    c.advance(1_000);
    const again = await c.post('/companies', { company_id: 'acme-1', name: 'Acme Ltd' });
    assert.equal(again.json.id, company.id, 'the same company, updated');
    assert.equal(again.json.name, 'Acme Ltd');
    assert.equal(again.json.size, 40);
    assert.equal(again.json.updated_at, c.nowSeconds());
    assert.equal((await c.get('/companies')).json.total_count, total + 1);

    const put = await c.put(`/companies/${company.id}`, { website: 'https://acme.example', industry: 'Manufacturing' });
    assert.equal(put.status, 200);
    assert.equal((await c.get(`/companies/${company.id}`)).json.website, 'https://acme.example');
    const generated = c.sb.dataset.companies[2]!;
    const renamed = await c.put(`/companies/${generated.id}`, { name: 'Renamed Co' });
    assert.equal(renamed.json.company_id, generated.company_id);
    assert.equal((await c.get(`/companies?company_id=${generated.company_id}`)).json.data[0].name, 'Renamed Co');

    // The spec's example of an unknown parameter, and what cannot be changed or is missing.
    assertError(await c.post('/companies', { test: 'invalid' }), 400, 'bad_request', "bad 'test' parameter");
    assertError(await c.put(`/companies/${company.id}`, { company_id: 'other' }), 400, 'bad_request', "bad 'company_id' parameter");
    assertError(await c.post('/companies', { name: 'No id' }), 400, 'parameter_invalid', /company_id/);
    assertError(await c.post('/companies', { company_id: 'acme-2', size: 'big' }), 400, 'parameter_invalid', /size/);
    assertError(await c.put('/companies/nope', { name: 'x' }), 404, 'company_not_found', 'Company Not Found');
  });

  test('POST /tags creates by name (case-insensitive) or renames by id', async () => {
    const made = await c.post('/tags', { name: 'Ambassador' });
    assert.equal(made.status, 200);
    assert.deepEqual(made.json, { type: 'tag', id: made.json.id, name: 'Ambassador' });
    assert.equal((await c.post('/tags', { name: 'AMBASSADOR' })).json.id, made.json.id, 'names are case-insensitive');
    const list = await c.get('/tags');
    assert.ok((list.json.data as { id: string }[]).some((t) => t.id === made.json.id));
    assert.equal((await c.get(`/tags/${made.json.id}`)).json.name, 'Ambassador');
    const renamed = await c.post('/tags', { id: made.json.id, name: 'Champion' });
    assert.deepEqual(renamed.json, { type: 'tag', id: made.json.id, name: 'Champion' });
    assert.equal((await c.get(`/tags/${made.json.id}`)).json.name, 'Champion');
    assertError(await c.post('/tags', { test: 'invalid' }), 400, 'parameter_invalid', 'invalid tag parameters');
    assertError(await c.post('/tags', { id: '1', name: 'x' }), 404, 'not_found');
  });

  test('internal articles: in Unstable and 2.16 (the spec), not in older versions', async () => {
    const unstable = { 'Intercom-Version': 'Unstable' };
    const admin = Number(c.sb.dataset.admins[0]!.id);
    const made = await c.post('/internal_articles', { title: 'Refund policy', body: '<p>30 days</p>', owner_id: admin, author_id: admin }, unstable);
    assert.equal(made.status, 200, JSON.stringify(made.json));
    assert.deepEqual(made.json, {
      type: 'internal_article',
      id: made.json.id,
      title: 'Refund policy',
      body: '<p>30 days</p>',
      body_markdown: null,
      owner_id: admin,
      author_id: admin,
      created_at: c.nowSeconds(),
      updated_at: c.nowSeconds(),
      locale: 'en',
    });
    assert.deepEqual((await c.get(`/internal_articles/${made.json.id}`, unstable)).json, made.json);
    assert.deepEqual((await c.get('/internal_articles', unstable)).json.data, [made.json]);
    // The spec documents the operation in 2.16, the version a request without the header gets.
    assert.equal((await c.post('/internal_articles', { title: 'B', owner_id: admin, author_id: admin }, { 'Intercom-Version': '2.16' })).status, 200);
    assert.equal((await c.get(`/internal_articles/${made.json.id}`)).status, 200);
    for (const version of ['2.11', '2.15', '1.4']) {
      assertError(await c.post('/internal_articles', { title: 'C', owner_id: admin, author_id: admin }, { 'Intercom-Version': version }), 404, 'not_found', 'Resource Not Found');
      assertError(await c.get(`/internal_articles/${made.json.id}`, { 'Intercom-Version': version }), 404, 'not_found');
    }
    assertError(await c.post('/internal_articles', { title: 'C' }, { 'Intercom-Version': 'Nope' }), 400, 'intercom_version_invalid');
    // The spec's 400 for a missing author_id, and the same shape for the other required fields.
    assertError(await c.post('/internal_articles', { title: 'C', owner_id: admin }, unstable), 400, 'parameter_not_found', 'author_id must be in the main body or default locale translated_content object');
    assertError(await c.post('/internal_articles', { owner_id: admin, author_id: admin }, unstable), 400, 'parameter_not_found', /^title/);
    assertError(await c.post('/internal_articles', { title: 'C', owner_id: String(admin), author_id: admin }, unstable), 400, 'parameter_invalid', 'owner_id must be an integer');
    assertError(await c.get('/internal_articles/999999', unstable), 404, 'not_found', 'Resource Not Found');
  });
});

describe('companies past 10,000', () => {
  const COMPANIES = 10_500;
  let c: Client;
  before(async () => {
    c = await open({ counts: { contacts: 10, conversations: 1, companies: COMPANIES } });
  });
  after(() => c.sb.close());

  /** Follows one scroll to its empty page; the ids in order. */
  const scrollAll = (onPage?: (n: number) => Promise<void>): Promise<string[]> => followScroll(c.call, onPage);

  test('page numbers reach only the first 10,000 companies; past them, the 400 that points to the scroll', async () => {
    const straddling = await c.get('/companies?per_page=60&page=167');
    assert.equal(straddling.status, 200);
    assert.equal(straddling.json.total_count, COMPANIES);
    assert.equal(straddling.json.pages.total_pages, Math.ceil(COMPANIES / 60));
    assert.deepEqual(straddling.json.data.map((x: Company) => x.id), c.sb.dataset.companies.slice(9960, COMPANY_PAGE_LIMIT).map((x) => x.id));
    assertError(await c.get('/companies?per_page=60&page=168'), 400, 'bad_request', 'page limit reached, please use scroll API');
    assert.equal((await c.get('/companies?per_page=50&page=200')).json.data.length, 50);
    assertError(await c.get('/companies?per_page=50&page=201'), 400, 'bad_request', 'page limit reached, please use scroll API');
  });

  test('the scroll serves every company exactly once, companies created meanwhile included', async () => {
    let created: string | undefined;
    const ids = await scrollAll(async (n) => {
      if (n === 3) created = (await c.post('/companies', { company_id: 'during-scroll', name: 'Late Co' })).json.id;
    });
    assert.equal(ids.length, COMPANIES + 1);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(ids.slice(0, COMPANIES), c.sb.dataset.companies.map((x) => x.id));
    assert.equal(ids.at(-1), created);
  });

  test('the empty page ends the scroll: its param is gone and a new scroll can open', async () => {
    const first = await c.get('/companies/scroll');
    const param = first.json.scroll_param as string;
    let r = first;
    while (r.json.data.length > 0) r = await c.get(`/companies/scroll?scroll_param=${param}`);
    assertError(await c.get(`/companies/scroll?scroll_param=${param}`), 404, 'not_found', 'scroll parameter not found');
    const next = await c.get('/companies/scroll');
    assert.equal(next.status, 200);
    assert.notEqual(next.json.scroll_param, param);
    c.advance(SCROLL_TTL_MS); // let it expire for the next test
  });

  test('one scroll open at a time: opening a second is the 400 scroll_exists', async () => {
    const first = await c.get('/companies/scroll');
    assert.equal(first.status, 200);
    assertError(await c.get('/companies/scroll'), 400, 'scroll_exists', 'scroll already exists for this workspace');
    // The open one goes on undisturbed.
    const second = await c.get(`/companies/scroll?scroll_param=${first.json.scroll_param}`);
    assert.equal(second.status, 200);
    assert.deepEqual(second.json.data.map((x: Company) => x.id), c.sb.dataset.companies.slice(SCROLL_PAGE_SIZE, 2 * SCROLL_PAGE_SIZE).map((x) => x.id));
    c.advance(SCROLL_TTL_MS);
  });

  test('a scroll unused for a minute expires (on the injected clock)', async () => {
    const first = await c.get('/companies/scroll');
    const param = first.json.scroll_param as string;
    c.advance(SCROLL_TTL_MS - 1);
    assert.equal((await c.get(`/companies/scroll?scroll_param=${param}`)).status, 200, 'just under a minute: still open');
    c.advance(SCROLL_TTL_MS - 1);
    assert.equal((await c.get(`/companies/scroll?scroll_param=${param}`)).status, 200, 'each use restarts the minute');
    c.advance(SCROLL_TTL_MS);
    assertError(await c.get(`/companies/scroll?scroll_param=${param}`), 404, 'not_found', 'scroll parameter not found');
    assert.equal((await c.get('/companies/scroll')).status, 200, 'an expired scroll no longer blocks a new one');
    c.advance(SCROLL_TTL_MS);
  });

  test('a 500 on the scroll (fault) ends it: restart from the beginning, every company once', async () => {
    c.sb.setFaults([{ kind: 'server_error', every: 3, path: '/companies/scroll', limit: 1 }]);
    c.sb.resetStats();
    try {
      const first = await c.get('/companies/scroll');
      await c.get('/contacts'); // other paths do not move the scroll's numbering
      const second = await c.get(`/companies/scroll?scroll_param=${first.json.scroll_param}`);
      assert.equal(second.status, 200);
      assertError(
        await c.get(`/companies/scroll?scroll_param=${first.json.scroll_param}`),
        500,
        'server_error',
        'Request failed due to an internal network error. Please restart the scroll operation.',
      );
      assert.equal(c.sb.stats.faults.server_error, 1);
      assertError(await c.get(`/companies/scroll?scroll_param=${first.json.scroll_param}`), 404, 'not_found', 'scroll parameter not found');
      const ids = await scrollAll();
      assert.equal(ids.length, COMPANIES + 1);
      assert.equal(new Set(ids).size, ids.length);
    } finally {
      c.sb.setFaults([]);
    }
  });
});
