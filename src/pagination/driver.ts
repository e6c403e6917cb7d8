import { isConnectorError, PaginationError } from '../errors.js';
import type { ListMeta } from '../operations.js';

/** One page as a fetcher returns it. */
export interface FetchedPage<R> {
  records: R[];
  next: string | null;
  total?: number;
  /** Fetched by a request the API answers only once (see ListMeta.once). */
  once?: boolean;
}

/** One page of a list, as `pages()` yields it. */
export interface PageOf<R> {
  data: R[];
  meta: ListMeta;
  /** The cursor this page was fetched with (null for the first page). */
  cursor: string | null;
}

/**
 * Lets a fetcher start the next page early: while someone waits for this page, a cursor
 * read from its raw text may be handed over (`take` answers whether it was used).
 */
export interface Lookahead {
  wanted(): boolean;
  take(cursor: string): boolean;
}

export type FetchPage<R> = (cursor: string | null, signal: AbortSignal, lookahead: Lookahead | undefined) => Promise<FetchedPage<R>>;

export interface DriveOptions {
  /** Names the list in errors, e.g. `contacts.list`. */
  name: string;
  start: string | null;
  maxPages: number;
  /** At maxPages: end quietly (a cap the caller chose) rather than throw (the default guard). */
  endAtCap?: boolean;
  /** Request the next page while the caller handles this one (never more than one ahead). */
  prefetch: boolean;
  signal?: AbortSignal;
}

export function listMeta(page: { next: string | null; total?: number; once?: boolean }): ListMeta {
  const meta: ListMeta = page.total === undefined ? { next_page: page.next } : { next_page: page.next, total_count: page.total };
  if (page.once) meta.once = true;
  return meta;
}

/** A page being fetched. */
interface Inflight<R> {
  cursor: string | null;
  page: Promise<FetchedPage<R>>;
  stop(): void;
  /** Set while someone waits for this page: receives the next cursor read early. */
  onGuess: ((cursor: string) => boolean) | undefined;
}

/**
 * Walks a list page after page over any page fetcher, whatever the API's paging scheme:
 * one page ahead at most, a repeated cursor stops with a PaginationError (never a loop),
 * and every failure carries the cursor to resume from. No HTTP here: tests drive it with
 * plain functions.
 */
export async function* drivePages<R>(opts: DriveOptions, fetchPage: FetchPage<R>): AsyncGenerator<PageOf<R>, void, undefined> {
  const seen = new Set<string>();
  let cursor = opts.start;
  let ahead: Inflight<R> | undefined;
  // After a page the API answers only once, its next cursor is spent by the request that fails:
  // resuming from it would skip a batch, so a failure says "start over" (null) instead.
  let spent = false;

  const launch = (from: string | null): Inflight<R> => {
    const controller = new AbortController();
    const forward = () => controller.abort(opts.signal!.reason);
    if (opts.signal?.aborted) controller.abort(opts.signal.reason);
    else opts.signal?.addEventListener('abort', forward, { once: true });
    const inflight: Inflight<R> = { cursor: from, onGuess: undefined, stop: () => controller.abort(), page: undefined as unknown as Promise<FetchedPage<R>> };
    const lookahead: Lookahead = {
      wanted: () => inflight.onGuess !== undefined,
      take(guess) {
        const take = inflight.onGuess;
        inflight.onGuess = undefined;
        return take ? take(guess) : false;
      },
    };
    inflight.page = fetchPage(from, controller.signal, opts.prefetch ? lookahead : undefined).finally(() => opts.signal?.removeEventListener('abort', forward));
    // A page requested ahead and then dropped must not surface as an unhandled rejection.
    inflight.page.catch(() => {});
    return inflight;
  };

  try {
    for (let n = 1; ; n++) {
      const current = ahead ?? launch(cursor);
      ahead = undefined;
      if (opts.prefetch && n < opts.maxPages) {
        current.onGuess = (guess) => {
          if (guess === cursor || seen.has(guess)) return false;
          ahead = launch(guess);
          return true;
        };
      }
      let page: FetchedPage<R>;
      try {
        page = await current.page;
      } catch (err) {
        if (isConnectorError(err)) err.resumeCursor = spent ? null : cursor;
        throw err;
      } finally {
        current.onGuess = undefined;
      }
      const next = page.next;
      const repeated = next !== null && (seen.has(next) || next === cursor);
      // Set by onGuess while we waited (hence the cast); a guess the parsed page contradicts is dropped.
      const guessed = ahead as Inflight<R> | undefined;
      if (guessed && (guessed.cursor !== next || repeated)) {
        guessed.stop();
        ahead = undefined;
      }
      spent = page.once === true;
      // A cursor the API answers only once is sent when the caller wants its page, not before.
      if (!ahead && opts.prefetch && !spent && next !== null && !repeated && n < opts.maxPages) ahead = launch(next);
      yield { data: page.records, meta: listMeta(page), cursor };
      if (next === null) return;
      if (repeated) {
        throw new PaginationError(
          `${opts.name}: the API returned the cursor ${JSON.stringify(next)} again, so the next page would repeat records. ` +
            'Stopped instead of looping; resumeCursor is where to go on once the API recovers.',
          next,
        );
      }
      if (n >= opts.maxPages) {
        if (opts.endAtCap) return;
        throw new PaginationError(`${opts.name}: stopped after maxPages=${opts.maxPages} pages; resume from resumeCursor or raise maxPages.`, next);
      }
      seen.add(next);
      cursor = next;
    }
  } finally {
    // The caller stopped early (break) or failed: the page requested ahead is not wanted.
    ahead?.stop();
  }
}
