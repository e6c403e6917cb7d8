import { compileGetter } from '../dotted-path.js';
import { PaginationError } from '../errors.js';
import type { NextUrlPagination } from '../manifest/types.js';
import { linkTarget } from '../transport/headers.js';
import { decodeToken, encodeToken } from './token.js';
import { badToken, compileStops, cursorOf, pagedBasics, pageSizeOf, pagingValue, withoutCursor, type PaginationStrategy } from './strategy.js';

/**
 * The API hands out the URL of the next page, in the body or the `Link` header (RFC 8288).
 * The engine follows it only on the connector's own origin, so credentials never
 * go elsewhere, and hands callers an opaque token holding its path and query.
 */
export function nextUrlStrategy(spec: NextUrlPagination): PaginationStrategy {
  const fromBody = spec.next ? compileGetter(spec.next) : undefined;
  const rel = spec.link_rel ?? 'next';
  const stops = compileStops(spec);
  return {
    ...pagedBasics(spec),
    request(params) {
      const cursor = cursorOf(params, spec);
      const state = { size: pageSizeOf(params, spec) };
      if (cursor === undefined) return { params, inject: [], state };
      const value = decodeToken('nu', cursor);
      const url = value?.[0];
      // Only a path of this origin: "//host" would name another host.
      if (typeof url !== 'string' || !url.startsWith('/') || url.startsWith('//')) throw badToken(spec.param);
      return { params: withoutCursor(params, spec.param), inject: [], url, state };
    },
    next(page, sent, ctx) {
      if (stops(page, sent, undefined)) return null;
      const raw = fromBody ? pagingValue(page.body, spec.next!, fromBody(page.body), ctx, 'next-page URL') : linkTarget(page.headers, rel);
      if (typeof raw !== 'string' || raw === '') return null;
      let url: URL;
      try {
        // A token is not a link: only an absolute URL or a path of this origin is followed.
        if (!/^(https?:\/\/|\/)/i.test(raw)) throw new Error('not a URL');
        url = new URL(raw, ctx.origin);
      } catch {
        throw new PaginationError(`the API's next-page link ${JSON.stringify(raw.slice(0, 200))} is not a URL; the list cannot go on.`, null);
      }
      if (url.origin !== ctx.origin) {
        throw new PaginationError(
          `the API's next-page link points at ${url.origin}, not ${ctx.origin}: it is not followed, so the credential never goes to another host. ` +
            'If the API really moved, point baseUrl at the new address.',
          null,
        );
      }
      if (ctx.secretQueryName) url.searchParams.delete(ctx.secretQueryName);
      return encodeToken('nu', [url.pathname + url.search]);
    },
  };
}
