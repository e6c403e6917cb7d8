import type { Dispatcher } from 'undici';
import { isConnectorError, ResponseError } from '../errors.js';
import { channels } from './diagnostics.js';
import type { RateLimiter } from './rate-limiter.js';
import { retryDelay, shouldRetry, type RetryPolicy } from './retry.js';
import { send, type OutgoingRequest } from './send.js';
import { sleep } from './sleep.js';

export interface ExchangeContext {
  /** Set on first use from createDispatcher, unless the host gave one. */
  dispatcher: Dispatcher | undefined;
  createDispatcher: () => Promise<Dispatcher>;
  limiter: RateLimiter;
  maxResponseBytes: number;
  /** Header with the rate-limit reset time (epoch seconds), honoured on 429. */
  resetHeader: string | undefined;
  /** Finds the API's request id in a parsed error body, for events. */
  requestIdOf: (body: unknown) => string | undefined;
  /** Removes secrets from text the API sent back, before it goes into a message. */
  redact: (text: string) => string;
}

export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined for an empty or, on an error status, unparsable one). */
  body: unknown;
  attempts: number;
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
  /** Sees a 2xx body before it is parsed (a pagination may read the next cursor early); true if it started something. */
  onText?: (text: string) => boolean,
): Promise<Exchange> {
  const base = { operation: req.operation, method: req.method, path: req.path };
  const count = { all: 0, serverErrors: 0 };
  for (let attempt = 1; ; attempt++, count.all++) {
    let retryWait: number;
    let reason: string;
    try {
      // The common case takes no await, so a request started ahead goes out at once.
      if (!ctx.limiter.tryAcquire()) {
        await ctx.limiter.acquire(req.signal, req.operation, (waitMs, resetAt) => {
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
        channels.response.publish({ ...base, attempt, status: res.status, ms: Math.round(performance.now() - started), requestId: ok ? undefined : ctx.requestIdOf(body) });
      }
      if (ok || !shouldRetry(req.method, { status: res.status }, count, policy)) {
        return { status: res.status, headers: res.headers, body, attempts: attempt };
      }
      if (res.status >= 500) count.serverErrors++;
      retryWait = retryDelay(attempt, res.status, res.headers, policy, ctx.resetHeader);
      reason = `HTTP ${res.status}`;
    } catch (err) {
      if (!shouldRetry(req.method, { error: err }, count, policy)) {
        if (isConnectorError(err)) err.attempts = attempt;
        throw err;
      }
      retryWait = retryDelay(attempt, undefined, undefined, policy, ctx.resetHeader);
      reason = `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`;
    }
    if (channels.retry.hasSubscribers) channels.retry.publish({ ...base, attempt, reason, waitMs: Math.round(retryWait) });
    try {
      await sleep(retryWait, req.signal, req.operation);
    } catch (err) {
      if (isConnectorError(err)) err.attempts = attempt;
      throw err;
    }
  }
}
