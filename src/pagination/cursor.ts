import type { CursorPagination } from '../manifest/types.js';
import { compileGetter } from '../response/path.js';
import type { PaginationStrategy } from './strategy.js';

/** The API hands out the next cursor itself; the engine passes it through untouched. */
export function cursorStrategy(spec: CursorPagination): PaginationStrategy {
  const next = compileGetter(spec.next);
  return {
    cursorParam: spec.param,
    toQuery: (params) => params,
    nextCursor(body) {
      const cursor = next(body);
      if (cursor === undefined || cursor === null || cursor === '') return null;
      return String(cursor);
    },
  };
}
