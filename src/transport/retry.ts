import { AbortedError, isConnectorError, NetworkError, ResponseError, TimeoutError } from '../errors.js';
import type { ErrorClass } from '../manifest/types.js';
import type { Headers } from './headers.js';
import { retryAfterMs, type RateLimitReader } from './rate-limit.js';

/** When and how long to retry. Every field has a default a user would expect. */
export interface RetryOptions {
  /** Retries after the first attempt (default 4); 0 disables retrying. */
  limit?: number;
  /** Longest single wait in ms, whatever the API asks (default 60 000). */
  maxWaitMs?: number;
  /** Base of the exponential backoff in ms (default 500): attempt n waits up to base * 2^(n-1). */
  baseDelayMs?: number;
  /** Statuses worth another try (default 408, 429, 500, 502, 503, 504). */
  statuses?: number[];
  /** Retries allowed for 5xx answers, for APIs that ask for fewer (default: `limit`). */
  serverErrorLimit?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = {
  limit: 4,
  maxWaitMs: 60_000,
  baseDelayMs: 500,
  statuses: [408, 429, 500, 502, 503, 504],
  serverErrorLimit: 4,
};

/** Later layers win: defaults, then the manifest, then the runtime options, then the call. */
export function mergeRetry(...layers: (RetryOptions | undefined)[]): RetryPolicy {
  const policy = { ...DEFAULT_RETRY };
  let serverErrorLimitSet = false;
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (policy as Record<string, unknown>)[k] = v;
    if (layer.serverErrorLimit !== undefined) serverErrorLimitSet = true;
  }
  if (!serverErrorLimitSet) policy.serverErrorLimit = policy.limit;
  return policy;
}

/** Retries made so far in one exchange. */
export interface RetryCount {
  all: number;
  /** Of which after a 5xx answer. */
  serverErrors: number;
}

/** What went wrong with one attempt: an answer (with its class) or a thrown error. */
export type Outcome = { status: number; class?: ErrorClass } | { error: unknown };

/**
 * Whether a failed attempt may be sent again. `replayable` is false for a write that may
 * not be sent twice: it is retried only when it surely was not processed (the connection
 * was never made, or the API answered that it is rate limited).
 */
export function shouldRetry(replayable: boolean, outcome: Outcome, count: RetryCount, policy: RetryPolicy): boolean {
  if (count.all >= policy.limit) return false;
  if ('status' in outcome) {
    // A rate limit refuses a request before it is processed: even a write may go again.
    if (!replayable) return outcome.class === 'rate_limit' || outcome.status === 429;
    // A rule that says "this is a rate limit" (a 403 with no requests left) makes the status worth a retry.
    if (outcome.class === 'rate_limit') return true;
    if (!policy.statuses.includes(outcome.status)) return false;
    return outcome.status < 500 || count.serverErrors < policy.serverErrorLimit;
  }
  const err = outcome.error;
  if (err instanceof AbortedError || !isConnectorError(err)) return false;
  if (!replayable) return (err instanceof NetworkError || err instanceof TimeoutError) && err.beforeSending;
  if (err instanceof ResponseError) return err.code === 'INVALID_RESPONSE';
  return err instanceof TimeoutError || err instanceof NetworkError;
}

/**
 * How long to wait before retry number `retry` (1-based): the API's `Retry-After` (seconds
 * or an HTTP date), else for a rate limit its reset time, else exponential backoff with
 * full jitter. Always capped at `maxWaitMs`.
 */
export function retryDelay(
  retry: number,
  rateLimited: boolean,
  headers: Headers | undefined,
  policy: RetryPolicy,
  reader: RateLimitReader | undefined,
  now: number = Date.now(),
  random: () => number = Math.random,
): number {
  let wait = waitAsked(rateLimited, headers, reader, now);
  wait ??= random() * Math.min(policy.maxWaitMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.min(policy.maxWaitMs, Math.max(0, wait));
}

/**
 * The wait the API asks for, uncapped: `Retry-After`, else for a rate limit its reset
 * time. A 5xx carries the reset header too, but waiting a whole window for a failed
 * server is wrong, so the reset counts only for rate limits.
 */
export function waitAsked(rateLimited: boolean, headers: Headers | undefined, reader: RateLimitReader | undefined, now: number): number | undefined {
  const after = retryAfterMs(headers, now);
  if (after !== undefined) return after;
  if (!rateLimited || !headers || !reader) return undefined;
  const resetAt = reader.resetAt(headers, now);
  return resetAt === undefined ? undefined : resetAt - now;
}
