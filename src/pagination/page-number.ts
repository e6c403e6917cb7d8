import { ParameterError } from '../errors.js';
import type { PageNumberPagination } from '../manifest/types.js';
import { compileGetter } from '../response/path.js';
import { numberAt, type PaginationStrategy } from './strategy.js';

// Cursors are versioned so that a future encoding can still read today's.
const PREFIX = 'pg1.';

interface PagePosition {
  page: number;
  /** The page size the cursor was issued for: another size would shift the pages. */
  size: number | undefined;
}

/** Encodes a page position as an opaque cursor. */
export function encodePageCursor(pos: PagePosition): string {
  return PREFIX + Buffer.from(JSON.stringify(pos.size === undefined ? [pos.page] : [pos.page, pos.size])).toString('base64url');
}

/** Decodes a cursor made by encodePageCursor, or returns undefined when it is not one. */
export function decodePageCursor(cursor: string): PagePosition | undefined {
  if (!cursor.startsWith(PREFIX)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8'));
    if (!Array.isArray(value) || !Number.isInteger(value[0]) || value[0] < 0) return undefined;
    if (value.length > 1 && !(Number.isInteger(value[1]) && value[1] > 0)) return undefined;
    return { page: value[0], size: value[1] };
  } catch {
    return undefined;
  }
}

/**
 * The API pages by number; callers get an opaque cursor like every other list. The cursor
 * carries the page number and the page size it was issued for.
 */
export function pageNumberStrategy(spec: PageNumberPagination): PaginationStrategy {
  const currentPage = compileGetter(spec.current_page);
  const totalPages = compileGetter(spec.total_pages);
  const first = spec.first_page ?? 1;
  const sizeParam = spec.page_size_param;

  return {
    cursorParam: spec.param,
    total: spec.total ? numberAt(spec.total) : undefined,
    toQuery(params) {
      const cursor = params[spec.param];
      if (cursor === undefined) return params;
      const pos = decodePageCursor(String(cursor));
      if (!pos) {
        throw new ParameterError(
          `parameter "${spec.param}" is not a cursor this connector issued; pass the meta.next_page of a previous page, or omit it to start at the beginning.`,
          spec.param,
        );
      }
      const query: Record<string, unknown> = { ...params, [spec.page_param]: pos.page };
      delete query[spec.param];
      if (sizeParam && pos.size !== undefined) {
        if (params[sizeParam] !== undefined && params[sizeParam] !== pos.size) {
          throw new ParameterError(
            `parameter "${sizeParam}" is ${String(params[sizeParam])} but the cursor was issued for ${pos.size}; pages would shift. Omit "${sizeParam}" or pass ${pos.size}.`,
            sizeParam,
          );
        }
        query[sizeParam] = pos.size;
      }
      return query;
    },
    nextCursor(body, sent) {
      const sentPage = sent[spec.page_param];
      const reported = currentPage(body);
      const page = typeof reported === 'number' ? reported : typeof sentPage === 'number' ? sentPage : first;
      const total = totalPages(body);
      if (typeof total !== 'number' || page + 1 - first >= total) return null;
      const size = sizeParam && typeof sent[sizeParam] === 'number' ? (sent[sizeParam] as number) : undefined;
      return encodePageCursor({ page: page + 1, size });
    },
  };
}
