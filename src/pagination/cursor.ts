import { compileGetter, splitPath } from '../dotted-path.js';
import type { CursorPagination } from '../manifest/types.js';
import { header } from '../transport/headers.js';
import { compileStops, cursorOf, pagedBasics, pageSizeOf, pagingValue, withoutCursor, type PaginationStrategy } from './strategy.js';

/**
 * The API hands out the next cursor itself (in the body, a header, or as the last record's
 * id); the engine passes it through untouched, so `meta.next_page` is the API's own cursor.
 */
export function cursorStrategy(spec: CursorPagination): PaginationStrategy {
  const inject = spec.inject ?? { in: 'query' as const, name: spec.param };
  const stops = compileStops(spec);
  const fromBody = spec.next ? compileGetter(spec.next) : undefined;
  const fromHeader = spec.next_header?.toLowerCase();
  const fromRecord = spec.last_record ? compileGetter(spec.last_record) : undefined;
  const key = spec.next ? JSON.stringify(splitPath(spec.next).at(-1)) : undefined;

  return {
    ...pagedBasics(spec),
    request(params) {
      const cursor = cursorOf(params, spec);
      const state = { size: pageSizeOf(params, spec) };
      if (cursor === undefined) return { params, inject: [], state };
      return { params: withoutCursor(params, spec.param), inject: [{ ...inject, value: cursor }], state };
    },
    peek: key ? (text) => lastStringAfterKey(text, key) : undefined,
    next(page, sent, ctx) {
      // A page without records has no last record to go on from.
      if (fromRecord && page.records.length === 0) return null;
      if (stops(page, sent, undefined)) return null;
      let cursor: unknown;
      if (fromBody) cursor = pagingValue(page.body, spec.next!, fromBody(page.body), ctx, 'next cursor');
      else if (fromHeader) cursor = header(page.headers, fromHeader);
      else cursor = pagingValue(page.records.at(-1), spec.last_record!, fromRecord!(page.records.at(-1)), ctx, "last record's cursor field");
      if (cursor === undefined || cursor === null || cursor === '') return null;
      return String(cursor);
    },
  };
}

/**
 * The string value of the last `"key": "..."` in a JSON text, read without parsing the
 * whole text. APIs put the paging block after the records, so the last one is the cursor;
 * when it is not, the parsed body corrects the guess.
 */
export function lastStringAfterKey(text: string, quotedKey: string): string | undefined {
  const at = text.lastIndexOf(quotedKey);
  if (at < 0) return undefined;
  let i = at + quotedKey.length;
  while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13 || text.charCodeAt(i) === 9) i++;
  if (text[i] !== ':') return undefined;
  i++;
  while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13 || text.charCodeAt(i) === 9) i++;
  if (text[i] !== '"') return undefined;
  let end = i + 1;
  while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
  if (end >= text.length) return undefined;
  try {
    const value: unknown = JSON.parse(text.slice(i, end + 1));
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}
