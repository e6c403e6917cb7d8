import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type FaultKind, type FaultRule, type Sandbox } from '../sandbox/index.js';
import {
  AbortedError,
  createRuntime,
  HttpError,
  isConnectorError,
  NotFoundError,
  RateLimitError,
  ResponseError,
  ServerError,
  type Runtime,
} from '../src/index.js';
import { sendJson, startServer } from './support/server.js';

/** Faults in a 12-request cycle: each retry lands on an odd number, which is never faulted. */
function mixedFaults(timeoutMs: number): FaultRule[] {
  return [
    { kind: 'slow', every: 12, offset: 0, delayMs: timeoutMs * 3 },
    { kind: 'rate_limit', every: 12, offset: 2, retryAfterSeconds: 0 },
    { kind: 'server_error', every: 12, offset: 4 },
    { kind: 'reset', every: 12, offset: 6 },
    { kind: 'unavailable', every: 12, offset: 8 },
    { kind: 'truncate', every: 12, offset: 10 },
  ];
}

function retries(): { events: { reason: string; waitMs: number }[]; stop: () => void } {
  const events: { reason: string; waitMs: number }[] = [];
  const fn = (m: unknown) => events.push(m as { reason: string; waitMs: number });
  diagnostics.subscribe('connector-engine:retry', fn);
  return { events, stop: () => diagnostics.unsubscribe('connector-engine:retry', fn) };
}

describe('resilience against the faulty sandbox', () => {
  let sandbox: Sandbox;
  let runtime: Runtime;

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 10_000 } });
    runtime = await createRuntime({
      baseUrl: sandbox.url,
      credentials: { access_token: sandbox.token },
      timeoutMs: 200,
      retry: { baseDelayMs: 5 },
    });
  });
  after(async () => {
    await runtime.close();
    await sandbox.close();
  });

  const single: [FaultKind, Partial<FaultRule>, RegExp][] = [
    ['rate_limit', { retryAfterSeconds: 0 }, /HTTP 429/],
    ['server_error', {}, /HTTP 500/],
    ['unavailable', {}, /HTTP 503/],
    ['reset', {}, /NETWORK_ERROR/],
    ['truncate', {}, /INVALID_RESPONSE.*not JSON/],
    ['slow', { delayMs: 600 }, /TIMEOUT/],
  ];
  for (const [kind, extra, reason] of single) {
    it(`recovers from one ${kind} fault with one retry`, async () => {
      sandbox.setFaults([{ kind, every: 1000, offset: 1, limit: 1, ...extra }]);
      sandbox.resetStats();
      const watch = retries();
      try {
        const { data } = await runtime.execute({ entity: 'contacts', action: 'list', params: { per_page: 20 } });
        assert.deepEqual((data as { id: string }[]).map((c) => c.id), Array.from({ length: 20 }, (_, i) => sandbox.dataset.contactAt(i).id));
      } finally {
        watch.stop();
      }
      assert.equal(sandbox.stats.faults[kind], 1);
      assert.equal(watch.events.length, 1);
      assert.match(watch.events[0]!.reason, reason);
    });
  }

  it('pages through 10,000 contacts while faults hit every other request: every record once, in order', async () => {
    sandbox.setFaults(mixedFaults(200));
    sandbox.resetStats();
    const ids: string[] = [];
    const started = performance.now();
    for await (const c of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) ids.push(String(c.id));
    const ms = performance.now() - started;
    assert.equal(ids.length, 10_000);
    assert.equal(new Set(ids).size, 10_000);
    assert.deepEqual(ids, Array.from({ length: 10_000 }, (_, i) => sandbox.dataset.contactAt(i).id));
    const { faults, requests, statuses } = sandbox.stats;
    const injected = Object.values(faults).reduce((a, b) => a + b, 0);
    assert.equal(requests, 67 + injected, 'one extra request per fault, no more');
    for (const kind of Object.keys(faults) as FaultKind[]) assert.ok(faults[kind] >= 5, `${kind} injected ${faults[kind]} times`);
    // The fault matrix for the closing note.
    console.log(`# fault matrix: ${JSON.stringify(faults)}; requests ${requests}; statuses ${JSON.stringify(statuses)}; records ${ids.length}/10000 in ${Math.round(ms)} ms`);
  });

  it('resumes from the cursor a failed pagination carries: nothing lost, nothing twice', async () => {
    // Requests 3 and 4 fail: the 5xx retry (one, as Intercom asks) fails too.
    sandbox.setFaults([{ kind: 'server_error', every: 1000, offset: 3, limit: 2 }, { kind: 'server_error', every: 1000, offset: 4, limit: 1 }]);
    const ids: string[] = [];
    const pages = runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 150 } });
    const checkpoints: (string | null)[] = [];
    const failure = await (async () => {
      try {
        for await (const c of pages) {
          ids.push(String(c.id));
          if (ids.length % 150 === 0) checkpoints.push(pages.checkpoint);
        }
      } catch (err) {
        return err;
      }
      assert.fail('the pagination did not fail');
    })();
    assert.ok(failure instanceof ServerError);
    assert.equal(failure.attempts, 2);
    assert.equal(ids.length, 300, 'two pages delivered before the failure');
    assert.equal(typeof failure.resumeCursor, 'string');
    assert.equal(failure.resumeCursor, pages.checkpoint, 'the checkpoint and the error agree');
    sandbox.setFaults([]);
    for await (const c of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 150, starting_after: failure.resumeCursor! } })) {
      ids.push(String(c.id));
    }
    assert.equal(ids.length, 10_000);
    assert.equal(new Set(ids).size, 10_000);
  });

  it('an abort during a Retry-After wait ends it at once', async () => {
    sandbox.setFaults([{ kind: 'rate_limit', every: 1, retryAfterSeconds: 30 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await assert.rejects(runtime.execute({ entity: 'tags', action: 'list', signal: controller.signal }), (err: unknown) => {
      assert.ok(err instanceof AbortedError);
      assert.equal(err.attempts, 1);
      return true;
    });
    assert.ok(performance.now() - started < 2000);
    sandbox.setFaults([]);
  });
});

describe('retry limits and waits, over HTTP', () => {
  async function serve(statuses: number[], headers: (n: number) => Record<string, string> = () => ({})) {
    let n = 0;
    const server = await startServer((_req, res) => {
      const status = statuses[Math.min(n, statuses.length - 1)]!;
      n++;
      sendJson(res, status, status === 200 ? { type: 'list', data: [{ id: 'a' }] } : { type: 'error.list', request_id: `req-${n}`, errors: [{ code: 'x', message: 'y' }] }, headers(n));
    });
    const rt = await createRuntime({ baseUrl: server.url, credentials: { access_token: 'test-token-1' }, retry: { baseDelayMs: 1 } });
    return { server, rt, count: () => n, close: async () => (await rt.close(), await server.close()) };
  }

  for (const status of [400, 401, 403, 404, 422]) {
    it(`${status} is tried exactly once`, async () => {
      const s = await serve([status]);
      try {
        await assert.rejects(s.rt.execute({ entity: 'tags', action: 'list' }), (err: unknown) => isConnectorError(err) && err.status === status && err.attempts === 1);
        assert.equal(s.count(), 1);
      } finally {
        await s.close();
      }
    });
  }

  it('429 is retried up to the limit, then a RateLimitError says when the window resets', async () => {
    const reset = Math.floor(Date.now() / 1000);
    const s = await serve([429], () => ({ 'retry-after': '0', 'x-ratelimit-reset': String(reset) }));
    try {
      await assert.rejects(s.rt.execute({ entity: 'tags', action: 'list' }), (err: unknown) => {
        assert.ok(err instanceof RateLimitError);
        assert.equal(err.attempts, 5);
        assert.equal(err.requestId, 'req-5');
        assert.equal(err.resetAt?.getTime(), reset * 1000);
        return true;
      });
      assert.equal(s.count(), 5);
    } finally {
      await s.close();
    }
  });

  it("5xx is retried once, as the manifest says for Intercom; a call's own policy can ask for more", async () => {
    const s = await serve([500, 503, 502, 200]);
    try {
      await assert.rejects(s.rt.execute({ entity: 'tags', action: 'list' }), (err: unknown) => err instanceof ServerError && err.attempts === 2 && err.status === 503);
      const { data } = await s.rt.execute({ entity: 'tags', action: 'list', retry: { serverErrorLimit: 3 } });
      assert.deepEqual(data, [{ id: 'a' }]);
      assert.equal(s.count(), 4);
    } finally {
      await s.close();
    }
  });

  it('honours Retry-After and X-RateLimit-Reset waits', async () => {
    const s = await serve([429, 200], (n): Record<string, string> => (n === 1 ? { 'retry-after': '1' } : {}));
    try {
      const started = performance.now();
      await s.rt.execute({ entity: 'tags', action: 'list' });
      assert.ok(performance.now() - started >= 950, 'waited the second Retry-After asked');
    } finally {
      await s.close();
    }
    const resetAt = Math.ceil(Date.now() / 1000) + 1;
    const r = await serve([429, 200], (n): Record<string, string> => (n === 1 ? { 'x-ratelimit-reset': String(resetAt), 'x-ratelimit-remaining': '0' } : {}));
    try {
      await r.rt.execute({ entity: 'tags', action: 'list' });
      assert.ok(Date.now() >= resetAt * 1000 - 5, 'retried only once the window reset');
    } finally {
      await r.close();
    }
  });

  it('a body over maxResponseBytes is refused, not buffered, and not retried', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, { type: 'list', data: Array.from({ length: 500 }, (_, i) => ({ id: String(i), pad: 'x'.repeat(100) })) }));
    const rt = await createRuntime({ baseUrl: server.url, credentials: { access_token: 'test-token-1' }, maxResponseBytes: 10_000 });
    try {
      await assert.rejects(rt.execute({ entity: 'tags', action: 'list' }), (err: unknown) => err instanceof ResponseError && err.code === 'RESPONSE_TOO_LARGE' && err.attempts === 1);
      assert.equal(server.requests.length, 1);
    } finally {
      await rt.close();
      await server.close();
    }
  });

  it('a redirect to another host is reported, not followed with the token', async () => {
    const server = await startServer((_req, res) => void res.writeHead(302, { location: 'https://elsewhere.example/tags' }).end());
    const rt = await createRuntime({ baseUrl: server.url, credentials: { access_token: 'test-token-1' } });
    try {
      await assert.rejects(rt.execute({ entity: 'tags', action: 'list' }), (err: unknown) => err instanceof HttpError && err.status === 302 && /elsewhere\.example/.test(err.message));
      assert.equal(server.requests.length, 1);
    } finally {
      await rt.close();
      await server.close();
    }
  });
});

describe('rate-limit pacing', () => {
  it('pages 20,000 contacts under 100 requests / 2 s with no 429 and at least 90% of the allowed rate', async () => {
    const sandbox = await startSandbox({ counts: { contacts: 20_000 }, rateLimit: { limit: 100, windowSeconds: 2 } });
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    try {
      const started = performance.now();
      let n = 0;
      for await (const _ of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) n++;
      const seconds = (performance.now() - started) / 1000;
      assert.equal(n, 20_000);
      const { requests, statuses } = sandbox.stats;
      assert.equal(statuses[429] ?? 0, 0, 'no 429');
      assert.equal(requests, 134);
      const rate = requests / seconds;
      // The allowed rate is 50 requests/s; pacing must use at least 90% of it.
      assert.ok(rate >= 45, `${rate.toFixed(1)} requests/s`);
      console.log(`# pacing: ${requests} requests in ${seconds.toFixed(2)} s = ${rate.toFixed(1)} req/s (allowed 50), 0 x 429`);
    } finally {
      await runtime.close();
      await sandbox.close();
    }
  });

  it('an abort during a rate-limit wait ends it at once', async () => {
    const sandbox = await startSandbox({ counts: { contacts: 10 }, rateLimit: { limit: 1, windowSeconds: 30 } });
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    try {
      await runtime.execute({ entity: 'tags', action: 'list' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = performance.now();
      await assert.rejects(runtime.execute({ entity: 'tags', action: 'list', signal: controller.signal }), AbortedError);
      assert.ok(performance.now() - started < 1000);
      assert.equal(sandbox.stats.statuses[429] ?? 0, 0, 'waited instead of provoking a 429');
    } finally {
      await runtime.close();
      await sandbox.close();
    }
  });

  it('a window that reopens later than a call may wait is refused at once, with its reset time', async () => {
    const sandbox = await startSandbox({ counts: { contacts: 10 }, rateLimit: { limit: 1, windowSeconds: 3600 } });
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token }, retry: { maxWaitMs: 5_000 } });
    try {
      await runtime.execute({ entity: 'tags', action: 'list' });
      await assert.rejects(runtime.execute({ entity: 'tags', action: 'list' }), (err: unknown) => {
        assert.ok(err instanceof RateLimitError);
        assert.ok(err.resetAt && err.resetAt.getTime() > Date.now() + 5_000, "the window's end, from the reset header");
        assert.match(err.message, /longer than the 5000 ms this call may wait/);
        return true;
      });
      assert.equal(sandbox.stats.requests, 1, 'nothing sent that would only be refused');
    } finally {
      await runtime.close();
      await sandbox.close();
    }
  });
});

describe('errors across package copies', () => {
  it('instanceof and isConnectorError recognise an error from another copy of the module', async () => {
    const specifier = '../src/errors.js?another-copy';
    const other = (await import(specifier)) as typeof import('../src/errors.js');
    assert.notEqual(other.NotFoundError, NotFoundError, 'really another copy');
    const err = new other.NotFoundError('NOT_FOUND', 'gone', { status: 404, details: [], method: 'GET', url: '/x' });
    assert.ok(err instanceof NotFoundError);
    assert.ok(err instanceof HttpError);
    assert.ok(isConnectorError(err));
    assert.ok(!(err instanceof RateLimitError));
    assert.ok(!isConnectorError(new Error('plain')));
  });
});
