import type { CursorPagination } from '../manifest/types.js';
import { compileGetter } from '../response/path.js';
import { numberAt, type PaginationStrategy } from './strategy.js';

/** The API hands out the next cursor itself; the engine passes it through untouched. */
export function cursorStrategy(spec: CursorPagination): PaginationStrategy {
  const next = compileGetter(spec.next);
  const key = JSON.stringify(spec.next.split('.').at(-1));
  return {
    cursorParam: spec.param,
    toQuery: (params) => params,
    peek: (text) => lastStringAfterKey(text, key),
    total: spec.total ? numberAt(spec.total) : undefined,
    nextCursor(body) {
      const cursor = next(body);
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
