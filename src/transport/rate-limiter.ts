import { header, type Headers } from './headers.js';
import { sleep } from './sleep.js';

export interface RateLimitHeaders {
  remaining?: string;
  reset?: string;
}

/**
 * Paces every call of one runtime by the API's rate-limit headers: once the window's
 * remaining count reaches zero, the next request waits for the reset instead of provoking
 * a 429. Shared by concurrent calls, which each reserve one request of the window.
 */
export class RateLimiter {
  private remaining = Number.POSITIVE_INFINITY;
  private resetAt = 0;
  private readonly remainingHeader: string | undefined;
  private readonly resetHeader: string | undefined;

  constructor(
    headers: RateLimitHeaders,
    private readonly now: () => number = Date.now,
  ) {
    this.remainingHeader = headers.remaining?.toLowerCase();
    this.resetHeader = headers.reset?.toLowerCase();
  }

  /** Takes one request of the window when no wait is needed; false otherwise (then call acquire). */
  tryAcquire(): boolean {
    if (this.remaining > 0) {
      this.remaining--;
      return true;
    }
    return false;
  }

  /** Waits, if needed, until a request may go out; returns how long it waited in ms. */
  async acquire(signal: AbortSignal | undefined, what: string, onWait?: (ms: number, resetAt: number) => void): Promise<number> {
    let waited = 0;
    for (;;) {
      const now = this.now();
      if (this.remaining > 0) {
        this.remaining--;
        return waited;
      }
      if (now >= this.resetAt) {
        // A new window: its size is unknown until the next answer says.
        this.remaining = Number.POSITIVE_INFINITY;
        continue;
      }
      const ms = this.resetAt - now;
      onWait?.(ms, this.resetAt);
      await sleep(ms, signal, what);
      waited += ms;
    }
  }

  /** Learns the window's state from an answer's headers. */
  update(headers: Headers): void {
    if (!this.remainingHeader || !this.resetHeader) return;
    const remaining = Number(header(headers, this.remainingHeader));
    const reset = Number(header(headers, this.resetHeader));
    if (!Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    const resetAt = reset * 1000;
    if (resetAt > this.resetAt) {
      this.resetAt = resetAt;
      this.remaining = remaining;
    } else if (resetAt === this.resetAt) {
      // Answers arrive out of order under concurrency: the lowest count is the latest.
      this.remaining = Math.min(this.remaining, remaining);
    }
  }
}

