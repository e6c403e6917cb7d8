// Virtual time for tests that are about waiting: timeouts, retry back-off, Retry-After and
// rate-limit windows. While a virtual clock runs, setTimeout (and Date, when asked) stop
// following the wall clock and time moves only when the test says, so an outcome cannot
// depend on how fast or loaded the machine is. Everything in the test's process shares the
// clock: the engine, undici, and a sandbox started in the test (its slow answers and its
// rate windows).
//
// Not node:test's mock.timers: its clearTimeout, given a timer of an earlier test's mock (an
// idle socket's keep-alive timer in undici), removes whichever timer of the current mock sits
// at that position, and an attempt's timeout silently never fires. Here a timer knows its
// clock, and timers still pending when a clock stops go on as real timers.
import diagnostics from 'node:diagnostics_channel';
import type { TestContext } from 'node:test';

const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, Date: globalThis.Date };

interface Clock {
  now: number;
  pending: Set<VirtualTimer>;
}

let active: Clock | undefined;
let sequence = 0;

/** A timer on a virtual clock, with the Timeout methods undici and the engine use. */
class VirtualTimer {
  readonly seq = ++sequence;
  due: number;
  /** Once its clock stopped: the real timer it goes on as. */
  handedOver: NodeJS.Timeout | undefined;
  private refed = true;

  constructor(
    private readonly clock: Clock,
    private readonly callback: (...args: unknown[]) => void,
    private readonly delay: number,
    private readonly args: unknown[],
  ) {
    this.due = clock.now + delay;
    clock.pending.add(this);
  }

  fire(): void {
    this.clock.pending.delete(this);
    this.callback.apply(this, this.args);
  }

  cancel(): void {
    this.clock.pending.delete(this);
    if (this.handedOver) real.clearTimeout(this.handedOver);
  }

  /** The clock stopped: the rest of the wait runs on the wall clock. */
  handOver(): void {
    this.clock.pending.delete(this);
    this.handedOver = real.setTimeout(() => this.callback.apply(this, this.args), Math.max(0, this.due - this.clock.now));
    if (!this.refed) this.handedOver.unref();
  }

  refresh(): this {
    if (this.handedOver) this.handedOver.refresh();
    else {
      this.due = this.clock.now + this.delay;
      this.clock.pending.add(this);
    }
    return this;
  }

  ref(): this {
    this.refed = true;
    this.handedOver?.ref();
    return this;
  }

  unref(): this {
    this.refed = false;
    this.handedOver?.unref();
    return this;
  }

  hasRef(): boolean {
    return this.refed;
  }

  close(): this {
    this.cancel();
    return this;
  }

  [Symbol.toPrimitive](): number {
    return this.seq;
  }
}

// Installed once per test file's process; a plain pass-through while no virtual clock runs.
const virtualSetTimeout = (callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
  if (!active) return real.setTimeout(callback, delay, ...args);
  const ms = Number(delay);
  return new VirtualTimer(active, callback, Number.isFinite(ms) && ms >= 1 ? ms : 1, args);
};
const virtualClearTimeout = (timer: unknown) => {
  if (timer instanceof VirtualTimer) timer.cancel();
  else real.clearTimeout(timer as NodeJS.Timeout);
};
Object.assign(globalThis, { setTimeout: virtualSetTimeout, clearTimeout: virtualClearTimeout });

/** Date on the virtual clock: `new Date()` and `Date.now()` read it; everything else is Date's own. */
function virtualDate(clock: Clock): DateConstructor {
  function VirtualDate(this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return new real.Date(clock.now).toString();
    return args.length === 0 ? new real.Date(clock.now) : new (real.Date as unknown as new (...a: unknown[]) => Date)(...args);
  }
  VirtualDate.prototype = real.Date.prototype;
  // A reference kept past the clock's end (a default parameter `now = Date.now`) falls back to the wall clock.
  return Object.assign(VirtualDate, { now: () => (active === clock ? clock.now : real.Date.now()), parse: real.Date.parse, UTC: real.Date.UTC }) as unknown as DateConstructor;
}

export interface EngineWait {
  kind: 'retry' | 'rate-limit';
  /** The wait the engine announced, in ms. */
  ms: number;
}

export interface VirtualClock {
  /** Moves time forward, running every timer that falls due on the way, in order. */
  tick(ms: number): void;
  /** The engine's waits so far, each as announced on its diagnostics channel. */
  readonly waits: readonly EngineWait[];
}

export interface VirtualClockOptions {
  /** Also put Date on the clock (rate windows and reset headers are read off it). */
  date?: boolean;
  /** Date.now() at the start (default: the wall clock's). */
  now?: number;
  /**
   * Let the engine's waits pass at once: when it announces a retry or rate-limit wait, time
   * moves forward by that wait (default true). Off for a test that ends a wait itself.
   */
  followWaits?: boolean;
}

/** A virtual clock for the rest of test `t`; the wall clock is back when the test ends. */
export function virtualClock(t: TestContext, options: VirtualClockOptions = {}): VirtualClock {
  if (active) throw new Error('a virtual clock is already running');
  const { date = false, now = real.Date.now(), followWaits = true } = options;
  const clock: Clock = { now, pending: new Set() };
  active = clock;
  if (date) globalThis.Date = virtualDate(clock);

  const tick = (ms: number) => {
    const until = clock.now + ms;
    for (;;) {
      let next: VirtualTimer | undefined;
      for (const timer of clock.pending) {
        if (timer.due <= until && (!next || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq))) next = timer;
      }
      if (!next) break;
      clock.now = Math.max(clock.now, next.due);
      next.fire();
    }
    clock.now = until;
  };

  const waits: EngineWait[] = [];
  // The engine announces a wait and starts its timer in one synchronous step: a microtask
  // later the timer exists, and moving time by the wait runs it.
  const onRetry = (m: unknown) => {
    const ms = (m as { waitMs: number }).waitMs;
    waits.push({ kind: 'retry', ms });
    // The announced wait is rounded to the ms (a 0.4 ms back-off says 0): one more covers the fraction.
    if (followWaits) queueMicrotask(() => tick(ms + 1));
  };
  const onRateLimitWait = (m: unknown) => {
    const { waitMs, resetAt } = m as { waitMs: number; resetAt: string };
    waits.push({ kind: 'rate-limit', ms: waitMs });
    // With Date on the clock the reset is exact: the limiter wakes on it, not a ms late.
    const ms = date ? real.Date.parse(resetAt) - clock.now : waitMs + 1;
    if (followWaits && ms > 0) queueMicrotask(() => tick(ms));
  };
  diagnostics.subscribe('connector-engine:retry', onRetry);
  diagnostics.subscribe('connector-engine:rate-limit-wait', onRateLimitWait);

  t.after(() => {
    diagnostics.unsubscribe('connector-engine:retry', onRetry);
    diagnostics.unsubscribe('connector-engine:rate-limit-wait', onRateLimitWait);
    active = undefined;
    if (date) globalThis.Date = real.Date;
    for (const timer of [...clock.pending]) timer.handOver();
  });
  return { tick, waits };
}

/**
 * Calls `fn` each time an HTTP server in this process has taken a request in (its handler
 * has run: a fault is injected, an answer is held). Returns the unsubscriber.
 */
export function afterServerRequest(fn: () => void): () => void {
  const onStart = () => queueMicrotask(fn);
  diagnostics.subscribe('http.server.request.start', onStart);
  return () => diagnostics.unsubscribe('http.server.request.start', onStart);
}
