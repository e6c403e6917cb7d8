import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { createRuntime, ParameterError, type Runtime } from '../src/index.js';

type Rec = { id: string };
const N = 1000;

describe('pagination is uniform across cursor, page-number and unpaginated lists', () => {
  let sandbox: Sandbox;
  let runtime: Runtime;

  before(async () => {
    sandbox = await startSandbox({ seed: 11, counts: { contacts: N, conversations: N, companies: N } });
    runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
  });
  after(async () => {
    await runtime.close();
    await sandbox.close();
  });

  const expected: Record<string, () => string[]> = {
    contacts: () => Array.from({ length: N }, (_, i) => sandbox.dataset.contactAt(i).id),
    conversations: () => Array.from({ length: N }, (_, i) => sandbox.dataset.conversationAt(i).id),
    companies: () => sandbox.dataset.companies.map((c) => c.id),
  };

  // The sandbox, like Intercom, caps a companies page at 60.
  const cases: [string, number, number][] = [
    ['contacts', 150, Math.ceil(N / 150)],
    ['conversations', 150, Math.ceil(N / 150)],
    ['companies', 50, Math.ceil(N / 50)],
  ];

  for (const [entity, perPage, pages] of cases) {
    it(`${entity}: paginate yields every record exactly once, in order, in ${pages} requests`, async () => {
      const before = sandbox.requestCount;
      const ids: string[] = [];
      for await (const r of runtime.paginate({ entity, action: 'list', params: { per_page: perPage } })) ids.push(String(r.id));
      assert.equal(ids.length, N);
      assert.equal(new Set(ids).size, N);
      assert.deepEqual(ids, expected[entity]!());
      assert.equal(sandbox.requestCount - before, pages);
    });

    it(`${entity}: following meta.next_page by hand gives the same records as paginate`, async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let calls = 0;
      do {
        const params: Record<string, unknown> = { per_page: perPage };
        if (cursor !== null) params.starting_after = cursor;
        const { data, meta } = await runtime.execute({ entity, action: 'list', params });
        ids.push(...(data as Rec[]).map((r) => r.id));
        cursor = meta!.next_page;
        calls++;
      } while (cursor !== null);
      assert.equal(calls, pages);
      assert.deepEqual(ids, expected[entity]!());
    });

    it(`${entity}: paginate resumes from a cursor`, async () => {
      const first = await runtime.execute({ entity, action: 'list', params: { per_page: perPage } });
      const ids: string[] = [];
      for await (const r of runtime.paginate({ entity, action: 'list', params: { per_page: perPage, starting_after: first.meta!.next_page } })) {
        ids.push(String(r.id));
      }
      assert.deepEqual(ids, expected[entity]!().slice(perPage));
    });
  }

  it('companies: the cursor keeps the page size it was issued for', async () => {
    const first = await runtime.execute({ entity: 'companies', action: 'list', params: { per_page: 20 } });
    const next = await runtime.execute({ entity: 'companies', action: 'list', params: { starting_after: first.meta!.next_page } });
    assert.deepEqual((next.data as Rec[]).map((c) => c.id), expected.companies!().slice(20, 40));
    await assert.rejects(
      runtime.execute({ entity: 'companies', action: 'list', params: { starting_after: 'WzE3MTk0OTMxNTcwMDBd' } }),
      (err: unknown) => err instanceof ParameterError && err.param === 'starting_after' && /not a cursor this connector issued/.test(err.message),
    );
  });

  it('an early break stops the requests', async () => {
    // What the engine starts, as it starts it: what reached the server by some time would depend on the machine.
    let started = 0;
    const onRequest = () => started++;
    diagnostics.subscribe('connector-engine:request', onRequest);
    try {
      const before = sandbox.requestCount;
      let n = 0;
      for await (const _ of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 10 } })) {
        if (++n === 15) break;
      }
      // Two pages read, at most one more requested ahead (and aborted), nothing after that.
      const settled = started;
      assert.ok(settled >= 2 && settled <= 3, String(settled));
      // A call after the break goes through the same event loop and pool: it is the only request started since.
      await runtime.execute({ entity: 'tags', action: 'list' });
      assert.equal(started, settled + 1);
      const seen = sandbox.requestCount - before;
      assert.ok(seen >= 3 && seen <= settled + 1, `${seen} requests reached the sandbox`);
    } finally {
      diagnostics.unsubscribe('connector-engine:request', onRequest);
    }
  });

  it('an unpaginated list is one request whatever the caller asks', async () => {
    const before = sandbox.requestCount;
    const ids: string[] = [];
    for await (const t of runtime.paginate({ entity: 'tags', action: 'list' })) ids.push(String(t.id));
    assert.deepEqual(ids, sandbox.dataset.tags.map((t) => t.id));
    assert.equal(sandbox.requestCount - before, 1);
  });

  it('paginate refuses a single-record action', async () => {
    const it = runtime.paginate({ entity: 'contacts', action: 'get', params: { id: 'x' } });
    await assert.rejects(it.next(), (err: unknown) => err instanceof ParameterError && /use execute/i.test(err.message));
  });
});
