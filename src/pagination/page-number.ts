import { compileGetter } from '../dotted-path.js';
import { PaginationError, ParameterError } from '../errors.js';
import type { PageNumberPagination } from '../manifest/types.js';
import { decodeToken, encodeToken } from './token.js';
import { badToken, compileStops, cursorOf, numberAt, pagedBasics, pageSizeOf, pagingValue, withoutCursor, type PageRequest, type PaginationStrategy } from './strategy.js';

interface PagePosition {
  page: number;
  /** The page size the cursor was issued for: another size would shift the pages. */
  size: number | undefined;
}

/** Encodes a page position as an opaque cursor. */
export function encodePageCursor(pos: PagePosition): string {
  return encodeToken('pg', pos.size === undefined ? [pos.page] : [pos.page, pos.size]);
}

/** Decodes a cursor made by encodePageCursor, or returns undefined when it is not one. */
export function decodePageCursor(cursor: string): PagePosition | undefined {
  const value = decodeToken('pg', cursor);
  if (!value || !Number.isInteger(value[0]) || (value[0] as number) < 0) return undefined;
  if (value.length > 1 && !(Number.isInteger(value[1]) && (value[1] as number) > 0)) return undefined;
  return { page: value[0] as number, size: value[1] as number | undefined };
}

/**
 * A scroll position: the API's token (null: open a new scroll) and the number of the next
 * batch. The API may hand out the same token for every batch of one scroll; the number keeps
 * each cursor distinct, so a repeated cursor still means a stuck API.
 */
function decodeScrollCursor(cursor: string): { token: string | null; batch: number } | undefined {
  const value = decodeToken('sc', cursor);
  if (!value || value.length !== 2 || !(value[0] === null || typeof value[0] === 'string') || !Number.isInteger(value[1])) return undefined;
  return { token: value[0], batch: value[1] as number };
}

/**
 * The API pages by number; callers get an opaque cursor like every other list. The cursor
 * carries the page number and the page size it was issued for. The last page is the one
 * `total_pages` names, else the first empty (or short, or `has_more: false`) page.
 */
export function pageNumberStrategy(spec: PageNumberPagination): PaginationStrategy {
  const scroll = spec.scroll;
  const scrollNext = scroll ? compileGetter(scroll.next) : undefined;
  const scrollAdvice = scroll
    ? `The list is longer than page numbers reach (${scroll.after} records), so it is read with the scroll endpoint ${scroll.path}${scroll.hint ? `: ${scroll.hint}` : ', which refused to go on: read the list again from the start'}.`
    : undefined;
  const basics = pagedBasics(spec);
  const totalOf = basics.total;
  const currentPage = spec.current_page ? compileGetter(spec.current_page) : undefined;
  const totalPages = spec.total_pages ? numberAt(spec.total_pages) : undefined;
  const first = spec.first_page ?? 1;
  const sizeParam = spec.page_size_param;
  const inject = spec.inject ?? { in: 'query' as const, name: spec.page_param ?? 'page' };
  const stops = compileStops(spec);

  return {
    ...basics,
    request(params) {
      const cursor = cursorOf(params, spec);
      // A page number in the path has no default to fall back on: the first page names itself.
      if (cursor === undefined) return { params, inject: inject.in === 'path' ? [{ ...inject, value: first }] : [], state: { position: first, size: pageSizeOf(params, spec) } };
      const rest = withoutCursor(params, spec.param);
      const scrolled = scroll && decodeScrollCursor(cursor);
      if (scroll && scrolled) {
        // The scroll endpoint pages at its own size: the caller's page size does not apply.
        const inject: PageRequest['inject'] = scrolled.token === null ? [] : [{ in: 'query', name: scroll.param, value: scrolled.token }];
        return { params: rest, inject, path: scroll.path, state: { scroll: true, position: scrolled.batch }, advice: scrollAdvice, once: true };
      }
      const pos = decodePageCursor(cursor);
      if (!pos) throw badToken(spec.param);
      if (sizeParam && pos.size !== undefined) {
        if (params[sizeParam] !== undefined && params[sizeParam] !== pos.size) {
          throw new ParameterError(
            `parameter "${sizeParam}" is ${String(params[sizeParam])} but the cursor was issued for ${pos.size}; pages would shift. Omit "${sizeParam}" or pass ${pos.size}.`,
            sizeParam,
          );
        }
        rest[sizeParam] = pos.size;
      }
      return { params: rest, inject: [{ ...inject, value: pos.page }], state: { position: pos.page, size: pos.size ?? pageSizeOf(rest, spec) } };
    },
    next(page, sent, ctx) {
      if (sent.state.scroll) {
        // An empty batch ends a scroll; any other batch must hand out the token of the next one.
        if (page.records.length === 0) return null;
        const token = pagingValue(page.body, scroll!.next, scrollNext!(page.body), ctx, 'scroll token');
        if (token === undefined) {
          throw new PaginationError(
            `${ctx.operation}: a batch of the scroll came without the token of the next one (at "${scroll!.next}"), so the rest of the list cannot be read. Read the list again from the start.`,
            null,
          );
        }
        return encodeToken('sc', [String(token), sent.state.position! + 1]);
      }
      const reported = currentPage?.(page.body);
      const current = typeof reported === 'number' ? reported : sent.state.position!;
      const total = totalPages?.(page.body);
      if (total !== undefined) {
        if (current + 1 - first >= total) return null;
      } else if (page.records.length === 0) return null;
      // A page before the last is full, so it tells the size the API serves, which may be less
      // than asked (a cap): records before this page are counted with it, or a total would end the list early.
      const asked = sent.state.size;
      const size = asked !== undefined && total !== undefined && page.records.length > 0 && page.records.length < asked ? page.records.length : asked;
      if (stops(page, sent, size === undefined ? undefined : (current - first) * size)) return null;
      const explicit = sizeParam && typeof sent.params[sizeParam] === 'number' ? (sent.params[sizeParam] as number) : undefined;
      return encodePageCursor({ page: current + 1, size: explicit });
    },
    restart(page, sent) {
      // Only the first page decides: a list resumed by page number was short enough for them.
      if (!scroll || sent.state.scroll || sent.state.position !== first) return undefined;
      const total = totalOf?.(page.body);
      return total !== undefined && total > scroll.after ? encodeToken('sc', [null, 0]) : undefined;
    },
  };
}
