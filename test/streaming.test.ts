import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { createRuntime, type Runtime } from '../src/index.js';

// Lets the test force a collection, to see which pages the engine still holds.
v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('paginate streams in constant memory', () => {
  let sandbox: Sandbox;
  let runtime: Runtime;

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 20_000 } });
    runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
  });
  after(async () => {
    await runtime.close();
    await sandbox.close();
  });

  it('never has more than one page requested ahead of the one being consumed', async () => {
    let started = 0;
    const onRequest = () => started++;
    diagnostics.subscribe('connector-engine:request', onRequest);
    try {
      let consumed = 0;
      let records = 0;
      for await (const page of runtime.pages({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) {
        consumed++;
        records += page.data.length;
        assert.ok(started - consumed <= 1, `${started} requests for ${consumed} pages`);
        // Give a prefetch time to run: it still must not go further than one page ahead.
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(records, 20_000);
      assert.equal(consumed, 134);
      assert.equal(started, 134);
    } finally {
      diagnostics.unsubscribe('connector-engine:request', onRequest);
    }
  });

  it('lets go of every page the consumer is done with', async () => {
    const refs: WeakRef<object>[] = [];
    let n = 0;
    for await (const page of runtime.pages({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) {
      refs.push(new WeakRef(page.data));
      if (++n === 40) break;
    }
    gc();
    // A WeakRef keeps its target until the job that read it ends: one turn of the loop.
    await new Promise((r) => setImmediate(r));
    gc();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    // The last page may still sit in a local of the finished loop; none before it.
    assert.ok(alive <= 1, `${alive} of 40 pages still reachable`);
  });

  it('records are yielded before the next page arrives, and a break aborts the page requested ahead', async () => {
    const events: string[] = [];
    const onRequest = () => events.push('request');
    const onResponse = () => events.push('response');
    diagnostics.subscribe('connector-engine:request', onRequest);
    diagnostics.subscribe('connector-engine:response', onResponse);
    try {
      const before = sandbox.requestCount;
      let n = 0;
      for await (const _ of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 100 } })) {
        if (n === 0) events.push('first record');
        if (++n === 150) break;
      }
      // The next page is requested ahead, but the first records do not wait for its answer.
      const secondResponse = events.indexOf('response', events.indexOf('response') + 1);
      assert.ok(events.indexOf('first record') < (secondResponse === -1 ? Infinity : secondResponse), events.join(', '));
      // Two pages read and at most one requested ahead: what the engine started, not what reached the server by some time.
      const requested = events.filter((e) => e === 'request').length;
      assert.ok(requested >= 2 && requested <= 3, events.join(', '));
      // The connection pool is usable right away, and the break left nothing to start later: this call is the only new request.
      const { data } = await runtime.execute({ entity: 'contacts', action: 'list', params: { per_page: 5 } });
      assert.equal((data as unknown[]).length, 5);
      assert.equal(events.filter((e) => e === 'request').length, requested + 1, events.join(', '));
      assert.ok(sandbox.requestCount - before <= requested + 1);
    } finally {
      diagnostics.unsubscribe('connector-engine:request', onRequest);
      diagnostics.unsubscribe('connector-engine:response', onResponse);
    }
  });
});

describe('reading the next cursor early', () => {
  it('requests the next page before the current page is parsed', async () => {
    const sandbox = await startSandbox({ counts: { contacts: 300 } });
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    const firstId = sandbox.dataset.contactAt(0).id;
    const order: string[] = [];
    // Page 1's body is the JSON text holding the first contact; what parses it is the point where the page is parsed.
    const parse = JSON.parse;
    JSON.parse = function (this: JSON, text: string, reviver?: (key: string, value: unknown) => unknown) {
      if (typeof text === 'string' && text.length > 1000 && text.includes(firstId) && !order.includes('page 1 parsed')) order.push('page 1 parsed');
      return parse.call(this, text, reviver) as unknown;
    } as typeof JSON.parse;
    // The engine publishes each request as it starts it, before any await.
    const onRequest = (m: unknown) => {
      const { path } = m as { path: string };
      order.push(path.includes('starting_after=') ? 'page 2 requested' : 'page 1 requested');
    };
    diagnostics.subscribe('connector-engine:request', onRequest);
    try {
      for await (const page of runtime.pages({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) {
        order.push(`page 1 delivered (${page.data.length} records)`);
        break;
      }
    } finally {
      JSON.parse = parse;
      diagnostics.unsubscribe('connector-engine:request', onRequest);
      await runtime.close();
      await sandbox.close();
    }
    // Without the early read, the driver would start page 2 only once page 1 was parsed:
    // page 1 requested, page 1 parsed, page 2 requested, page 1 delivered.
    assert.deepEqual(order, ['page 1 requested', 'page 2 requested', 'page 1 parsed', 'page 1 delivered (150 records)']);
  });

  it('a wrong guess from the raw text is dropped and the parsed cursor wins', async () => {
    const { parseManifest } = await import('../src/index.js');
    const { startServer, sendJson } = await import('./support/server.js');
    // The cursor key also appears in the records, after the paging block: the early read guesses wrong.
    const server = await startServer((_req, res, url) => {
      const after = url.searchParams.get('after');
      const page = after === null ? 1 : Number(after.slice(1));
      sendJson(res, 200, { next: page < 3 ? `p${page + 1}` : null, items: [{ n: page, next: `decoy${page}` }] });
    });
    const manifest = parseManifest(`manifest_version: 1
connector: { name: decoy, version: 1.0.0 }
server: { base_url: "http://127.0.0.1:1" }
auth: { type: none }
pagination:
  c: { type: cursor, param: after, next: next }
entities:
  items:
    actions:
      list:
        method: GET
        path: /items
        params: { after: { type: string } }
        records: items
        record: { type: object }
        pagination: c
`);
    const rt = await createRuntime({ manifest, baseUrl: server.url });
    try {
      const seen: unknown[] = [];
      for await (const item of rt.paginate({ entity: 'items', action: 'list' })) seen.push(item.n);
      assert.deepEqual(seen, [1, 2, 3]);
      const cursors = server.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('after'));
      for (const c of [null, 'p2', 'p3']) assert.ok(cursors.includes(c), `page ${c} requested`);
    } finally {
      await rt.close();
      await server.close();
    }
  });
});
