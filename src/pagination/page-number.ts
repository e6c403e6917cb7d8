import { compileGetter } from '../dotted-path.js';
import { ParameterError } from '../errors.js';
import type { PageNumberPagination } from '../manifest/types.js';
import { decodeToken, encodeToken } from './token.js';
import { badToken, compileStops, cursorOf, numberAt, pagedBasics, pageSizeOf, withoutCursor, type PaginationStrategy } from './strategy.js';

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
 * The API pages by number; callers get an opaque cursor like every other list. The cursor
 * carries the page number and the page size it was issued for. The last page is the one
 * `total_pages` names, else the first empty (or short, or `has_more: false`) page.
 */
export function pageNumberStrategy(spec: PageNumberPagination): PaginationStrategy {
  const currentPage = spec.current_page ? compileGetter(spec.current_page) : undefined;
  const totalPages = spec.total_pages ? numberAt(spec.total_pages) : undefined;
  const first = spec.first_page ?? 1;
  const sizeParam = spec.page_size_param;
  const inject = spec.inject ?? { in: 'query' as const, name: spec.page_param ?? 'page' };
  const stops = compileStops(spec);

  return {
    ...pagedBasics(spec),
    request(params) {
      const cursor = cursorOf(params, spec);
      // A page number in the path has no default to fall back on: the first page names itself.
      if (cursor === undefined) return { params, inject: inject.in === 'path' ? [{ ...inject, value: first }] : [], state: { position: first, size: pageSizeOf(params, spec) } };
      const pos = decodePageCursor(cursor);
      if (!pos) throw badToken(spec.param);
      const rest = withoutCursor(params, spec.param);
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
    next(page, sent) {
      const reported = currentPage?.(page.body);
      const current = typeof reported === 'number' ? reported : sent.state.position!;
      const total = totalPages?.(page.body);
      if (total !== undefined) {
        if (current + 1 - first >= total) return null;
      } else if (page.records.length === 0) return null;
      const size = sent.state.size;
      if (stops(page, sent, size === undefined ? undefined : (current - first) * size)) return null;
      const explicit = sizeParam && typeof sent.params[sizeParam] === 'number' ? (sent.params[sizeParam] as number) : undefined;
      return encodePageCursor({ page: current + 1, size: explicit });
    },
  };
}
