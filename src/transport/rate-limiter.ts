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
    const remaining = this.reader.remaining(headers);
    if (remaining === undefined) return;
    const resetAt = this.reader.resetAt(headers, this.now());
    if (resetAt === undefined) return;
    // A window is new when its reset is a second or more later than the known one (resets
    // given as seconds-from-now move with the clock within one window).
    if (resetAt >= this.resetAt + 1000) {
      this.resetAt = resetAt;
      this.remaining = remaining;
    } else {
      // Answers arrive out of order under concurrency: the lowest count is the latest.
      this.remaining = Math.min(this.remaining, remaining);
    }
  }
}
