import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { request, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox, type FaultRule, type Sandbox } from '../sandbox/index.js';
import { virtualClock } from './support/clock.js';

interface ErrorList { type: string; errors: { code: string; message: string }[] }

/** Resolves once a server in this process has taken the next request in (its handler has run); with the socket it came on. */
function nextServerRequest(): Promise<Socket> {
  return new Promise((resolve) => {
    const onStart = (m: unknown) => {
      diagnostics.unsubscribe('http.server.request.start', onStart);
      const { socket } = m as { socket: Socket };
      queueMicrotask(() => resolve(socket));
    };
    diagnostics.subscribe('http.server.request.start', onStart);
  });
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Whether the whole message (per Content-Length) arrived. */
  complete: boolean;
  error?: Error;
}

// fetch hides how a body ended (and pools connections); node:http shows the bytes and the abort.
function rawGet(sb: Sandbox, path: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${sb.url}${path}`, { agent: false, headers: { Authorization: `Bearer ${sb.token}` } }, (res) => {
      const chunks: Buffer[] = [];
      let error: Error | undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => (error = e));
      res.on('close', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete, error }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sandbox faults', () => {
  let sb: Sandbox;
  const get = (path: string, init: RequestInit = {}) =>
    fetch(sb.url + path, { ...init, headers: { Authorization: `Bearer ${sb.token}` } });
  /** Status of each of n requests, bodies drained so connections are reused. */
  const statuses = async (n: number, path = '/admins'): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await get(path);
      await res.arrayBuffer();
      out.push(res.status);
    }
    return out;
  };
  const errorCode = async (res: Response): Promise<string | undefined> => {
    const body = (await res.json()) as ErrorList;
    assert.equal(body.type, 'error.list');
    return body.errors[0]?.code;
  };

  before(async () => {
    sb = await startSandbox({ seed: 3, counts: { contacts: 40, conversations: 10, companies: 10 } });
  });
  after(() => sb.close());
  beforeEach(() => {
    sb.setFaults([]);
    sb.resetStats();
  });

  test('rate_limit: 429 with Retry-After and a reset that many seconds ahead', async () => {
    sb.setFaults([{ kind: 'rate_limit', every: 1, retryAfterSeconds: 7 }]);
    const t0 = Date.now();
    const res = await get('/admins');
    const t1 = Date.now();
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    assert.ok(reset >= Math.ceil(t0 / 1000) + 7 && reset <= Math.ceil(t1 / 1000) + 7, `reset ${reset}`);
    assert.equal(await errorCode(res), 'rate_limit_exceeded');

    sb.setFaults([{ kind: 'rate_limit', every: 1, retryAfter: false }]);
    const quiet = await get('/admins');
    assert.equal(quiet.status, 429);
    assert.equal(quiet.headers.get('retry-after'), null);
    assert.ok(Number(quiet.headers.get('x-ratelimit-reset')) >= Math.ceil(Date.now() / 1000));
    await quiet.arrayBuffer();
  });

  test('server_error: 500 error.list server_error', async () => {
    sb.setFaults([{ kind: 'server_error', every: 1 }]);
    const res = await get('/teams');
    assert.equal(res.status, 500);
    const body = (await res.json()) as ErrorList;
    assert.deepEqual(body.errors[0], { code: 'server_error', message: 'Server Error' });
  });

  test('unavailable: 503 error.list service_unavailable', async () => {
    sb.setFaults([{ kind: 'unavailable', every: 1 }]);
    const res = await get('/teams');
    assert.equal(res.status, 503);
    assert.equal(await errorCode(res), 'service_unavailable');
  });

  test('reset: headers promise the full body, the connection dies after half', async () => {
    const full = await rawGet(sb, '/contacts');
    assert.ok(full.complete);
    sb.setFaults([{ kind: 'reset', every: 1 }]);
    const cut = await rawGet(sb, '/contacts');
    assert.equal(cut.status, 200);
    assert.equal(cut.headers['content-length'], String(full.body.length));
    assert.equal(cut.complete, false);
    assert.ok(cut.error, 'the body stream errors');
    assert.ok(cut.body.length <= Math.floor(full.body.length / 2));

    const res = await get('/contacts');
    assert.equal(res.status, 200);
    await assert.rejects(res.arrayBuffer(), TypeError, 'fetch fails reading the body');
  });

  test('truncate: a well-formed response carrying half the JSON', async () => {
    const full = Buffer.from(await (await get('/contacts')).arrayBuffer());
    sb.setFaults([{ kind: 'truncate', every: 1 }]);
    const cut = await rawGet(sb, '/contacts');
    assert.equal(cut.status, 200);
    assert.ok(cut.complete, 'no transport error');
    assert.equal(cut.body.length, Math.floor(full.length / 2));
    assert.equal(cut.headers['content-length'], String(cut.body.length));
    assert.deepEqual(cut.body, full.subarray(0, cut.body.length));
    assert.throws(() => JSON.parse(cut.body.toString('utf8')), SyntaxError);
  });

  // The slow tests run on a virtual clock: the sandbox's delay passes when the test moves time, not when a busy machine gets to it.
  test('slow: answers normally after the delay', async (t) => {
    const clock = virtualClock(t);
    sb.setFaults([{ kind: 'slow', every: 1, delayMs: 300 }]);
    const held = nextServerRequest();
    const response = get('/admins');
    await held;
    clock.tick(299);
    assert.deepEqual(sb.stats.statuses, {}, 'no answer 1 ms before the delay is over');
    clock.tick(1);
    assert.deepEqual(sb.stats.statuses, { 200: 1 }, 'the answer once it is');
    const res = await response;
    const body = (await res.json()) as { type: string };
    assert.equal(res.status, 200);
    assert.equal(body.type, 'admin.list');
  });

  test('slow: a client that gives up leaves nothing to answer', async (t) => {
    const clock = virtualClock(t);
    sb.setFaults([{ kind: 'slow', every: 1, limit: 1, delayMs: 150 }]);
    const controller = new AbortController();
    const held = nextServerRequest();
    const abandoned = get('/admins', { signal: controller.signal });
    const socket = await held;
    const closed = new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once('close', resolve)));
    controller.abort();
    await assert.rejects(abandoned);
    // Once the sandbox has seen the client go, its delay runs out with nobody to answer.
    await closed;
    clock.tick(150);
    assert.deepEqual(await statuses(1), [200]);
    assert.deepEqual(sb.stats.statuses, { 200: 1 }, 'the abandoned request was never answered');
  });

  test('every/offset/limit pick request numbers; 401s are not counted', async () => {
    sb.setFaults([{ kind: 'server_error', every: 3, offset: 1, limit: 2 }]);
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      const anon = await fetch(`${sb.url}/admins`);
      assert.equal(anon.status, 401);
      await anon.arrayBuffer();
      seen.push(...(await statuses(1)));
    }
    // Requests 1 and 4 match; 7 and 10 would, but the limit is spent.
    assert.deepEqual(seen, [500, 200, 200, 500, 200, 200, 200, 200, 200, 200]);
  });

  test('the first matching rule wins; an exhausted rule lets the next one match', async () => {
    sb.setFaults([
      { kind: 'unavailable', every: 2 },
      { kind: 'server_error', every: 3 },
    ]);
    assert.deepEqual(await statuses(6), [200, 503, 500, 503, 200, 503]);
    sb.setFaults([
      { kind: 'unavailable', every: 1, limit: 1 },
      { kind: 'server_error', every: 1, limit: 1 },
    ]);
    assert.deepEqual(await statuses(3), [503, 500, 200]);
  });

  test('setFaults restarts the numbering and firing counts', async () => {
    const rules: FaultRule[] = [{ kind: 'server_error', every: 2, limit: 1 }];
    sb.setFaults(rules);
    assert.deepEqual(await statuses(3), [200, 500, 200]);
    sb.setFaults(rules);
    assert.deepEqual(await statuses(3), [200, 500, 200]);
  });

  test('stats count requests, injected faults and statuses; resetStats clears them', async () => {
    sb.setFaults([
      { kind: 'rate_limit', every: 4, offset: 1 },
      { kind: 'truncate', every: 4, offset: 2 },
    ]);
    await (await fetch(`${sb.url}/admins`)).arrayBuffer();
    await statuses(4);
    await get('/nope').then((r) => r.arrayBuffer());
    assert.deepEqual(sb.stats, {
      requests: 5,
      faults: { rate_limit: 2, server_error: 0, unavailable: 0, reset: 0, truncate: 1, slow: 0 },
      statuses: { 401: 1, 429: 2, 200: 3 },
    });
    // The fifth request was request 1 mod 4: rate_limit beat the 404 it would have been.
    sb.resetStats();
    assert.deepEqual(sb.stats, {
      requests: 0,
      faults: { rate_limit: 0, server_error: 0, unavailable: 0, reset: 0, truncate: 0, slow: 0 },
      statuses: {},
    });
  });

  test('invalid rules are refused', async () => {
    assert.throws(() => sb.setFaults([{ kind: 'server_error', every: 0 }]), RangeError);
    assert.throws(() => sb.setFaults([{ kind: 'server_error', every: 2, offset: -1 }]), RangeError);
    assert.throws(() => sb.setFaults([{ kind: 'nope' as 'slow', every: 1 }]), RangeError);
    await assert.rejects(startSandbox({ faults: [{ kind: 'rate_limit', every: 1, retryAfterSeconds: 1.5 }] }), RangeError);
  });
});

describe('sandbox lifecycle with faults', () => {
  test('close() does not wait for a pending slow answer, nor leave its timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const timersBefore = timers();
    const sb = await startSandbox({ counts: { contacts: 5 }, faults: [{ kind: 'slow', every: 1, delayMs: 60_000 }] });
    const held = nextServerRequest();
    const pending = rawGet(sb, '/admins');
    pending.catch(() => {});
    await held;
    assert.equal(sb.stats.faults.slow, 1);
    const t0 = performance.now();
    await sb.close();
    assert.ok(performance.now() - t0 < 2000);
    await assert.rejects(pending);
    await sleep(10);
    // A surviving 60 s timer would also keep this file's process alive for a minute.
    assert.ok(timers() <= timersBefore, 'slow timer cleared');
  });
});

describe('aligned rate-limit windows', () => {
  test('the 4th request in a 1 s window is refused until the announced whole second', async (t) => {
    // On a virtual clock (Date included) the four requests share one window however slow the machine, and the reset comes when the test says.
    const clock = virtualClock(t, { date: true, now: Date.UTC(2030, 0, 1, 0, 0, 0, 250) });
    const sb = await startSandbox({ counts: { contacts: 5 }, rateLimit: { limit: 3, windowSeconds: 1 } });
    try {
      const hit = async () => {
        const res = await fetch(`${sb.url}/admins`, { headers: { Authorization: `Bearer ${sb.token}` } });
        const code = res.status === 429 ? ((await res.json()) as ErrorList).errors[0]?.code : (await res.arrayBuffer(), undefined);
        return { status: res.status, code, headers: res.headers };
      };
      const t0 = Date.now();
      const burst = [await hit(), await hit(), await hit(), await hit()];
      const t1 = Date.now();
      assert.deepEqual(burst.map((r) => r.status), [200, 200, 200, 429]);
      assert.deepEqual(burst.map((r) => r.headers.get('x-ratelimit-remaining')), ['2', '1', '0', '0']);
      const refused = burst[3]!;
      assert.equal(refused.code, 'rate_limit_exceeded');
      assert.equal(refused.headers.get('retry-after'), null);
      const reset = Number(refused.headers.get('x-ratelimit-reset'));
      assert.ok(Number.isInteger(reset));
      assert.ok(reset >= Math.floor(t0 / 1000) + 1 && reset <= Math.floor(t1 / 1000) + 1, `reset ${reset} for ${t0}..${t1}`);

      clock.tick(reset * 1000 - 1 - Date.now());
      const early = await hit();
      assert.equal(early.status, 429, '1 ms before the announced second the window is still spent');
      clock.tick(1);
      const fresh = await hit();
      assert.equal(fresh.status, 200);
      assert.equal(fresh.headers.get('x-ratelimit-remaining'), '2');
      assert.ok(Number(fresh.headers.get('x-ratelimit-reset')) >= reset + 1);
    } finally {
      await sb.close();
    }
  });
});
