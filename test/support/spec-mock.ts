// A mock of an API, driven by its OpenAPI document alone (x-airbyte dialect): each list and get
// operation answers at its real path with records made from the spec's own schemas, placed
// where its record extractor says, and pages as its meta extractor declares (cursor tokens,
// next-page URLs, Link headers, has-more flags, totals). It knows nothing of the manifest the
// importer made: the test asserts that the manifest drives it correctly.
import type { ServerResponse } from 'node:http';
import { sendJson, startImitation, type ImitationRequest, type ImitationServer } from '../imitations/common.js';

type Json = Record<string, any>;

export interface MockedList {
  id: string;
  method: string;
  path: string;
  records: Json[];
}

export interface SpecMock extends ImitationServer {
  /** Every list the mock serves, by operationId, with all its records in order. */
  lists: Map<string, MockedList>;
}

const PAGE_SIZE_NAMES = /^(limit|per_page|page_size|pagesize|count|max_results|maxresults|size|first)$/i;
const PAGE_NAMES = /^(page|page_number|pagenumber)$/i;
const OFFSET_NAMES = /^(offset|startat|start_at|start|skip)$/i;
const DEFAULT_PAGE = 10;

function resolve(doc: Json, s: any, depth = 0): Json {
  let node = s;
  for (let i = 0; node && typeof node === 'object' && typeof node.$ref === 'string' && i < 20; i++) {
    node = node.$ref.slice(2).split('/').reduce((n: any, k: string) => n?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return depth > 20 || !node || typeof node !== 'object' ? {} : node;
}

function at(doc: Json, schema: any, path: string): Json {
  let node = resolve(doc, schema);
  for (const key of path.replace(/^\$\.?/, '').split('.').filter(Boolean)) {
    const k = key.replace(/\[\d+\]$/, '');
    node = resolve(doc, node.properties?.[k] ?? (node.allOf ?? []).map((p: any) => resolve(doc, p).properties?.[k]).find(Boolean));
    if (/\[\d+\]$/.test(key)) node = resolve(doc, node.items);
  }
  return node;
}

/** A value for a schema: deterministic, by type and format, small. */
export function sample(doc: Json, schema: any, i: number, key = 'v', depth = 0): unknown {
  const s = resolve(doc, schema);
  if (depth > 4) return null;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum.find((v: unknown) => v !== null) ?? null;
  for (const k of ['oneOf', 'anyOf']) if (Array.isArray(s[k])) return sample(doc, s[k].find((x: any) => resolve(doc, x).type !== 'null') ?? s[k][0], i, key, depth + 1);
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((x: any) => sample(doc, x, i, key, depth + 1)));
  const types = Array.isArray(s.type) ? s.type.filter((t: string) => t !== 'null') : [s.type ?? (s.properties ? 'object' : s.items ? 'array' : 'string')];
  switch (types[0]) {
    case 'integer':
      return key === 'id' ? i + 1 : (i % 7) + 1;
    case 'number':
      return i + 0.5;
    case 'boolean':
      return i % 2 === 0;
    case 'array':
      return depth > 2 ? [] : [sample(doc, s.items ?? {}, i, key, depth + 1)];
    case 'object': {
      const out: Json = {};
      for (const [k, v] of Object.entries((s.properties ?? {}) as Json)) out[k] = sample(doc, v, i, k, depth + 1);
      return out;
    }
    default:
      if (s.format === 'date-time') return new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString();
      if (s.format === 'date') return new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      if (s.format === 'email' || /email/i.test(key)) return `user${i}@example.com`;
      if (s.format === 'uri' || s.format === 'url') return `https://example.com/${key}/${i}`;
      return key === 'id' ? `id_${i}` : `${key}-${i}`;
  }
}

function place(target: Json, path: string, value: unknown): Json {
  const keys = path.replace(/^\$\.?/, '').split('.').filter(Boolean);
  if (keys.length === 0) return value as Json;
  let node = target;
  keys.forEach((k, n) => {
    if (n === keys.length - 1) node[k] = value;
    else node = node[k] ??= {};
  });
  return target;
}

interface Route {
  op: Json;
  id: string;
  method: string;
  pattern: RegExp;
  names: string[];
  path: string;
  list: boolean;
  responseSchema: any;
}

/**
 * Starts the mock. `authorized` sees each request (headers, query) and says whether its
 * credentials are the ones the test gave.
 */
export async function startSpecMock(doc: Json, options: { authorized: (req: ImitationRequest) => boolean; records?: number }): Promise<SpecMock> {
  const routes: Route[] = [];
  const lists = new Map<string, MockedList>();
  const n = options.records ?? 23;
  for (const [key, item] of Object.entries((doc.paths ?? {}) as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      const action = op?.['x-airbyte-action'];
      if (action !== 'list' && action !== 'get' && action !== 'api_search') continue;
      const path = String(op['x-airbyte-path-override']?.path ?? key).split('?')[0]!;
      const names: string[] = [];
      const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\\{[^}]+\\\}|\{([^}]+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)'))}$`);
      const res = op.responses?.['200'] ?? op.responses?.['201'] ?? Object.entries(op.responses ?? {}).find(([c]) => c.startsWith('2'))?.[1];
      const responseSchema = resolve(doc, res)?.content?.['application/json']?.schema;
      const id = String(op.operationId);
      routes.push({ op, id, method: method.toUpperCase(), pattern, names, path, list: action !== 'get', responseSchema });
      if (action !== 'get') {
        const extractor = listPath(doc, op, responseSchema);
        const items = extractor === '$' ? resolve(doc, responseSchema).items : at(doc, responseSchema, extractor).items;
        lists.set(id, { id, method: method.toUpperCase(), path, records: Array.from({ length: n }, (_, i) => sample(doc, items ?? {}, i, 'record') as Json) });
      }
    }
  }

  // A static path wins over a templated one (/customers/search before /customers/{id}).
  routes.sort((a, b) => a.names.length - b.names.length);
  let origin = '';
  const server = await startImitation((req, res) => {
    origin = `http://${req.headers.host}`;
    if (!options.authorized(req)) return sendJson(res, 401, { message: 'unauthorized' });
    const route = routes.find((r) => r.method === req.method && r.pattern.test(req.parsed.pathname));
    if (!route) return sendJson(res, 404, { message: `no operation at ${req.method} ${req.parsed.pathname}` });
    if (!route.list) return single(doc, route, req, res);
    serveList(doc, route, lists.get(route.id)!, req, res, origin);
  });
  return Object.assign(server, { lists });
}

function single(doc: Json, route: Route, req: ImitationRequest, res: ServerResponse): void {
  const m = route.pattern.exec(req.parsed.pathname)!;
  const record = sample(doc, route.responseSchema, 1) as Json;
  const extractor = route.op['x-airbyte-record-extractor'];
  const inner = typeof extractor === 'string' && extractor !== '$' ? at(doc, route.responseSchema, extractor) : undefined;
  const one = (inner ? sample(doc, inner, 1) : record) as Json;
  if (one && typeof one === 'object' && 'id' in one && route.names.length) one.id = decodeURIComponent(m[route.names.length]!);
  sendJson(res, 200, typeof extractor === 'string' && extractor !== '$' ? place({}, extractor, one) : one);
}

/** Reads the position the client asks for, from whatever parameter carries it. */
function position(list: MockedList, req: ImitationRequest, size: number): number {
  const q = req.parsed.searchParams;
  let body: Json = {};
  try {
    body = req.body ? JSON.parse(req.body) : {};
  } catch {
    // a form body: its fields are in the text
  }
  const values: [string, unknown][] = [...q.entries(), ...Object.entries(body), ...Object.entries((body.variables ?? {}) as Json)];
  for (const [, v] of values) if (typeof v === 'string' && v.startsWith('mk_')) return Number(v.slice(3));
  // The last record's id, in a parameter that says "after" (Stripe's starting_after).
  for (const [k, v] of values) {
    if (!/after|since|start_id|starting/i.test(k)) continue;
    const idx = list.records.findIndex((r) => r.id !== undefined && String(r.id) === String(v));
    if (idx >= 0) return idx + 1;
  }
  for (const [k, v] of values) if (PAGE_NAMES.test(k) && Number(v) >= 1) return (Number(v) - 1) * size;
  for (const [k, v] of values) if (OFFSET_NAMES.test(k) && Number.isFinite(Number(v))) return Number(v);
  return 0;
}

function serveList(doc: Json, route: Route, list: MockedList, req: ImitationRequest, res: ServerResponse, origin: string): void {
  const q = req.parsed.searchParams;
  let body: Json = {};
  try {
    body = req.body && req.headers['content-type']?.includes('json') ? JSON.parse(req.body) : {};
  } catch {
    body = {};
  }
  const sizeEntry = [...q.entries(), ...Object.entries(body)].find(([k]) => PAGE_SIZE_NAMES.test(k));
  // A list the spec says is not paginated answers with everything.
  const paged = route.op['x-airbyte-no-pagination'] === undefined && (route.op['x-airbyte-meta-extractor'] !== undefined || pagingFields(doc, route.responseSchema).length > 0);
  const size = paged ? Math.max(1, Math.min(100, Number(sizeEntry?.[1] ?? DEFAULT_PAGE) || DEFAULT_PAGE)) : list.records.length;
  const from = position(list, req, size);
  const page = list.records.slice(from, from + size);
  const next = from + size;
  const more = next < list.records.length;
  const extractor = listPath(doc, route.op, route.responseSchema);
  const out: Json = extractor === '$' ? (page as unknown as Json) : place({}, extractor, page);
  const nextUrl = () => {
    const url = new URL(req.parsed.pathname + req.parsed.search, origin);
    url.searchParams.set('mock_page', `mk_${next}`);
    return url.toString();
  };
  const headers: Record<string, string> = {};
  // Paging values where the spec says, and in the answer's own paging fields.
  const meta = (route.op['x-airbyte-meta-extractor'] ?? {}) as Record<string, string>;
  const schemaPaths = pagingFields(doc, route.responseSchema);
  for (const [key, path] of [...Object.entries(meta), ...schemaPaths.filter(([, p]) => !Object.values(meta).includes(p))]) {
    if (path === '@link.next') {
      if (more) headers.link = `<${nextUrl()}>; rel="next"`;
      continue;
    }
    if (typeof path !== 'string' || !path.startsWith('$') || extractor === '$') continue;
    const name = `${key} ${path}`.toLowerCase();
    const schema = at(doc, route.responseSchema, path);
    if (/has_more|has_next|more_records|moredata|hasnext/.test(name)) place(out, path, more);
    else if (/total_pages|page_count/.test(name)) place(out, path, Math.ceil(list.records.length / size));
    else if (/total|count/.test(name) && !/next|prev/.test(name)) place(out, path, list.records.length);
    else if (/prev|before|first/.test(name)) place(out, path, null);
    else if (/next|cursor|after|token|offset|bookmark/.test(name)) {
      const isUrl = /url|uri|link|href/.test(name) || schema.format === 'uri' || /\burl\b|\blink\b/i.test(String(schema.description ?? ''));
      place(out, path, more ? (isUrl ? nextUrl() : `mk_${next}`) : null);
    }
  }
  sendJson(res, 200, out, headers);
}

/** Where a list's records are: its extractor, else the answer's schema (a bare array, or its one array field). */
function listPath(doc: Json, op: Json, schema: any): string {
  if (typeof op['x-airbyte-record-extractor'] === 'string') return op['x-airbyte-record-extractor'];
  const s = resolve(doc, schema);
  if (s.type === 'array' || s.items) return '$';
  const field = Object.entries((s.properties ?? {}) as Json).find(([, v]) => resolve(doc, v).type === 'array' || resolve(doc, v).items);
  return field ? `$.${field[0]}` : '$';
}

/** The answer's scalar fields named like paging values (`next_page`, `has_more`...), as `$.` paths. */
function pagingFields(doc: Json, schema: any, prefix = '$', depth = 0): [string, string][] {
  const s = resolve(doc, schema);
  if (depth > 3) return [];
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries((s.properties ?? {}) as Json)) {
    const r = resolve(doc, v);
    const path = `${prefix}.${k}`;
    if (r.properties) out.push(...pagingFields(doc, r, path, depth + 1));
    else if (!r.items && /^(next|next_page|next_cursor|has_more|next_page_url|next_url|cursor|after|total_count)$/i.test(k)) out.push([k, path]);
  }
  return out;
}
