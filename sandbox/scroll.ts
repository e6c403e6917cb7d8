// GET /companies/scroll: Intercom's way through more companies than page numbers reach.
// The spec (scrollOverAllCompanies) fixes the rules: one scroll open per app at a time, a
// scroll unused for 1 minute expires, an empty page ends it, and after a 500 the scroll must
// be restarted. The error bodies are the ones Intercom answers (the spec names the 500's
// message; clients in the wild match "scroll already exists for this workspace" and
// "scroll parameter not found").

import { randomUUID } from 'node:crypto';
import type { Company } from './data.js';
import { ApiError, notFound } from './errors.js';

export const SCROLL_TTL_MS = 60_000;
export const SCROLL_PAGE_SIZE = 50;
export const SCROLL_RESTART_MESSAGE = 'Request failed due to an internal network error. Please restart the scroll operation.';

export interface ScrollPage {
  type: 'list';
  data: Company[];
  pages: null;
  total_count: null;
  scroll_param: string;
}

export class CompanyScroll {
  private open: { param: string; next: number; lastUsedMs: number } | undefined;

  /** `now` is the sandbox's clock, so expiry can be tested without waiting a minute. */
  constructor(private readonly now: () => number) {}

  /**
   * The next page of `companies` for this scroll_param, or the first page of a new scroll.
   * `isLive` refuses the positions of deleted companies, which are skipped.
   */
  page(param: string | null, companies: readonly Company[], isLive: (index: number) => boolean): ScrollPage {
    const live = this.live();
    let scroll: NonNullable<CompanyScroll['open']>;
    if (param === null || param === '') {
      if (live) throw new ApiError(400, 'scroll_exists', 'scroll already exists for this workspace');
      scroll = { param: randomUUID(), next: 0, lastUsedMs: this.now() };
      this.open = scroll;
    } else {
      if (!live || live.param !== param) throw notFound('not_found', 'scroll parameter not found');
      scroll = live;
    }
    // Walking positions of the list: companies created meanwhile are appended, so they are
    // served later in the same scroll, none is served twice, and one deleted meanwhile keeps its
    // position (skipped), so the ones after it are not.
    const data: Company[] = [];
    let next = scroll.next;
    for (; next < companies.length && data.length < SCROLL_PAGE_SIZE; next++) {
      if (isLive(next)) data.push(companies[next] as Company);
    }
    scroll.next = next;
    scroll.lastUsedMs = this.now();
    if (data.length === 0) this.open = undefined;
    return { type: 'list', data, pages: null, total_count: null, scroll_param: scroll.param };
  }

  /** After a failed scroll request: upstream cannot continue from a point, so the scroll is gone. */
  abort(): void {
    this.open = undefined;
  }

  private live(): CompanyScroll['open'] {
    if (this.open && this.now() - this.open.lastUsedMs >= SCROLL_TTL_MS) this.open = undefined;
    return this.open;
  }
}
