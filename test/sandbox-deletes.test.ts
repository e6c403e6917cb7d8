// Deletions on the sandbox (DELETE /contacts/{id}, DELETE /companies/{id}, OpenAPI 2.16
// DeleteContact and deleteCompany), over real HTTP on 127.0.0.1 with fetch: a deleted record is
// gone from lists, gets, searches and the scroll, and paging still serves every live record
// exactly once, deletions between two pages of the same walk included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Company, type Contact, type SandboxOptions } from '../sandbox/index.js';
import { assertError, sandboxCall, scrollAll, type ErrorList } from './support/sandbox-http.js';

async function open(options: SandboxOptions = {}) {
  const sb = await startSandbox({ seed: 11, counts: { contacts: 60, conversations: 5, companies: 40 }, ...options });
  const call = sandboxCall(sb);
  const c = {
    sb,
    call,
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown) => call('POST', path, body),
    put: (path: string, body: unknown) => call('PUT', path, body),
    del: (path: string) => call('DELETE', path),
    /** Contact ids in list order, generated ones by position. */
    contactId: (i: number) => sb.dataset.contactAt(i).id,
    /** Follows GET /contacts to its end; every page's total_count and total_pages with it. */
    async walkContacts(perPage: number, between?: (page: number, served: Contact[]) => Promise<void>) {
      const ids: string[] = [];
      const pages: { total_count: number; total_pages: number; size: number }[] = [];
      let path = `/contacts?per_page=${perPage}`;
      for (let n = 1; ; n++) {
        const r = await call('GET', path);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        const data = r.json.data as Contact[];
        ids.push(...data.map((x) => x.id));
        pages.push({ total_count: r.json.total_count, total_pages: r.json.pages.total_pages, size: data.length });
        assert.equal(r.json.pages.page, n);
        const next = r.json.pages.next as { page: number; starting_after: string } | undefined;
        if (!next) break;
        assert.equal(next.page, n + 1);
        assert.equal(data.length, perPage, 'only the last page may be short');
        if (between) await between(n, data);
        path = `/contacts?per_page=${perPage}&starting_after=${encodeURIComponent(next.starting_after)}`;
      }
      return { ids, pages };
    },
    async searchAll(query: unknown, perPage: number, between?: (page: number, served: Contact[]) => Promise<void>) {
      const ids: string[] = [];
      let total = -1;
      let startingAfter: string | undefined;
      for (let n = 1; ; n++) {
        const r = await call('POST', '/contacts/search', { query, pagination: { per_page: perPage, ...(startingAfter ? { starting_after: startingAfter } : {}) } });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        const data = r.json.data as Contact[];
        ids.push(...data.map((x) => x.id));
        if (n === 1) total = r.json.total_count;
        startingAfter = r.json.pages.next?.starting_after;
        if (!startingAfter) break;
        if (between) await between(n, data);
      }
      return { ids, total };
    },
    async companyPages(perPage: number) {
      const ids: string[] = [];
      const first = await call('GET', `/companies?per_page=${perPage}`);
      assert.equal(first.status, 200);
      const totalPages = first.json.pages.total_pages as number;
      for (let p = 1; p <= totalPages; p++) {
        const r = p === 1 ? first : await call('GET', `/companies?per_page=${perPage}&page=${p}`);
        assert.equal(r.json.total_count, first.json.total_count);
        assert.equal(r.json.pages.total_pages, totalPages);
        ids.push(...(r.json.data as Company[]).map((x) => x.id));
      }
      // The page after the last is empty.
      assert.deepEqual((await call('GET', `/companies?per_page=${perPage}&page=${totalPages + 1}`)).json.data, []);
      return { ids, total: first.json.total_count as number, totalPages };
    },
    scrollAll: (between?: (page: number) => Promise<void>) => scrollAll(call, between),
  };
  return c;
}
type Client = Awaited<ReturnType<typeof open>>;

const without = (ids: readonly string[], gone: Iterable<string>): string[] => {
  const out = new Set(gone);
  return ids.filter((id) => !out.has(id));
};

const assertOnce = (ids: readonly string[]): void => assert.equal(new Set(ids).size, ids.length, 'an id was served twice');

describe('DELETE /contacts/{id}', () => {
  let c: Client;
  before(async () => {
    c = await open();
  });
  after(() => c.sb.close());

  test('answers contact_deleted; the contact is gone from get, list, search and the other writes', async () => {
    const target = c.sb.dataset.contactAt(10);
    const listBefore = await c.get('/contacts?per_page=150');
    assert.ok((listBefore.json.data as Contact[]).some((x) => x.id === target.id));
    // Served before the deletion, so the replay cache holds it; it must not be replayed after.
    assert.equal((await c.get(`/contacts/${target.id}`)).status, 200);

    const deleted = await c.del(`/contacts/${target.id}`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
    assert.deepEqual(deleted.json, { type: 'contact', id: target.id, external_id: target.external_id, deleted: true });
    assert.match(deleted.headers.get('content-type') ?? '', /^application\/json/);

    assertError(await c.get(`/contacts/${target.id}`), 404, 'not_found', 'User Not Found');
    assertError(await c.del(`/contacts/${target.id}`), 404, 'not_found', 'User Not Found');
    assertError(await c.del('/contacts/000000000000000000000000'), 404, 'not_found', 'User Not Found');
    assertError(await c.put(`/contacts/${target.id}`, { name: 'Ghost' }), 404, 'not_found', 'User Not Found');
    assertError(await c.post(`/contacts/${target.id}/notes`, { body: 'hello' }), 404, 'not_found', 'User Not Found');

    const listAfter = await c.get('/contacts?per_page=150');
    assert.equal(listAfter.json.total_count, listBefore.json.total_count - 1);
    assert.deepEqual(
      (listAfter.json.data as Contact[]).map((x) => x.id),
      without((listBefore.json.data as Contact[]).map((x) => x.id), [target.id]),
    );

    // No query finds it: not by id, not by email, not by a query matching everyone.
    for (const query of [
      { field: 'id', operator: '=', value: target.id },
      { field: 'email', operator: '=', value: target.email },
      { field: 'id', operator: 'IN', value: [target.id, c.contactId(11)] },
    ]) {
      const r = await c.post('/contacts/search', { query });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.ok(!(r.json.data as Contact[]).some((x) => x.id === target.id), JSON.stringify(query));
    }
    const everyone = await c.searchAll({ field: 'id', operator: '!=', value: 'nobody' }, 150);
    assert.equal(everyone.total, listAfter.json.total_count);
    assert.deepEqual(everyone.ids, (listAfter.json.data as Contact[]).map((x) => x.id));
  });

  test('a created contact can be deleted too, and a lead without external_id answers external_id null', async () => {
    const made = await c.post('/contacts', { role: 'lead', name: 'Passing Lead' });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    const id = made.json.id as string;
    assert.deepEqual((await c.del(`/contacts/${id}`)).json, { type: 'contact', id, external_id: null, deleted: true });
    assertError(await c.get(`/contacts/${id}`), 404, 'not_found', 'User Not Found');
    const list = await c.get('/contacts?per_page=150');
    assert.ok(!(list.json.data as Contact[]).some((x) => x.id === id));
  });

  test('writes need the bearer token; other methods answer 405 with Allow', async () => {
    const target = c.contactId(20);
    const anonymous = await fetch(`${c.sb.url}/contacts/${target}`, { method: 'DELETE' });
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as ErrorList).errors[0]?.code, 'unauthorized');
    const wrong = await fetch(`${c.sb.url}/contacts/${target}`, { method: 'DELETE', headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    assert.equal((await c.get(`/contacts/${target}`)).status, 200, 'a refused delete deletes nothing');

    const patch = await c.call('PATCH', `/contacts/${target}`);
    assertError(patch, 405, 'method_not_allowed');
    assert.deepEqual(patch.headers.get('allow')?.split(', ').sort(), ['DELETE', 'GET', 'HEAD', 'PUT']);
    const onList = await c.del('/contacts');
    assertError(onList, 405, 'method_not_allowed');
    assert.deepEqual(onList.headers.get('allow')?.split(', ').sort(), ['GET', 'HEAD', 'POST']);
    const onNotes = await c.del(`/contacts/${target}/notes`);
    assertError(onNotes, 405, 'method_not_allowed');
    assert.equal(onNotes.headers.get('allow'), 'POST');
  });
});

describe('contact paging after deletions', () => {
  test('every live contact exactly once, deletions in the middle, at page boundaries, a whole page and the tail', async () => {
    const c = await open();
    try {
      const perPage = 7;
      const all = (await c.walkContacts(perPage)).ids;
      assert.equal(all.length, 60);
      // Add created contacts after the generated ones, so the tail mixes both kinds.
      for (const n of [1, 2, 3]) assert.equal((await c.post('/contacts', { email: `late${n}@example.com` })).status, 200);
      const withCreated = (await c.walkContacts(perPage)).ids;
      assert.equal(withCreated.length, 63);

      // 0: the very first; 6/7 and 13/14: the last of a page and the first of the next; 21..27: a
      // whole page; 40: the middle; 61, 62: created ones, the last contact of all.
      const positions = [0, 6, 7, 13, 14, 21, 22, 23, 24, 25, 26, 27, 40, 61, 62];
      const gone = positions.map((i) => withCreated[i] as string);
      for (const id of gone) assert.equal((await c.del(`/contacts/${id}`)).status, 200);

      const expected = without(withCreated, gone);
      for (const size of [perPage, 1, 2, 5, 8, 48, 150]) {
        const { ids, pages } = await c.walkContacts(size);
        assertOnce(ids);
        assert.deepEqual(ids, expected, `per_page=${size}`);
        for (const p of pages) {
          assert.equal(p.total_count, expected.length);
          assert.equal(p.total_pages, Math.ceil(expected.length / size));
        }
        assert.equal(pages.length, Math.ceil(expected.length / size), 'no empty page at the end');
      }

      // Deleting everything left on the last page: the page before it announces no next page.
      const lastPage = expected.slice(Math.floor((expected.length - 1) / perPage) * perPage);
      for (const id of lastPage) assert.equal((await c.del(`/contacts/${id}`)).status, 200);
      const shorter = without(expected, lastPage);
      const walked = await c.walkContacts(perPage);
      assert.deepEqual(walked.ids, shorter);
      assert.equal(walked.pages.length, Math.ceil(shorter.length / perPage));
    } finally {
      await c.sb.close();
    }
  });

  test('a deletion between two pages of one walk skips no live contact', async () => {
    const c = await open();
    try {
      const perPage = 5;
      const all = (await c.walkContacts(perPage)).ids;
      const deletedMeanwhile = new Set<string>();
      const served = await c.walkContacts(perPage, async (page, data) => {
        const del = async (id: string) => {
          assert.equal((await c.del(`/contacts/${id}`)).status, 200);
          deletedMeanwhile.add(id);
        };
        const lastServed = data[data.length - 1]!.id;
        const at = all.indexOf(lastServed);
        if (page === 1) await del(lastServed); // the contact the cursor names
        if (page === 2) await del(all[at + 1]!); // the first of the next page
        if (page === 3) {
          await del(lastServed);
          await del(all[at + 1]!);
          await del(all[at + 2]!);
        }
        if (page === 4) await del(all[0]!); // one already served
        if (page === 5) for (let k = 1; k <= perPage; k++) await del(all[at + k]!); // the whole next page
      });
      assertOnce(served.ids);
      // Served: every contact except the ones deleted before their turn came.
      const unserved = [...deletedMeanwhile].filter((id) => !served.ids.includes(id));
      assert.deepEqual(served.ids, without(all, unserved));
      // Nothing still live was missed.
      const live = (await c.walkContacts(150)).ids;
      assert.deepEqual(live, without(all, deletedMeanwhile));
      assert.ok(live.every((id) => served.ids.includes(id)));
    } finally {
      await c.sb.close();
    }
  });

  test('a search cursor resumes after a contact deleted since its page', async () => {
    const c = await open();
    try {
      const query = { field: 'id', operator: '!=', value: 'nobody' };
      const all = (await c.searchAll(query, 6)).ids;
      assert.equal(all.length, 60);
      const deletedMeanwhile = new Set<string>();
      const served = await c.searchAll(query, 6, async (page, data) => {
        const at = all.indexOf(data[data.length - 1]!.id);
        for (const id of page === 1 ? [all[at]!, all[at + 1]!] : page === 2 ? [all[at]!] : []) {
          assert.equal((await c.del(`/contacts/${id}`)).status, 200);
          deletedMeanwhile.add(id);
        }
      });
      assertOnce(served.ids);
      const unserved = [...deletedMeanwhile].filter((id) => !served.ids.includes(id));
      assert.deepEqual(served.ids, without(all, unserved));
      const after = await c.searchAll(query, 6);
      assert.equal(after.total, 60 - deletedMeanwhile.size);
      assert.deepEqual(after.ids, without(all, deletedMeanwhile));
      // A sorted search skips them as well.
      const sorted = await c.post('/contacts/search', { query, sort: { field: 'created_at', order: 'descending' }, pagination: { per_page: 150 } });
      assert.deepEqual([...(sorted.json.data as Contact[]).map((x) => x.id)].sort(), [...after.ids].sort());
    } finally {
      await c.sb.close();
    }
  });
});

describe('recreating a deleted contact', () => {
  test('its email and external_id are free again (uniqueness index built before the deletion)', async () => {
    const c = await open();
    try {
      const target = c.sb.dataset.contactAt(4);
      // A conflict first, so the uniqueness index exists before the deletion.
      assertError(await c.post('/contacts', { email: target.email }), 409, 'conflict');
      assert.equal((await c.del(`/contacts/${target.id}`)).status, 200);
      const again = await c.post('/contacts', { email: target.email.toUpperCase(), external_id: target.external_id ?? 'ext-4' });
      assert.equal(again.status, 200, JSON.stringify(again.json));
      assert.notEqual(again.json.id, target.id);
      assert.equal((await c.get(`/contacts/${again.json.id}`)).json.email, target.email.toUpperCase());
      // Now the new one holds the email.
      assertError(await c.post('/contacts', { email: target.email }), 409, 'conflict', `A contact matching those details already exists with id=${again.json.id}`);
      const found = await c.post('/contacts/search', { query: { field: 'email', operator: '=', value: target.email } });
      assert.deepEqual((found.json.data as Contact[]).map((x) => x.id), [again.json.id]);
      // Deleting the recreated one frees it once more.
      assert.equal((await c.del(`/contacts/${again.json.id}`)).status, 200);
      assert.equal((await c.post('/contacts', { email: target.email })).status, 200);
    } finally {
      await c.sb.close();
    }
  });

  test('its email is free again (uniqueness index built after the deletion); a live contact still conflicts', async () => {
    const c = await open();
    try {
      const target = c.sb.dataset.contactAt(8);
      const other = c.sb.dataset.contactAt(9);
      assert.equal((await c.del(`/contacts/${target.id}`)).status, 200);
      assert.equal((await c.post('/contacts', { email: target.email })).status, 200);
      assertError(await c.post('/contacts', { email: other.email }), 409, 'conflict');
      // An update may take a deleted contact's email too.
      const t2 = c.sb.dataset.contactAt(12);
      assert.equal((await c.del(`/contacts/${t2.id}`)).status, 200);
      assert.equal((await c.put(`/contacts/${other.id}`, { email: t2.email })).status, 200);
    } finally {
      await c.sb.close();
    }
  });
});

describe('DELETE /companies/{id}', () => {
  let c: Client;
  before(async () => {
    c = await open();
  });
  after(() => c.sb.close());

  test('answers deleted_company_object; gone from get, list and lookups; 404 company_not_found after', async () => {
    const target = c.sb.dataset.companies[3]!;
    assert.equal((await c.get(`/companies/${target.id}`)).status, 200);
    const before = await c.companyPages(60);
    const deleted = await c.del(`/companies/${target.id}`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
    assert.deepEqual(deleted.json, { id: target.id, object: 'company', deleted: true });
    assertError(await c.get(`/companies/${target.id}`), 404, 'company_not_found', 'Company Not Found');
    assertError(await c.del(`/companies/${target.id}`), 404, 'company_not_found', 'Company Not Found');
    assertError(await c.del('/companies/nope'), 404, 'company_not_found', 'Company Not Found');
    assertError(await c.put(`/companies/${target.id}`, { name: 'Ghost' }), 404, 'company_not_found', 'Company Not Found');
    assertError(await c.get(`/companies?company_id=${encodeURIComponent(target.company_id)}`), 404, 'company_not_found', 'Company Not Found');
    const after = await c.companyPages(60);
    assert.equal(after.total, before.total - 1);
    assert.deepEqual(after.ids, without(before.ids, [target.id]));
  });

  test('contacts attached to a deleted company are detached from it, not deleted', async () => {
    let holder: Contact | undefined;
    for (let i = 0; i < 60 && !holder; i++) {
      const contact = c.sb.dataset.contactAt(i);
      if (contact.companies.data.length > 0) holder = contact;
    }
    assert.ok(holder, 'the dataset has a contact with a company');
    const companyId = holder.companies.data[0]!.id;
    assert.equal((await c.del(`/companies/${companyId}`)).status, 200);
    const got = await c.get(`/contacts/${holder.id}`);
    assert.equal(got.status, 200);
    const refs = (got.json as Contact).companies;
    assert.deepEqual(refs.data.map((r) => r.id), holder.companies.data.map((r) => r.id).filter((id) => id !== companyId));
    assert.equal(refs.total_count, holder.companies.total_count - 1);
  });

  test('POST /companies with a deleted company_id makes a new company', async () => {
    const target = c.sb.dataset.companies[5]!;
    assert.equal((await c.del(`/companies/${target.id}`)).status, 200);
    const made = await c.post('/companies', { company_id: target.company_id, name: 'Phoenix' });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    assert.notEqual(made.json.id, target.id);
    assert.equal(made.json.name, 'Phoenix');
    assert.equal((await c.get(`/companies?company_id=${encodeURIComponent(target.company_id)}`)).json.data[0].id, made.json.id);
  });

  test('writes need the bearer token; other methods answer 405 with Allow', async () => {
    const target = c.sb.dataset.companies[7]!;
    const anonymous = await fetch(`${c.sb.url}/companies/${target.id}`, { method: 'DELETE' });
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    assert.equal((await c.get(`/companies/${target.id}`)).status, 200);
    const patch = await c.call('PATCH', `/companies/${target.id}`);
    assertError(patch, 405, 'method_not_allowed');
    assert.deepEqual(patch.headers.get('allow')?.split(', ').sort(), ['DELETE', 'GET', 'HEAD', 'PUT']);
    const onList = await c.del('/companies');
    assertError(onList, 405, 'method_not_allowed');
    assert.deepEqual(onList.headers.get('allow')?.split(', ').sort(), ['GET', 'HEAD', 'POST']);
  });
});

describe('company paging and scroll after deletions', () => {
  test('page numbers serve every live company exactly once; totals count live ones', async () => {
    const c = await open();
    try {
      const perPage = 5;
      const all = (await c.companyPages(perPage)).ids;
      assert.equal(all.length, 40);
      // First, page boundaries (4/5, 9/10), a whole page (15..19), the middle, the last.
      const gone = [0, 4, 5, 9, 10, 15, 16, 17, 18, 19, 27, 39].map((i) => all[i]!);
      for (const id of gone) assert.equal((await c.del(`/companies/${id}`)).status, 200);
      const expected = without(all, gone);
      for (const size of [perPage, 1, 3, 7, 60]) {
        const { ids, total, totalPages } = await c.companyPages(size);
        assertOnce(ids);
        assert.deepEqual(ids, expected, `per_page=${size}`);
        assert.equal(total, expected.length);
        assert.equal(totalPages, Math.ceil(expected.length / size));
      }
    } finally {
      await c.sb.close();
    }
  });

  test('the scroll skips deleted companies, and a deletion mid-scroll skips no live one', async () => {
    const c = await open({ counts: { contacts: 10, conversations: 1, companies: 180 } });
    try {
      const all = await c.scrollAll();
      assert.equal(all.length, 180);
      const before = [0, 49, 50, 120].map((i) => all[i]!);
      for (const id of before) assert.equal((await c.del(`/companies/${id}`)).status, 200);
      assert.deepEqual(await c.scrollAll(), without(all, before));

      const meanwhile = new Set<string>();
      const served = await c.scrollAll(async (page) => {
        // After page 1 (positions up to 52 with the tombstones): the next one, one served, and a later run.
        const ids = page === 1 ? [all[53]!, all[10]!, ...all.slice(60, 70)] : page === 2 ? [all[179]!] : [];
        for (const id of ids) {
          assert.equal((await c.del(`/companies/${id}`)).status, 200);
          meanwhile.add(id);
        }
      });
      assertOnce(served);
      const unserved = [...meanwhile].filter((id) => !served.includes(id));
      assert.deepEqual(served, without(without(all, before), unserved));
      assert.deepEqual(await c.scrollAll(), without(all, [...before, ...meanwhile]));
      assert.equal((await c.companyPages(60)).total, 180 - before.length - meanwhile.size);
    } finally {
      await c.sb.close();
    }
  });
});
