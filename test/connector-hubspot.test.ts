// connectors/hubspot.yaml against an imitation of HubSpot's CRM v3 API (test/imitations/hubspot.ts):
// lists paged by paging.next.after, and a search that is a POST whose JSON body carries the filters
// and the page token; errors as { status, message, correlationId, category }.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AuthenticationError, createRuntime, HttpError, NotFoundError, ParameterError, RateLimitError, type Runtime } from '../src/index.js';
import { startHubSpot, type HubSpotImitation } from './imitations/hubspot.js';

const MANIFEST = fileURLToPath(new URL('../connectors/hubspot.yaml', import.meta.url));

describe('connectors/hubspot.yaml', () => {
  let hs: HubSpotImitation;
  let runtime: Runtime;
  const sent = () => hs.requests.length;
  const live = () => hs.contacts.filter((c) => !c.archived);

  before(async () => {
    hs = await startHubSpot({ contacts: 143, companies: 29, archivedContacts: 4, seed: 9 });
    runtime = await createRuntime({ manifest: MANIFEST, baseUrl: hs.url, credentials: { access_token: hs.accessToken }, retry: { baseDelayMs: 1 } });
  });
  after(async () => {
    await runtime?.close();
    await hs.close();
  });

  it('lists every contact exactly once by paging.next.after, with properties comma-joined', async () => {
    const before = sent();
    const ids: string[] = [];
    for await (const c of runtime.paginate({ entity: 'contacts', action: 'list', params: { limit: 40, properties: ['email', 'lifecyclestage'] } })) {
      ids.push(c.id as string);
      assert.ok('lifecyclestage' in (c.properties as object));
    }
    assert.deepEqual(ids, live().map((c) => c.id));
    const requests = hs.requests.slice(before);
    assert.equal(requests.length, 4);
    assert.equal(new URL(requests[0]!.url, 'http://x').searchParams.get('properties'), 'email,lifecyclestage');
    assert.equal(requests[0]!.headers.authorization, hs.bearerAuth);
  });

  it('search with no filter pages through every contact, the cursor travelling in the JSON body', async () => {
    const before = sent();
    const ids: string[] = [];
    for await (const c of runtime.paginate({ entity: 'contacts', action: 'search', params: { limit: 50 } })) ids.push(c.id as string);
    assert.deepEqual([...ids].sort(), live().map((c) => c.id).sort());
    assert.equal(new Set(ids).size, ids.length, 'no contact twice');
    const requests = hs.requests.slice(before);
    assert.equal(requests.length, 3);
    assert.ok(requests.every((r) => r.method === 'POST' && r.headers['content-type'] === 'application/json'));
    assert.deepEqual(JSON.parse(requests[0]!.body), { limit: 50 });
    assert.deepEqual(JSON.parse(requests[1]!.body), { limit: 50, after: '50' }, 'the page token goes in the body, not the query');
    assert.ok(!requests[1]!.url.includes('?'));
  });

  it('search sends nested filter groups as JSON and the default page size', async () => {
    const filterGroups = [{ filters: [{ propertyName: 'lifecyclestage', operator: 'EQ', value: 'customer' }] }];
    const { data } = await runtime.execute({ entity: 'contacts', action: 'search', params: { filter_groups: filterGroups, properties: ['lifecyclestage'] } });
    const expected = live().filter((c) => c.properties.lifecyclestage === 'customer');
    assert.ok(expected.length > 0);
    assert.deepEqual((data as { id: string }[]).map((c) => c.id).sort(), expected.map((c) => c.id).sort());
    assert.deepEqual(JSON.parse(hs.requests.at(-1)!.body), { filterGroups, properties: ['lifecyclestage'], limit: 100 }, 'limit: its default is sent');
    // A filter the schema does not allow is refused before anything is sent.
    const before = sent();
    await assert.rejects(
      runtime.execute({ entity: 'contacts', action: 'search', params: { filter_groups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }] } }),
      (err: unknown) => err instanceof ParameterError && /parameter "filter_groups\[0\]\.filters\[0\]\.operator" must be one of/.test(err.message),
    );
    assert.equal(sent(), before);
  });

  it('gets one contact and one company', async () => {
    const c = live()[11]!;
    assert.equal(((await runtime.execute({ entity: 'contacts', action: 'get', params: { id: c.id } })).data as { id: string }).id, c.id);
    const co = hs.companies[5]!;
    const { data } = await runtime.execute({ entity: 'companies', action: 'get', params: { id: co.id, properties: ['name', 'industry'] } });
    assert.equal((data as { properties: { name: string } }).properties.name, co.properties.name);
  });

  it('reads { message, category, correlationId }: 404 and a validation error', async () => {
    await assert.rejects(runtime.execute({ entity: 'contacts', action: 'get', params: { id: '999999999' } }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.deepEqual(err.details, [{ code: 'OBJECT_NOT_FOUND', message: 'Object not found.  objectId are usually numeric.' }]);
      assert.match(err.requestId ?? '', /^[0-9a-f-]{36}$/);
      return true;
    });
    const groups = Array.from({ length: 5 }, () => ({ filters: Array.from({ length: 4 }, () => ({ propertyName: 'email', operator: 'HAS_PROPERTY' })) }));
    await assert.rejects(runtime.execute({ entity: 'contacts', action: 'search', params: { filter_groups: groups } }), (err: unknown) => {
      assert.ok(err instanceof HttpError && err.status === 400);
      assert.equal(err.details[0]!.code, 'VALIDATION_ERROR');
      return true;
    });
  });

  it('a wrong token is an AuthenticationError with HubSpot\'s category', async () => {
    const wrong = await createRuntime({ manifest: MANIFEST, baseUrl: hs.url, credentials: { access_token: 'pat-na1-00000000-0000-4000-8000-000000000000' } });
    try {
      await assert.rejects(wrong.execute({ entity: 'companies', action: 'list' }), (err: unknown) => {
        assert.ok(err instanceof AuthenticationError);
        assert.equal(err.details[0]!.code, 'INVALID_AUTHENTICATION');
        assert.ok(!err.message.includes('pat-na1-00000000'));
        return true;
      });
    } finally {
      await wrong.close();
    }
  });

  it('a 429 is retried, for the search too: it is declared idempotent', async () => {
    hs.rateLimitNext(1);
    let before = sent();
    await runtime.execute({ entity: 'companies', action: 'list', params: { limit: 3 } });
    assert.equal(sent() - before, 2);
    hs.rateLimitNext(1);
    before = sent();
    await runtime.execute({ entity: 'contacts', action: 'search', params: { limit: 3 } });
    assert.equal(sent() - before, 2, 'a POST that only reads may be sent again');
    hs.rateLimitNext(3);
    await assert.rejects(runtime.execute({ entity: 'companies', action: 'list', retry: { limit: 1 } }), (err: unknown) => {
      assert.ok(err instanceof RateLimitError);
      assert.match(err.details[0]!.message!, /ten_secondly_rolling/);
      return true;
    });
  });
});
