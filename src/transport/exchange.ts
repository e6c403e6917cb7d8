import type { Dispatcher } from 'undici';
import { isConnectorError, ResponseError } from '../errors.js';
import type { ErrorClass } from '../manifest/types.js';
import { channels } from './diagnostics.js';
import type { Headers } from './headers.js';
import type { RateLimitReader } from './rate-limit.js';
import type { RateLimiter } from './rate-limiter.js';
import { retryDelay, shouldRetry, waitAsked, type RetryPolicy } from './retry.js';
import { send, type OutgoingRequest } from './send.js';
import { sleep } from './sleep.js';

export interface ExchangeContext {
  /** Set on first use from createDispatcher, unless the host gave one. */
  dispatcher: Dispatcher | undefined;
  createDispatcher: () => Promise<Dispatcher>;
  limiter: RateLimiter;
  maxResponseBytes: number;
  /** Reads the rate-limit reset, honoured when an answer is a rate limit. */
  rateLimit: RateLimitReader;
  /** The class of a non-2xx answer (a 403 may be a rate limit), from the manifest's rules. */
  classify: (status: number, headers: Headers, body: unknown) => ErrorClass | undefined;
  /** Finds the API's request id in an answer (body or header), for events. */
  requestIdOf: (body: unknown, headers: Headers) => string | undefined;
  /** Removes secrets from text the API sent back, before it goes into a message. */
  redact: (text: string) => string;
}

export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined for an empty or, on an error status, unparsable one). */
  body: unknown;
  attempts: number;
  /** For a non-2xx answer: its class. */
  class?: ErrorClass;
}

/**
 * One logical request: waits for the rate limiter, sends, and retries what is worth
 * retrying (see retry.ts) until it gets an answer to hand back. A 2xx always comes back
 * with a parsed body; a non-2xx comes back once retries are spent or not allowed.
 */
export async function exchange(
  ctx: ExchangeContext,
  req: OutgoingRequest,
  policy: RetryPolicy,
  /** False for a write that must not be sent twice (see shouldRetry). */
  replayable: boolean,
  /** Sees a 2xx body before it is parsed (a pagination may read the next cursor early); true if it started something. */
  onText?: (text: string) => boolean,
): Promise<Exchange> {
  const base = { operation: req.operation, method: req.method, path: req.path };
  const count = { all: 0, serverErrors: 0 };
  for (let attempt = 1; ; attempt++, count.all++) {
    let retryWait: number;
    let reason: string;
    let cause: string;
    try {
      // The common case takes no await, so a request started ahead goes out at once.
      if (!ctx.limiter.tryAcquire()) {
        await ctx.limiter.acquire(req.signal, req.operation, policy.maxWaitMs, (waitMs, resetAt) => {
          if (channels.rateLimitWait.hasSubscribers) {
            channels.rateLimitWait.publish({ operation: req.operation, waitMs: Math.round(waitMs), resetAt: new Date(resetAt).toISOString() });
          }
        });
      }
      if (channels.request.hasSubscribers) channels.request.publish({ ...base, attempt });
      const started = performance.now();
      const res = await send(ctx.dispatcher ?? (ctx.dispatcher = await ctx.createDispatcher()), req, ctx.maxResponseBytes);
      ctx.limiter.update(res.headers);
      const ok = res.status >= 200 && res.status < 300;
      // If the peek started the next request, let it reach the socket before this body's
      // parse holds the thread: the server then answers while we parse.
      if (ok && onText && onText(res.text)) await new Promise((resolve) => setImmediate(resolve));
      let body: unknown;
      try {
        body = res.text === '' ? undefined : JSON.parse(res.text);
      } catch (err) {
        if (ok) {
          throw new ResponseError(
            `${req.operation}: the API answered ${res.status} with a body that is not JSON (${res.text.length} bytes, starting ${JSON.stringify(ctx.redact(res.text).slice(0, 60))}).`,
            { status: res.status, cause: err },
          );
        }
      }
      if (channels.response.hasSubscribers) {
        const requestId = ok ? undefined : ctx.requestIdOf(body, res.headers);
        channels.response.publish({ ...base, attempt, status: res.status, ms: Math.round(performance.now() - started), requestId: requestId && ctx.redact(requestId) });
      }
      if (ok) return { status: res.status, headers: res.headers, body, attempts: attempt };
      const kind = ctx.classify(res.status, res.headers, body);
      // A rate limit that lifts later than we may wait ends here, with its reset time, rather
      // than in a retry that is refused again.
      const asked = kind === 'rate_limit' ? waitAsked(true, res.headers, ctx.rateLimit, Date.now()) : undefined;
      if ((asked !== undefined && asked > policy.maxWaitMs) || !shouldRetry(replayable, { status: res.status, class: kind }, count, policy)) {
        return { status: res.status, headers: res.headers, body, attempts: attempt, class: kind };
      }
      if (res.status >= 500) count.serverErrors++;
      retryWait = retryDelay(attempt, kind === 'rate_limit', res.headers, policy, ctx.rateLimit);
      reason = cause = `HTTP ${res.status}`;
    } catch (err) {
      if (!shouldRetry(replayable, { error: err }, count, policy)) {
        if (isConnectorError(err)) err.attempts = attempt;
        throw err;
      }
      retryWait = retryDelay(attempt, false, undefined, policy, undefined);
      const code = (err as { code?: string }).code ?? 'error';
      reason = `${code}: ${(err as Error).message}`;
      // The system's word for a failed connection (ECONNREFUSED) says more than NETWORK_ERROR.
      cause = (err as { cause?: { code?: unknown } }).cause?.code as string | undefined ?? code;
    }
    if (channels.retry.hasSubscribers) channels.retry.publish({ ...base, attempt, reason, cause, waitMs: Math.round(retryWait) });
    try {
      await sleep(retryWait, req.signal, req.operation);
    } catch (err) {
      if (isConnectorError(err)) err.attempts = attempt;
      throw err;
    }
  }
}
