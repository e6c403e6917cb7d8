import { RateLimitError } from '../errors.js';
import type { Headers } from './headers.js';
import type { RateLimitReader } from './rate-limit.js';
import { sleep } from './sleep.js';

/**
 * Paces every call of one runtime by the API's rate-limit headers: once the window's
 * remaining count reaches zero, the next request waits for the reset instead of provoking
 * a 429. Shared by concurrent calls, which each reserve one request of the window.
 */
export class RateLimiter {
  private remaining = Number.POSITIVE_INFINITY;
  private resetAt = 0;

  constructor(
    private readonly reader: RateLimitReader,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request of the window when no wait is needed; false otherwise (then call acquire). */
  tryAcquire(): boolean {
    if (this.remaining > 0) {
      this.remaining--;
      return true;
    }
    return false;
  }

  /**
   * Waits, if needed, until a request may go out; returns how long it waited in ms. A wait
   * longer than `maxWaitMs` is not started: a RateLimitError says when the window reopens.
   */
  async acquire(signal: AbortSignal | undefined, what: string, maxWaitMs: number, onWait?: (ms: number, resetAt: number) => void): Promise<number> {
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
      if (ms > maxWaitMs) {
        const at = new Date(this.resetAt);
        const err = new RateLimitError(
          'RATE_LIMITED',
          `${what}: the API's rate limit is spent until ${at.toISOString()}, ${Math.ceil(ms / 1000)} s from now, longer than the ${maxWaitMs} ms this call may wait. ` +
            'Retry after then, or raise retry.maxWaitMs.',
          { status: 429, details: [], method: '', url: '' },
        );
        err.resetAt = at;
        throw err;
      }
      onWait?.(ms, this.resetAt);
      await sleep(ms, signal, what);
      waited += ms;
    }
  }

  /** Learns the window's state from an answer's headers. */
  update(headers: Headers): void {
    const remaining = this.reader.remaining(headers);
    if (remaining === undefined) return;
    const resetAt = this.reader.resetAt(headers, this.now());
    if (resetAt === undefined) return;
    // A window is another one when its reset differs from the known one by a second or more
    // (resets given as seconds from now wobble with the clock within one window; a 429 may
    // say the window reopens now).
    if (Math.abs(resetAt - this.resetAt) >= 1000) {
      this.resetAt = resetAt;
      this.remaining = remaining;
    } else {
      // Answers arrive out of order under concurrency: the lowest count is the latest.
      this.remaining = Math.min(this.remaining, remaining);
    }
  }
}
