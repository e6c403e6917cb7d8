import type { PaginationStrategy } from './strategy.js';

/** One response holds every record. */
export const noPagination: PaginationStrategy = {
  cursorParam: undefined,
  toQuery: (params) => params,
  nextCursor: () => null,
};
