import type { OffsetPagination } from '../manifest/types.js';
import { decodeToken, encodeToken } from './token.js';
import { badToken, compileStops, cursorOf, pagedBasics, pageSizeOf, withoutCursor, type PaginationStrategy } from './strategy.js';

/**
 * `offset`/`limit` APIs (`startAt`/`maxResults` and the like): the token carries the offset of
 * the next record, counted from the records actually received, so an API that serves
 * fewer than asked never makes a page repeat or skip records.
 */
export function offsetStrategy(spec: OffsetPagination): PaginationStrategy {
  const first = spec.first_offset ?? 0;
  const stops = compileStops(spec);
  return {
    ...pagedBasics(spec),
    request(params) {
      const cursor = cursorOf(params, spec);
      let offset = first;
      if (cursor !== undefined) {
        const value = decodeToken('of', cursor);
        if (!value || !Number.isInteger(value[0]) || (value[0] as number) < first) throw badToken(spec.param);
        offset = value[0] as number;
      }
      const rest = withoutCursor(params, spec.param);
      const inject = offset === first && cursor === undefined && spec.inject.in !== 'path' ? [] : [{ ...spec.inject, value: offset }];
      return { params: rest, inject, state: { position: offset, size: pageSizeOf(rest, spec) } };
    },
    next(page, sent) {
      if (page.records.length === 0) return null;
      const offset = sent.state.position!;
      if (stops(page, sent, offset - first)) return null;
      return encodeToken('of', [offset + page.records.length]);
    },
  };
}
