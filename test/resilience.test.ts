import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it, type TestContext } from 'node:test';
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
import { afterServerRequest, virtualClock, type VirtualClock, type VirtualClockOptions } from './support/clock.js';
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

// Every test here runs on a virtual clock (support/clock.ts), Date included: back-off waits and
// the waits for a rate window pass at once, and an attempt times out only when the sandbox
// holds a slow answer and the test moves time past the timeout. A loaded machine can make an
// answer late, never make it time out.
const TIMEOUT_MS = 200;

describe('resilience against the faulty sandbox', () => {
  let sandbox: Sandbox;
  let runtime: Runtime;

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 10_000 } });
  });
  after(() => sandbox.close());

  /** Starts the virtual clock, then the runtime (its rate limiter reads the clock it was made on). */
  async function start(t: TestContext, options: VirtualClockOptions = {}): Promise<VirtualClock> {
    const clock = virtualClock(t, { date: true, ...options });
    runtime = await createRuntime({
      baseUrl: sandbox.url,
      credentials: { access_token: sandbox.token },
      timeoutMs: TIMEOUT_MS,
      retry: { baseDelayMs: 5 },
    });
    t.after(() => runtime.close());
    return clock;
  }

  /** Each time the sandbox starts holding a slow answer, moves time past the attempt timeout (the answer is due later still). */
  function expireSlowAnswers(clock: VirtualClock): () => void {
    let held = sandbox.stats.faults.slow;
    return afterServerRequest(() => {
      const slow = sandbox.stats.faults.slow;
      if (slow === held) return;
      held = slow;
      clock.tick(TIMEOUT_MS);
    });
  }

  const single: [FaultKind, Partial<FaultRule>, RegExp][] = [
    ['rate_limit', { retryAfterSeconds: 0 }, /HTTP 429/],
    ['server_error', {}, /HTTP 500/],
    ['unavailable', {}, /HTTP 503/],
    ['reset', {}, /NETWORK_ERROR/],
    ['truncate', {}, /INVALID_RESPONSE.*not JSON/],
    ['slow', { delayMs: 600 }, /TIMEOUT/],
  ];
  for (const [kind, extra, reason] of single) {
    it(`recovers from one ${kind} fault with one retry`, async (t) => {
      sandbox.setFaults([{ kind, every: 1000, offset: 1, limit: 1, ...extra }]);
      sandbox.resetStats();
      const stopExpiring = expireSlowAnswers(await start(t));
      const watch = retries();
      try {
        const { data } = await runtime.execute({ entity: 'contacts', action: 'list', params: { per_page: 20 } });
        assert.deepEqual((data as { id: string }[]).map((c) => c.id), Array.from({ length: 20 }, (_, i) => sandbox.dataset.contactAt(i).id));
      } finally {
        watch.stop();
        stopExpiring();
      }
      assert.equal(sandbox.stats.faults[kind], 1);
      assert.equal(watch.events.length, 1);
      assert.match(watch.events[0]!.reason, reason);
    });
  }

  it('pages through 10,000 contacts while faults hit every other request: every record once, in order', async (t) => {
    sandbox.setFaults(mixedFaults(TIMEOUT_MS));
    sandbox.resetStats();
    const stopExpiring = expireSlowAnswers(await start(t));
    const ids: string[] = [];
    const started = performance.now();
    try {
      for await (const c of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) ids.push(String(c.id));
    } finally {
      stopExpiring();
    }
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

  it('resumes from the cursor a failed pagination carries: nothing lost, nothing twice', async (t) => {
    await start(t);
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

  // The time limit only turns a wait the abort failed to end into a failure instead of a hang.
  it('an abort during a Retry-After wait ends it at once', { timeout: 30_000 }, async (t) => {
    // Time stands still: only the abort can end the 30 s wait.
    const clock = await start(t, { followWaits: false });
    sandbox.setFaults([{ kind: 'rate_limit', every: 1, retryAfterSeconds: 30 }]);
    const controller = new AbortController();
    const watch = retries();
    // Aborted once the wait has begun: the engine announces it, then starts it.
    const onRetry = () => queueMicrotask(() => controller.abort());
    diagnostics.subscribe('connector-engine:retry', onRetry);
    try {
      await assert.rejects(runtime.execute({ entity: 'tags', action: 'list', signal: controller.signal }), (err: unknown) => {
        assert.ok(err instanceof AbortedError);
        assert.equal(err.attempts, 1);
        return true;
      });
    } finally {
      diagnostics.unsubscribe('connector-engine:retry', onRetry);
      watch.stop();
      sandbox.setFaults([]);
    }
    assert.deepEqual(clock.waits, [{ kind: 'retry', ms: 30_000 }], 'it was in the Retry-After wait');
    assert.equal(watch.events.length, 1);
  });
});

describe('retry limits and waits, over HTTP', () => {
  async function serve(statuses: number[], headers: (n: number) => Record<string, string> = () => ({})) {
    let n = 0;
    /** Date.now() as each request arrived. */
    const arrivals: number[] = [];
    const server = await startServer((_req, res) => {
      const status = statuses[Math.min(n, statuses.length - 1)]!;
      n++;
      arrivals.push(Date.now());
      sendJson(res, status, status === 200 ? { type: 'list', data: [{ id: 'a' }] } : { type: 'error.list', request_id: `req-${n}`, errors: [{ code: 'x', message: 'y' }] }, headers(n));
    });
    const rt = await createRuntime({ baseUrl: server.url, credentials: { access_token: 'test-token-1' }, retry: { baseDelayMs: 1 } });
    return { server, rt, arrivals, count: () => n, close: async () => (await rt.close(), await server.close()) };
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

  it('honours Retry-After and X-RateLimit-Reset waits', async (t) => {
    // A virtual clock, Date included: the waits pass at once, and the server sees when (in virtual time) each retry came.
    const clock = virtualClock(t, { date: true, now: Date.UTC(2030, 0, 1, 0, 0, 0, 400) });
    const s = await serve([429, 200], (n): Record<string, string> => (n === 1 ? { 'retry-after': '1' } : {}));
    try {
      await s.rt.execute({ entity: 'tags', action: 'list' });
      assert.equal(s.arrivals.length, 2);
      assert.ok(s.arrivals[1]! - s.arrivals[0]! >= 1000, 'waited the second Retry-After asked');
      assert.deepEqual(clock.waits, [{ kind: 'retry', ms: 1000 }]);
    } finally {
      await s.close();
    }
    const resetAt = Math.ceil(Date.now() / 1000) + 1;
    const r = await serve([429, 200], (n): Record<string, string> => (n === 1 ? { 'x-ratelimit-reset': String(resetAt), 'x-ratelimit-remaining': '0' } : {}));
    try {
      await r.rt.execute({ entity: 'tags', action: 'list' });
      assert.ok(Date.now() >= resetAt * 1000 - 5, 'retried only once the window reset');
      assert.equal(r.arrivals.length, 2);
      assert.ok(r.arrivals[1]! >= resetAt * 1000, 'the retry reached the server once the window reset');
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

// The sandbox's windows sit on multiples of their length since the epoch, read off Date: on a
// virtual clock that starts on a window's first ms, which requests share a window and how long
// each wait is are exact, not a matter of when the test ran or how fast the machine is.
const WINDOW_START = Date.UTC(2030, 0, 1);

describe('rate-limit pacing', () => {
  it('pages 20,000 contacts under 100 requests / 2 s with no 429 and at least 90% of the allowed rate', async (t) => {
    const clock = virtualClock(t, { date: true, now: WINDOW_START });
    const sandbox = await startSandbox({ counts: { contacts: 20_000 }, rateLimit: { limit: 100, windowSeconds: 2 } });
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    // Requests as the engine sends them, and its waits, in order.
    const timeline: string[] = [];
    const onRequest = () => timeline.push('request');
    const onWait = (m: unknown) => timeline.push(`wait ${(m as { waitMs: number }).waitMs} ms`);
    diagnostics.subscribe('connector-engine:request', onRequest);
    diagnostics.subscribe('connector-engine:rate-limit-wait', onWait);
    try {
      let n = 0;
      for await (const _ of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) n++;
      // API time: what the pacing waited, on the virtual clock (the work itself takes none).
      const seconds = (Date.now() - WINDOW_START) / 1000;
      assert.equal(n, 20_000);
      const { requests, statuses } = sandbox.stats;
      assert.equal(statuses[429] ?? 0, 0, 'no 429');
      assert.equal(requests, 134);
      // The whole first window is used, then one wait exactly until it resets, then the rest.
      const runs: string[] = [];
      let sent = 0;
      for (const event of timeline) {
        if (event === 'request') {
          sent++;
        } else {
          runs.push(`${sent} requests`, event);
          sent = 0;
        }
      }
      runs.push(`${sent} requests`);
      assert.deepEqual(runs, ['100 requests', 'wait 2000 ms', '34 requests']);
      assert.deepEqual(clock.waits, [{ kind: 'rate-limit', ms: 2000 }]);
      assert.equal(seconds, 2);
      const rate = requests / seconds;
      // The allowed rate is 50 requests/s; pacing must use at least 90% of it.
      assert.ok(rate >= 45, `${rate.toFixed(1)} requests/s`);
      console.log(`# pacing: ${requests} requests in ${seconds.toFixed(2)} s of API time (virtual clock) = ${rate.toFixed(1)} req/s (allowed 50), 0 x 429`);
    } finally {
      diagnostics.unsubscribe('connector-engine:request', onRequest);
      diagnostics.unsubscribe('connector-engine:rate-limit-wait', onWait);
      await runtime.close();
      await sandbox.close();
    }
  });

  // The time limit only turns a wait the abort failed to end into a failure instead of a hang.
  it('an abort during a rate-limit wait ends it at once', { timeout: 30_000 }, async (t) => {
    // Time stands still: only the abort can end the wait for the window.
    const clock = virtualClock(t, { date: true, now: WINDOW_START, followWaits: false });
    const sandbox = await startSandbox({ counts: { contacts: 10 }, rateLimit: { limit: 1, windowSeconds: 30 } });
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    const controller = new AbortController();
    const onWait = () => queueMicrotask(() => controller.abort());
    diagnostics.subscribe('connector-engine:rate-limit-wait', onWait);
    try {
      await runtime.execute({ entity: 'tags', action: 'list' });
      await assert.rejects(runtime.execute({ entity: 'tags', action: 'list', signal: controller.signal }), AbortedError);
      assert.deepEqual(clock.waits, [{ kind: 'rate-limit', ms: 30_000 }], 'it was waiting for the window');
      assert.equal(sandbox.stats.statuses[429] ?? 0, 0, 'waited instead of provoking a 429');
    } finally {
      diagnostics.unsubscribe('connector-engine:rate-limit-wait', onWait);
      await runtime.close();
      await sandbox.close();
    }
  });

  it('a window that reopens later than a call may wait is refused at once, with its reset time', async (t) => {
    // On the hour's first ms the window has a whole hour to go (on the wall clock, a run in the hour's last 5 s would wait instead).
    const clock = virtualClock(t, { date: true, now: WINDOW_START });
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
      assert.deepEqual(clock.waits, [], 'refused without waiting');
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
