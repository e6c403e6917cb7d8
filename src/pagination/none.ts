import { compileGetter } from '../dotted-path.js';
import type { NoPagination } from '../manifest/types.js';
import { linkTarget } from '../transport/headers.js';
import type { PaginationStrategy, PageView } from './strategy.js';

/** Flags by which APIs commonly say a list goes on. */
const MORE_FLAGS = ['has_more', 'hasMore', 'has_next_page', 'hasNextPage'];

/**
 * One response holds every record. The answer is still checked for signs that it does not
 * (a `Link: rel="next"`, a `has_more: true`, a declared flag): a list cut short must not
 * pass for a whole one.
 */
export function noPagination(spec: NoPagination = { type: 'none' }): PaginationStrategy {
  const declared = spec.has_more ? compileGetter(spec.has_more) : undefined;
  return {
    cursorParam: undefined,
    pageSizeParam: undefined,
    request: (params) => ({ params, inject: [], state: {} }),
    next: () => null,
    truncated(page: PageView) {
      if (declared && (declared(page.body) === true || declared(page.body) === 'true')) return `its ${spec.has_more} is true`;
      if (linkTarget(page.headers, 'next') !== undefined) return 'it sent a Link header with rel="next"';
      const body = page.body;
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        for (const flag of MORE_FLAGS) if ((body as Record<string, unknown>)[flag] === true) return `its "${flag}" is true`;
      }
      return undefined;
    },
  };
}
