import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeRetry, retryDelay, shouldRetry, DEFAULT_RETRY } from '../src/transport/retry.js';
import { RateLimiter } from '../src/transport/rate-limiter.js';
import { AbortedError, NetworkError, ResponseError, TimeoutError } from '../src/errors.js';

const none = { all: 0, serverErrors: 0 };

describe('retry policy', () => {
  it('merges defaults, manifest, runtime and call layers, later wins', () => {
    assert.deepEqual(mergeRetry(), DEFAULT_RETRY);
    const p = mergeRetry({ serverErrorLimit: 1 }, { limit: 2 }, { maxWaitMs: 10 });
    assert.deepEqual({ limit: p.limit, serverErrorLimit: p.serverErrorLimit, maxWaitMs: p.maxWaitMs }, { limit: 2, serverErrorLimit: 1, maxWaitMs: 10 });
    assert.equal(mergeRetry({ limit: 3 }).serverErrorLimit, 3, 'without its own limit, 5xx follow the overall one');
  });

  it('retries what is transient and nothing else', () => {
    const p = mergeRetry({ serverErrorLimit: 1 });
    for (const status of [408, 429, 500, 502, 503, 504]) assert.equal(shouldRetry('GET', { status }, none, p), true, String(status));
    for (const status of [400, 401, 403, 404, 409, 422]) assert.equal(shouldRetry('GET', { status }, none, p), false, String(status));
    assert.equal(shouldRetry('POST', { status: 503 }, none, p), false, 'not idempotent');
    assert.equal(shouldRetry('GET', { status: 500 }, { all: 1, serverErrors: 1 }, p), false, 'the API asks for one 5xx retry');
    assert.equal(shouldRetry('GET', { status: 500 }, { all: 1, serverErrors: 0 }, p), true, 'a 429 before does not count');
    assert.equal(shouldRetry('GET', { status: 429 }, { all: 4, serverErrors: 0 }, p), false, 'limit reached');
    assert.equal(shouldRetry('GET', { error: new NetworkError('reset') }, none, p), true);
    assert.equal(shouldRetry('GET', { error: new TimeoutError('slow') }, none, p), true);
    assert.equal(shouldRetry('GET', { error: new ResponseError('cut short') }, none, p), true);
    assert.equal(shouldRetry('GET', { error: new ResponseError('huge', { code: 'RESPONSE_TOO_LARGE' }) }, none, p), false);
    assert.equal(shouldRetry('GET', { error: new AbortedError('stop') }, none, p), false);
    assert.equal(shouldRetry('GET', { error: new TypeError('bug') }, none, p), false);
  });

  it('waits for Retry-After (seconds or date), else the reset of a 429, else jittered backoff, always capped', () => {
    const p = mergeRetry({ baseDelayMs: 100, maxWaitMs: 5000 });
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    assert.equal(retryDelay(1, 503, { 'retry-after': '2' }, p, 'x-ratelimit-reset', now), 2000);
    assert.equal(retryDelay(1, 503, { 'retry-after': new Date(now + 3000).toUTCString() }, p, 'x-ratelimit-reset', now), 3000);
    assert.equal(retryDelay(1, 429, { 'x-ratelimit-reset': String(now / 1000 + 4) }, p, 'x-ratelimit-reset', now), 4000);
    assert.equal(retryDelay(1, 429, { 'retry-after': '120' }, p, 'x-ratelimit-reset', now), 5000, 'capped');
    // A 5xx carries the reset header too; it must not make the client wait a whole window.
    assert.equal(retryDelay(3, 500, { 'x-ratelimit-reset': String(now / 1000 + 60) }, p, 'x-ratelimit-reset', now, () => 0.5), 200);
    assert.equal(retryDelay(3, undefined, undefined, p, undefined, now, () => 0.999), 399.6);
    assert.equal(retryDelay(20, undefined, undefined, p, undefined, now, () => 1), 5000, 'backoff capped');
    assert.equal(retryDelay(1, 503, { 'retry-after': new Date(now - 5000).toUTCString() }, p, undefined, now), 0, 'a past date means now');
  });
});

describe('rate limiter', () => {
  it('lets requests through until the window is spent, then waits for the reset', async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' }, () => now);
    assert.equal(await limiter.acquire(undefined, 't'), 0);
    limiter.update({ 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': String(now / 1000 + 0.05) });
    assert.equal(await limiter.acquire(undefined, 't'), 0);
    const waits: number[] = [];
    const started = Date.now();
    const waited = limiter.acquire(undefined, 't', (ms) => {
      waits.push(ms);
      now += ms;
    });
    assert.equal(await waited, 50);
    assert.deepEqual(waits, [50]);
    assert.ok(Date.now() - started >= 45);
  });

  it('ends a wait at once when the signal aborts', async () => {
    const limiter = new RateLimiter({ remaining: 'r', reset: 's' });
    limiter.update({ r: '0', s: String(Date.now() / 1000 + 30) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    await assert.rejects(limiter.acquire(controller.signal, 'contacts.list'), AbortedError);
    assert.ok(Date.now() - started < 1000);
  });
});
