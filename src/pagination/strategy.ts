import { compileGetter } from '../dotted-path.js';
import { PaginationError, ParameterError } from '../errors.js';
import { whyMissing } from '../dotted-path.js';
import type { PagedSpec, TokenPlacement } from '../manifest/types.js';
import type { Headers } from '../transport/headers.js';

/** A value a strategy adds to a request, where the API reads it. */
export interface Injection extends TokenPlacement {
  value: unknown;
}

/** One page's request, as a strategy shapes it from the caller's params. */
export interface PageRequest {
  /** The caller's params without the opaque cursor. */
  params: Record<string, unknown>;
  inject: Injection[];
  /** Path and query of a next-page URL the API gave; replaces the action's path and query. */
  url?: string;
  /**
   * Another endpoint under the base URL (a scroll API); replaces the action's path, and its
   * query holds only what `inject` puts there.
   */
  path?: string;
  /** What the strategy needs back to read the next cursor (page number, offset, page size). */
  state: { position?: number; size?: number; scroll?: boolean };
  /** What to do when this request is refused, when the manifest says (see ErrorContext.advice). */
  advice?: string;
  /**
   * The API answers this request only once (a scroll moves on with each request): it is never
   * sent twice, not by a retry, a read-ahead or a resume.
   */
  once?: boolean;
}

/** What a strategy reads the next cursor from. */
export interface PageView {
  body: unknown;
  headers: Headers;
  records: readonly unknown[];
}

/** Facts about the call a strategy needs: its name for messages, and what keeps next-page URLs safe. */
export interface PagingContext {
  operation: string;
  /** The API's origin: next-page URLs elsewhere are refused. */
  origin: string;
  /** A query entry that carries a credential: dropped from URLs the API hands back. */
  secretQueryName: string | undefined;
}

/**
 * A pagination strategy turns the caller's opaque cursor into one request and a response
 * into the next cursor. One implementation per strategy type; every list of every
 * connector goes through one of them, and callers only ever see `meta.next_page`.
 */
export interface PaginationStrategy {
  /** The parameter callers pass the cursor in (absent for unpaginated lists). */
  readonly cursorParam: string | undefined;
  /** The parameter that sets the page size, when the API has one. */
  readonly pageSizeParam: string | undefined;
  request(params: Record<string, unknown>): PageRequest;
  /** The cursor of the page after this one, or null on the last page. */
  next(page: PageView, sent: PageRequest, ctx: PagingContext): string | null;
  /**
   * A guess at the next cursor from the raw body, before it is parsed, so the next request
   * can start while this page parses. Always checked against next() afterwards.
   */
  peek?(text: string): string | undefined;
  /** The total number of records the API reports, if it does. */
  total?(body: unknown): number | undefined;
  /** For lists that are not paginated: a reason to believe the API has more, read from the answer. */
  truncated?(page: PageView): string | undefined;
  /**
   * A cursor that replaces this answer before any of its records is used: the list is too
   * long for this way of paging and must be read from the start another way.
   */
  restart?(page: PageView, sent: PageRequest): string | undefined;
}

/** A getter for a numeric field of the response (e.g. a total count). */
export function numberAt(path: string): (body: unknown) => number | undefined {
  const get = compileGetter(path);
  return (body) => {
    const v = get(body);
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
  };
}

/**
 * The stop conditions paged strategies share: a `has_more` flag that is false, the total
 * reached (when the strategy knows how many records came before this page), a short page.
 */
export function compileStops(spec: PagedSpec): (page: PageView, sent: PageRequest, before: number | undefined) => boolean {
  const hasMore = spec.has_more ? compileGetter(spec.has_more) : undefined;
  const total = spec.total ? numberAt(spec.total) : undefined;
  return (page, sent, before) => {
    if (hasMore) {
      const more = hasMore(page.body);
      if (more === false || more === 'false') return true;
    }
    if (total && before !== undefined) {
      const t = total(page.body);
      if (t !== undefined && before + page.records.length >= t) return true;
    }
    if (spec.stop_on_short_page) {
      const size = sent.state.size ?? spec.page_size;
      if (size !== undefined && page.records.length < size) return true;
    }
    return false;
  };
}

/** The page size a request asks for: the caller's, else the parameter's default, else the strategy's. */
export function pageSizeOf(params: Record<string, unknown>, spec: PagedSpec): number | undefined {
  const v = spec.page_size_param ? params[spec.page_size_param] : undefined;
  return typeof v === 'number' ? v : spec.page_size;
}

export function badToken(param: string): ParameterError {
  return new ParameterError(
    `parameter "${param}" is not a cursor this connector issued; pass the meta.next_page of a previous page, or omit it to start at the beginning.`,
    param,
  );
}

/** What every paged strategy says the same way: its parameters and where the total is. */
export function pagedBasics(spec: PagedSpec): Pick<PaginationStrategy, 'cursorParam' | 'pageSizeParam' | 'total'> {
  return { cursorParam: spec.param, pageSizeParam: spec.page_size_param, total: spec.total ? numberAt(spec.total) : undefined };
}

/** The caller's cursor, or undefined on the first page. */
export function cursorOf(params: Record<string, unknown>, spec: PagedSpec): string | undefined {
  const cursor = params[spec.param];
  return cursor === undefined || cursor === null ? undefined : String(cursor);
}

/**
 * A paging value read at `path`, checked: a scalar (or nothing, on a last page). A value of
 * another shape, or a path that runs into one, means the API's answer is not what the
 * manifest says: an error that says what was found, never a quiet end of the list.
 */
export function pagingValue(body: unknown, path: string, got: unknown, ctx: PagingContext, what: string): string | number | undefined {
  if (got === undefined) {
    const miss = whyMissing(body, path);
    if (miss) throw mismatch(ctx, what, path, miss);
    return undefined;
  }
  if (got === null || got === '') return undefined;
  if (typeof got === 'string' || typeof got === 'number') return got;
  throw mismatch(ctx, what, path, `it is ${Array.isArray(got) ? 'a list' : typeof got === 'object' ? 'an object' : `a ${typeof got}`}, not a string`);
}

function mismatch(ctx: PagingContext, what: string, path: string, found: string): PaginationError {
  return new PaginationError(
    `${ctx.operation}: the manifest reads the ${what} at "${path}", but in this answer ${found}. The API's paging changed, or the manifest's path is wrong; nothing after this page was read.`,
    null,
  );
}

/** The caller's params without the cursor. */
export function withoutCursor(params: Record<string, unknown>, param: string): Record<string, unknown> {
  if (params[param] === undefined) return params;
  const rest = { ...params };
  delete rest[param];
  return rest;
}
