import type { PaginationSpec } from '../manifest/types.js';
import { cursorStrategy } from './cursor.js';
import { nextUrlStrategy } from './next-url.js';
import { noPagination } from './none.js';
import { offsetStrategy } from './offset.js';
import { pageNumberStrategy } from './page-number.js';
import type { PaginationStrategy } from './strategy.js';

/** The one implementation of each strategy type. */
export function strategyFor(spec: PaginationSpec): PaginationStrategy {
  switch (spec.type) {
    case 'cursor':
      return cursorStrategy(spec);
    case 'next_url':
      return nextUrlStrategy(spec);
    case 'offset':
      return offsetStrategy(spec);
    case 'page_number':
      return pageNumberStrategy(spec);
    case 'none':
      return noPagination(spec);
  }
}
