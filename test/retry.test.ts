import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeRetry, retryDelay, shouldRetry, DEFAULT_RETRY } from '../src/transport/retry.js';
import { RateLimiter } from '../src/transport/rate-limiter.js';
import { compileRateLimit, parseReset } from '../src/transport/rate-limit.js';
import { AbortedError, NetworkError, RateLimitError, ResponseError, TimeoutError } from '../src/errors.js';
import { virtualClock } from './support/clock.js';

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
    for (const status of [408, 429, 500, 502, 503, 504]) assert.equal(shouldRetry(true, { status }, none, p), true, String(status));
    for (const status of [400, 401, 403, 404, 409, 422]) assert.equal(shouldRetry(true, { status }, none, p), false, String(status));
    assert.equal(shouldRetry(true, { status: 403, class: 'rate_limit' }, none, p), true, 'a rule made this 403 a rate limit');
    assert.equal(shouldRetry(false, { status: 503 }, none, p), false, 'a write that may have been applied');
    // A rate limit refuses the request before it is processed (Intercom, GitHub's secondary limits): a write may go again.
    assert.equal(shouldRetry(false, { status: 429, class: 'rate_limit' }, none, p), true, 'a write is repeated after a 429');
    assert.equal(shouldRetry(false, { status: 503 }, none, p), false, 'but not after a 5xx: it may have been processed');
    assert.equal(shouldRetry(true, { status: 500 }, { all: 1, serverErrors: 1 }, p), false, 'the API asks for one 5xx retry');
    assert.equal(shouldRetry(true, { status: 500 }, { all: 1, serverErrors: 0 }, p), true, 'a 429 before does not count');
    assert.equal(shouldRetry(true, { status: 429 }, { all: 4, serverErrors: 0 }, p), false, 'limit reached');
    assert.equal(shouldRetry(true, { error: new NetworkError('reset') }, none, p), true);
    assert.equal(shouldRetry(true, { error: new TimeoutError('slow') }, none, p), true);
    assert.equal(shouldRetry(true, { error: new ResponseError('cut short') }, none, p), true);
    assert.equal(shouldRetry(true, { error: new ResponseError('huge', { code: 'RESPONSE_TOO_LARGE' }) }, none, p), false);
    assert.equal(shouldRetry(true, { error: new AbortedError('stop') }, none, p), false);
    assert.equal(shouldRetry(true, { error: new TypeError('bug') }, none, p), false);
    assert.equal(shouldRetry(false, { error: new NetworkError('reset mid-request') }, none, p), false, 'the write may have arrived');
    assert.equal(shouldRetry(false, { error: new NetworkError('refused', undefined, true) }, none, p), true, 'the connection never opened');
    assert.equal(shouldRetry(false, { error: new TimeoutError('slow answer') }, none, p), false);
  });

  it('reads rate-limit resets in every form APIs write them', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    assert.equal(parseReset(String(now / 1000 + 30), 'epoch_seconds', now), now + 30_000);
    assert.equal(parseReset(String(now + 30_000), 'epoch_ms', now), now + 30_000);
    assert.equal(parseReset('30', 'delta_seconds', now), now + 30_000);
    assert.equal(parseReset(new Date(now + 30_000).toUTCString(), 'http_date', now), now + 30_000);
    assert.equal(parseReset(new Date(now + 30_000).toISOString(), 'iso8601', now), now + 30_000);
    assert.equal(parseReset('soon', 'delta_seconds', now), undefined);
    assert.equal(parseReset('', 'epoch_seconds', now), undefined);
  });

  it('waits for Retry-After (seconds or date), else the reset of a 429, else jittered backoff, always capped', () => {
    const p = mergeRetry({ baseDelayMs: 100, maxWaitMs: 5000 });
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const reader = compileRateLimit({ remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset' });
    assert.equal(retryDelay(1, false, { 'retry-after': '2' }, p, reader, now), 2000);
    assert.equal(retryDelay(1, false, { 'retry-after': new Date(now + 3000).toUTCString() }, p, reader, now), 3000);
    assert.equal(retryDelay(1, true, { 'x-ratelimit-reset': String(now / 1000 + 4) }, p, reader, now), 4000);
    assert.equal(retryDelay(1, true, { 'retry-after': '120' }, p, reader, now), 5000, 'capped');
    // A 5xx carries the reset header too; it must not make the client wait a whole window.
    assert.equal(retryDelay(3, false, { 'x-ratelimit-reset': String(now / 1000 + 60) }, p, reader, now, () => 0.5), 200);
    assert.equal(retryDelay(3, false, undefined, p, undefined, now, () => 0.999), 399.6);
    assert.equal(retryDelay(20, false, undefined, p, undefined, now, () => 1), 5000, 'backoff capped');
    assert.equal(retryDelay(1, false, { 'retry-after': new Date(now - 5000).toUTCString() }, p, undefined, now), 0, 'a past date means now');
    const delta = compileRateLimit({ remaining: 'ratelimit-remaining', reset: 'ratelimit-reset', reset_format: 'delta_seconds' });
    assert.equal(retryDelay(1, true, { 'ratelimit-reset': '7' }, p, delta, now), 5000, 'seconds from now, capped');
  });
});

describe('rate limiter', () => {
  it('lets requests through until the window is spent, then waits for the reset', async (t) => {
    // The limiter's clock is injected, its sleep runs on a virtual clock: the wait is exactly the one asked, however busy the machine.
    const clock = virtualClock(t, { followWaits: false });
    let now = 1_000_000;
    const limiter = new RateLimiter(compileRateLimit({ remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' }), () => now);
    assert.equal(await limiter.acquire(undefined, 't', 60_000), 0);
    limiter.update({ 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': String(now / 1000 + 0.05) });
    assert.equal(await limiter.acquire(undefined, 't', 60_000), 0);
    const waits: number[] = [];
    let done = false;
    const waited = limiter.acquire(undefined, 't', 60_000, (ms) => {
      waits.push(ms);
      now += ms;
    });
    void waited.then(() => (done = true));
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await turn();
    clock.tick(49);
    await turn();
    assert.equal(done, false, 'still waiting 1 ms before the reset');
    clock.tick(1);
    assert.equal(await waited, 50);
    assert.deepEqual(waits, [50]);
  });

  it('ends a wait at once when the signal aborts', { timeout: 30_000 }, async (t) => {
    // Time stands still: only the abort can end the 30 s wait (the time limit turns a wait it failed to end into a failure, not a hang).
    virtualClock(t, { date: true, now: 1_000_000_000_000, followWaits: false });
    const limiter = new RateLimiter(compileRateLimit({ remaining: 'r', reset: 's' }));
    limiter.update({ r: '0', s: String(Date.now() / 1000 + 30) });
    const controller = new AbortController();
    const waits: number[] = [];
    // Aborted once the wait has begun.
    const acquiring = limiter.acquire(controller.signal, 'contacts.list', 60_000, (ms) => {
      waits.push(ms);
      queueMicrotask(() => controller.abort());
    });
    await assert.rejects(acquiring, AbortedError);
    assert.deepEqual(waits, [30_000], 'it was waiting for the reset');
    // A window that reopens later than the call may wait is refused at once, with its time.
    await assert.rejects(limiter.acquire(undefined, 'contacts.list', 1000), (err: unknown) => err instanceof RateLimitError && err.resetAt instanceof Date);
  });
});
