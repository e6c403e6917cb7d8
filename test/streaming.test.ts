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
    await new Promise((r) => setTimeout(r, 10));
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
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(sandbox.requestCount - before <= 3);
      // The connection pool is usable right away.
      const { data } = await runtime.execute({ entity: 'contacts', action: 'list', params: { per_page: 5 } });
      assert.equal((data as unknown[]).length, 5);
    } finally {
      diagnostics.unsubscribe('connector-engine:request', onRequest);
      diagnostics.unsubscribe('connector-engine:response', onResponse);
    }
  });
});

describe('reading the next cursor early', () => {
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
