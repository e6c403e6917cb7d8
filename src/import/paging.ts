import { snake, unique } from './names.js';
import { schemaAt, scalarPaths } from './schema-walk.js';
import type { Json } from './spec.js';

/** A parameter of the action being imported. */
export interface ImportedParam {
  name: string;
  spec: Json;
}

export interface PagingInput {
  doc: Json;
  /** `x-airbyte-meta-extractor`, or undefined for a plain spec. */
  meta: Record<string, unknown> | undefined;
  /** `x-airbyte-no-pagination` (its reason), when declared. */
  noPagination: string | undefined;
  params: ImportedParam[];
  response: unknown;
  /** The response declares a `Link` header. */
  linkHeader: boolean;
}

export interface PagingResult {
  pagination: Json;
  /** The list really pages (not `none`). */
  paged: boolean;
  /** Parameters the strategy takes over (a page number it injects) and ones it adds (its cursor). */
  remove: string[];
  add: ImportedParam[];
  comment?: string;
  /** The spec declares paging values that no parameter takes back (a gap in the spec). */
  unconsumed?: boolean;
}

const HAS_MORE = new Set(['has_more', 'has_next_page', 'hasmore', 'has_next', 'more', 'more_records', 'moredataavailable', 'more_data_available']);
const TOTAL = new Set(['total', 'total_count', 'totalcount', 'count', 'total_results', 'total_size', 'total_number']);
const TOTAL_PAGES = new Set(['total_pages', 'totalpages', 'page_count', 'total_page', 'pages']);
const CURSOR_META = new Set(['next_cursor', 'cursor', 'next', 'next_page', 'next_token', 'end_cursor', 'next_page_token', 'after', 'next_offset', 'offset', 'bookmark', 'page_token', 'continuation', 'nextpagetoken', 'endcursor', 'next_key', 'next_id']);
/** Names under which APIs hand out the next page's URL when nothing takes a token back. */
const NEXT_URL_META = new Set(['next', 'next_page', 'next_link', 'next_url', 'next_page_url', 'next_page_uri', 'nextlink']);
const URL_META = /url|uri|link|href/i;
const CURSOR_PARAMS = new Set(['after', 'cursor', 'starting_after', 'page_token', 'next_page_token', 'next_token', 'start_cursor', 'bookmark', 'continuation', 'page_cursor', 'offset', 'next_cursor', 'marker', 'start_id', 'page']);
const PAGE_PARAMS = new Set(['page', 'page_number', 'pagenumber', 'page_num']);
const OFFSET_PARAMS = new Set(['offset', 'start_at', 'startat', 'start', 'skip']);
const SIZE_PARAMS = ['per_page', 'limit', 'page_size', 'pagesize', 'count', 'max_results', 'maxresults', 'size', 'first', 'results_per_page', 'page_limit'];
const LAST_ID_PARAMS = new Set(['starting_after', 'after', 'since_id', 'start_id', 'after_id']);

const last = (path: string) => snake(path.split('.').at(-1)!.replace(/\[\d+\]$/, ''));

/**
 * The pagination of one list, from what the spec declares (`x-airbyte-meta-extractor`) or,
 * in a plain spec, from its parameters and response. Families: a cursor the API returns
 * (into a query, body or GraphQL variable), next-page URLs (body or `Link`), the last
 * record's id with a has-more flag, page numbers, offsets. When none is evident the list
 * is left unpaginated, with a comment, rather than guessed.
 */
export function importPaging(input: PagingInput): PagingResult {
  const { params } = input;
  const none = (comment: string, hasMore?: string): PagingResult => ({
    pagination: hasMore ? { type: 'none', has_more: hasMore } : { type: 'none' },
    paged: false,
    remove: [],
    add: [],
    comment,
  });
  if (input.noPagination !== undefined) return { pagination: { type: 'none' }, paged: false, remove: [], add: [] };

  // Where paging values sit in the answer: as declared, else found by name in the response schema.
  let metas: [key: string, path: string][] = [];
  let link = input.linkHeader;
  if (input.meta) {
    for (const [k, v] of Object.entries(input.meta)) {
      if (v === '@link.next') link = true;
      else if (typeof v === 'string' && v.startsWith('$') && !v.includes('[*]') && !v.includes('@')) metas.push([k, v === '$' ? '$' : v.replace(/^\$\./, '')]);
    }
  }
  // What the answer's schema shows besides (a spec may leave its next-page field out of the extractor).
  for (const [p] of scalarPaths(input.doc, input.response)) {
    const wanted = [HAS_MORE, TOTAL, TOTAL_PAGES, CURSOR_META].some((s) => s.has(last(p))) || URL_META.test(last(p));
    if (wanted && !metas.some(([, q]) => q === p)) metas.push([last(p), p]);
  }
  const named = (set: Set<string>) => metas.find(([k, p]) => set.has(snake(k)) || set.has(last(p)))?.[1];
  const hasMore = named(HAS_MORE);
  const total = named(TOTAL);
  const totalPages = named(TOTAL_PAGES);
  const isUrl = (k: string, p: string) => {
    // `links.next`, `_links.next.href`, `paging.next.link`: a URL by any segment of its path.
    if (URL_META.test(k) || p.split('.').some((segment) => URL_META.test(segment))) return true;
    const s = schemaAt(input.doc, input.response, p);
    return s?.format === 'uri' || s?.format === 'url' || /\burl\b|\blink\b/i.test(String(s?.description ?? ''));
  };
  const cursorMetas = metas.filter(
    ([k, p]) => p !== hasMore && p !== total && p !== totalPages && !/prev|previous|first|before/i.test(k) && (CURSOR_META.has(snake(k)) || CURSOR_META.has(last(p))),
  );
  const urlMeta = metas.find(([k, p]) => /next/i.test(k + p) && !/prev/i.test(k) && isUrl(k, p))?.[1] ?? metas.find(([k, p]) => NEXT_URL_META.has(snake(k)) || NEXT_URL_META.has(last(p)))?.[1];
  const find = (set: Set<string>, type?: string) => params.find((p) => (set.has(p.name) || set.has(snake(String(p.spec.wire_name ?? p.name)))) && (type === undefined || p.spec.type === type));
  const size = SIZE_PARAMS.map((n) => params.find((p) => (p.name === n || snake(String(p.spec.wire_name ?? '')) === n) && p.spec.type === 'integer')).find(Boolean);
  const sizeKeys = size ? { page_size_param: size.name } : {};
  const stops: Json = {};
  if (hasMore) stops.has_more = hasMore;
  if (total) stops.total = total;
  const placement = (p: ImportedParam) => ({ in: p.spec.in ?? 'query', name: String(p.spec.wire_name ?? p.name) });
  const taken = new Set(params.map((p) => p.name));
  const tokenParam = (): ImportedParam => ({ name: unique(taken.has('cursor') ? 'page_token' : 'cursor', taken), spec: { type: 'string', description: 'The next_page of the previous page' } });

  // A cursor the API hands out, taken back in a parameter.
  const cursorParam = find(CURSOR_PARAMS, 'string');
  if (cursorParam) {
    const match =
      cursorMetas.find(([k, p]) => snake(k) === cursorParam.name || last(p) === cursorParam.name || last(p) === `next_${cursorParam.name}`) ??
      cursorMetas.find(([k, p]) => !isUrl(k, p) && (input.meta === undefined || Object.hasOwn(input.meta, k)));
    if (match) {
      return {
        pagination: { type: 'cursor', param: cursorParam.name, next: match[1], ...placementIfNeeded(cursorParam, placement), ...sizeKeys, ...stops },
        paged: true,
        remove: [],
        add: [],
      };
    }
  }
  if (link) {
    const p = tokenParam();
    return { pagination: { type: 'next_url', param: p.name, link_rel: 'next', ...sizeKeys }, paged: true, remove: [], add: [p] };
  }
  if (urlMeta) {
    const p = tokenParam();
    return { pagination: { type: 'next_url', param: p.name, next: urlMeta, ...sizeKeys, ...(hasMore ? { has_more: hasMore } : {}) }, paged: true, remove: [], add: [p] };
  }
  // The last record's id, while a flag says more exist.
  const lastId = find(LAST_ID_PARAMS, 'string');
  if (lastId && hasMore) {
    return { pagination: { type: 'cursor', param: lastId.name, last_record: 'id', has_more: hasMore, ...placementIfNeeded(lastId, placement), ...sizeKeys }, paged: true, remove: [], add: [] };
  }
  const page = find(PAGE_PARAMS, 'integer');
  if (page) {
    const p = tokenParam();
    const pagination: Json = { type: 'page_number', param: p.name, inject: placement(page), ...sizeKeys, ...stops };
    if (totalPages) pagination.total_pages = totalPages;
    if (typeof page.spec.default === 'number' && page.spec.default === 0) pagination.first_page = 0;
    return { pagination, paged: true, remove: [page.name], add: [p] };
  }
  const offset = find(OFFSET_PARAMS, 'integer');
  if (offset) {
    const p = tokenParam();
    return { pagination: { type: 'offset', param: p.name, inject: placement(offset), ...sizeKeys, ...stops }, paged: true, remove: [offset.name], add: [p] };
  }
  const declared = Object.keys(input.meta ?? {});
  if (declared.length) {
    return { ...none(`The spec returns paging values (${declared.join(', ')}) but no parameter takes them back.`, hasMore), unconsumed: true };
  }
  return none('Pagination not recognised: left unpaginated. If this list pages, declare how (docs/manifest.md, Pagination).', hasMore);
}

function placementIfNeeded(p: ImportedParam, placement: (p: ImportedParam) => { in: string; name: string }): Json {
  const at = placement(p);
  return at.in === 'query' && at.name === p.name ? {} : { inject: at };
}
