// An imitation of the Intercom REST API (OpenAPI 2.16) over node:http. It serves the 14 GET
// operations the connector relies on, with Intercom's envelopes, cursor and page-number
// pagination, bearer auth, error.list bodies and rate-limit headers; the two searches
// (search.ts); writes to contacts, notes, companies, tags and internal articles, and deletions
// of contacts and companies, kept in memory for the life of the sandbox (workspace.ts); and the
// companies scroll (scroll.ts).
// Faults (429/500/503, dropped connections, truncated bodies, slow answers) can be injected on a
// request-count schedule rather than at random, so a retrying client can be tested reproducibly.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateDataset, type Admin, type Company, type Counts, type Dataset, type Segment, type Team } from './data.js';
import { decodeTriple, encodeTriple } from './cursor.js';
import { ApiError, errorBody, found, invalid, isObject, notFound } from './errors.js';
import { CONTACT_DIALECT, CONVERSATION_DIALECT, search } from './search.js';
import { contactFields, conversationField } from './search-fields.js';
import { CompanyScroll, SCROLL_RESTART_MESSAGE } from './scroll.js';
import { Workspace, type Body } from './workspace.js';

export { WORKSPACE_TIMEZONE, MAX_GROUP_DEPTH, MAX_FILTERS_PER_GROUP } from './search.js';
export { SCROLL_TTL_MS, SCROLL_PAGE_SIZE } from './scroll.js';

export const SANDBOX_TOKEN = 'sandbox-token';

export interface SandboxOptions {
  port?: number;
  host?: string;
  seed?: number;
  counts?: Partial<Counts>;
  token?: string;
  rateLimit?: { limit: number; windowSeconds: number };
  faults?: readonly FaultRule[];
  /**
   * The sandbox's clock, in milliseconds since the epoch (default Date.now): timestamps of
   * written records, the 1-minute expiry of a companies scroll, and the rate window. Tests
   * pass their own to expire a scroll without waiting.
   */
  now?: () => number;
}

export type FaultKind = 'rate_limit' | 'server_error' | 'unavailable' | 'reset' | 'truncate' | 'slow';

export const FAULT_KINDS: readonly FaultKind[] = ['rate_limit', 'server_error', 'unavailable', 'reset', 'truncate', 'slow'];

export interface FaultRule {
  kind: FaultKind;
  /** Fire on authenticated requests number n (1-based, counted over all data requests since the rules were set) where n % every === (offset ?? 0) % every. */
  every: number;
  offset?: number;
  /** Fire at most this many times (default unlimited). */
  limit?: number;
  /** rate_limit: seconds announced; default 1. Sent as `Retry-After: <n>` unless retryAfter === false, and always as X-RateLimit-Reset = now_seconds + n (Math.ceil), X-RateLimit-Remaining: 0. */
  retryAfterSeconds?: number;
  retryAfter?: boolean;
  /** slow: delay in ms before the response headers are sent (default 2000). */
  delayMs?: number;
  /**
   * Only requests to this exact pathname (e.g. '/companies/scroll'), numbered among themselves.
   * A server_error answered to the companies scroll also ends the scroll, as upstream.
   */
  path?: string;
}

export interface SandboxStats {
  /** Authenticated requests, i.e. the ones the fault schedule counts. */
  requests: number;
  /** Faults injected, by kind. */
  faults: Record<FaultKind, number>;
  /** Responses whose status line was sent, by status, injected ones included. */
  statuses: Record<number, number>;
}

export interface Sandbox {
  url: string;
  token: string;
  port: number;
  dataset: Dataset;
  /** Every request received, authenticated or not. */
  readonly requestCount: number;
  /** Replaces the fault rules and restarts their request numbering and firing counts at zero. */
  setFaults(rules: readonly FaultRule[]): void;
  /** A snapshot; independent of setFaults, so counters can span several rule sets. */
  readonly stats: SandboxStats;
  resetStats(): void;
  close(): Promise<void>;
}

export interface CursorPages {
  type: 'pages';
  page: number;
  per_page: number;
  total_pages: number;
  next?: { page: number; starting_after: string };
}

// Values the spec's intercom_version schema enumerates, plus Unstable, the version Intercom
// ships features in before they reach a numbered one.
const INTERCOM_VERSIONS = new Set(['1.0', '1.1', '1.2', '1.3', '1.4', ...Array.from({ length: 17 }, (_, i) => `2.${i}`), 'Unstable']);
/** What a request without Intercom-Version gets: the spec's default. */
const DEFAULT_VERSION = '2.16';
/**
 * Internal articles: the spec (2.16) documents them, and they started out in Unstable. Earlier
 * numbered versions answer 404 as for a path that does not exist.
 */
const INTERNAL_ARTICLE_VERSIONS = new Set(['2.16', 'Unstable']);

/** Page numbers on GET /companies reach this many companies; the scroll goes past them. */
export const COMPANY_PAGE_LIMIT = 10_000;

/** Bodies of writes and searches; more is refused with 413. */
const MAX_BODY_BYTES = 1024 * 1024;

// The spec gives the two searches the per_page of their lists: contacts 50, conversations 20, both at most 150.
const LIMITS = {
  contacts: { perPage: 50, maxPerPage: 150 },
  conversations: { perPage: 20, maxPerPage: 150 },
  companies: { perPage: 15, maxPerPage: 60 },
  internalArticles: { perPage: 25, maxPerPage: 150 },
} as const;

interface Reply {
  status: number;
  body: string | Buffer;
  headers: Record<string, string>;
}

const asBuffer = (body: string | Buffer): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

/** A handler's answer as the body bytes sent. */
const encodeJson = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

/** Checks and copies the rules, so a caller mutating its array later cannot change the schedule mid-run. */
export function validateFaultRules(rules: unknown): FaultRule[] {
  if (!Array.isArray(rules)) throw new TypeError('faults must be an array of fault rules');
  return rules.map((raw: unknown, i) => {
    const at = `faults[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new TypeError(`${at} must be an object`);
    const r = raw as Record<string, unknown>;
    if (!FAULT_KINDS.includes(r.kind as FaultKind)) throw new RangeError(`${at}.kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (!isInt(r.every, 1)) throw new RangeError(`${at}.every must be an integer >= 1`);
    // A negative offset would never match under JS's sign-keeping %, silently disabling the rule.
    if (r.offset !== undefined && !isInt(r.offset, 0)) throw new RangeError(`${at}.offset must be an integer >= 0`);
    if (r.limit !== undefined && !isInt(r.limit, 0)) throw new RangeError(`${at}.limit must be an integer >= 0`);
    if (r.retryAfterSeconds !== undefined && !isInt(r.retryAfterSeconds, 0)) {
      // Retry-After only carries whole seconds.
      throw new RangeError(`${at}.retryAfterSeconds must be an integer >= 0`);
    }
    if (r.retryAfter !== undefined && typeof r.retryAfter !== 'boolean') throw new TypeError(`${at}.retryAfter must be a boolean`);
    if (r.delayMs !== undefined && !(typeof r.delayMs === 'number' && Number.isFinite(r.delayMs) && r.delayMs >= 0)) {
      throw new RangeError(`${at}.delayMs must be a finite number >= 0`);
    }
    if (r.path !== undefined && !(typeof r.path === 'string' && r.path.startsWith('/'))) {
      throw new TypeError(`${at}.path must be a path starting with /`);
    }
    return { ...(r as unknown as FaultRule) };
  });
}

const emptyStats = (): SandboxStats => ({
  requests: 0,
  faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
  statuses: {},
});

const noop = (): void => {};

/** Optional positive integer query parameter; an empty value counts as absent. */
function intParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const n = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1)) throw invalid(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

/**
 * per_page and page of a page-number list. Unlike the cursor lists, a too-large per_page is
 * clamped, not rejected.
 */
function pageNumbers(q: URLSearchParams, limits: { perPage: number; maxPerPage: number }): { perPage: number; page: number } {
  const perPage = Math.min(intParam(q, 'per_page') ?? limits.perPage, limits.maxPerPage);
  return { perPage, page: intParam(q, 'page') ?? 1 };
}

// Cursors mimic Intercom's: base64 of JSON [created_at in ms, id of the last record served, next page number].
function encodeCursor(createdAt: number, id: string, page: number): string {
  return encodeTriple(createdAt * 1000, id, page);
}

function decodeCursor(raw: string): { createdMs: number; id: string; page: number } | null {
  const t = decodeTriple(raw);
  return t && typeof t.key === 'number' ? { createdMs: t.key, id: t.id, page: t.page } : null;
}

/**
 * A page of a cursor list. `total` counts the records served; positions run to live.slots and
 * the ones live.has refuses (tombstones) are skipped; without `live`, every one of the `total`
 * positions holds a record. `indexOf` must find deleted records too, since the cursor names the
 * last record served and resumes after its position even if it was deleted since.
 */
function cursorList<T extends { id: string; created_at: number }>(
  q: URLSearchParams,
  total: number,
  limits: { perPage: number; maxPerPage: number },
  at: (i: number) => T,
  indexOf: (id: string) => number,
  live: { slots: number; has: (i: number) => boolean } = { slots: total, has: () => true },
): { items: T[]; pages: CursorPages } {
  const perPage = intParam(q, 'per_page') ?? limits.perPage;
  if (perPage > limits.maxPerPage) throw invalid(`per_page must be between 1 and ${limits.maxPerPage}, got ${perPage}`);
  let start = 0;
  let page = 1;
  const after = q.get('starting_after');
  if (after !== null && after !== '') {
    const cursor = decodeCursor(after);
    const idx = cursor ? indexOf(cursor.id) : -1;
    if (!cursor || idx < 0 || at(idx).created_at * 1000 !== cursor.createdMs) {
      throw invalid('starting_after is not a valid cursor');
    }
    start = idx + 1;
    page = cursor.page;
  }
  const items: T[] = [];
  const slots = live.slots;
  let end = start;
  for (; end < slots && items.length < perPage; end++) if (live.has(end)) items.push(at(end));
  // Past trailing tombstones, so a next page is announced only when a live record remains.
  while (end < slots && !live.has(end)) end++;
  const pages: CursorPages = { type: 'pages', page, per_page: perPage, total_pages: Math.ceil(total / perPage) };
  const last = items[items.length - 1];
  if (end < slots && last) pages.next = { page: page + 1, starting_after: encodeCursor(last.created_at, last.id, page + 1) };
  return { items, pages };
}

class RateWindow {
  private index = -Infinity;
  private used = 0;
  constructor(readonly limit: number, private readonly windowMs: number) {}
  take(nowMs: number): { allowed: boolean; headers: Record<string, string> } {
    // Windows sit on multiples of their length since the epoch, so with whole-second windows the
    // whole-second reset header is exact: a window starting at the first request would end up to
    // 1 s before the (rounded-up) announced reset. Comparing indices avoids float drift in start + length.
    const index = Math.floor(nowMs / this.windowMs);
    if (index !== this.index) {
      this.index = index;
      this.used = 0;
    }
    const allowed = this.used < this.limit;
    if (allowed) this.used++;
    return {
      allowed,
      headers: {
        'X-RateLimit-Limit': String(this.limit),
        'X-RateLimit-Remaining': String(this.limit - this.used),
        // ceil only matters for fractional windowSeconds, where it errs late so a waiting client finds a fresh window.
        'X-RateLimit-Reset': String(Math.ceil(((index + 1) * this.windowMs) / 1000)),
      },
    };
  }
}

function byId<T extends { id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((x) => [x.id, x]));
}

/** Bytes of answers kept for replay; past this, answers are built every time. */
const MAX_CACHED_BYTES = 256 * 1024 * 1024;

const EMPTY_BODY = Buffer.alloc(0);

/** A request body as the JSON object every write and search takes; an empty body reads as {}. */
function jsonBody(req: IncomingMessage, raw: Buffer): Body {
  if (raw.length === 0) return {};
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'The request body must be JSON (Content-Type: application/json)');
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid('The request body is not valid JSON');
  }
  if (!isObject(value)) throw invalid('The request body must be a JSON object');
  return value;
}

/** The whole body; 'too large' past the limit; undefined if the client went away before its end. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large' | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? 'too large' : Buffer.concat(chunks)));
    req.on('close', () => resolve(undefined));
  });
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Call {
  /** The path's :parameters, decoded. */
  params: string[];
  query: URLSearchParams;
  /** The JSON body; throws Intercom's 400/415 when it is not a JSON object. */
  body(): Body;
}

interface Route {
  path: string[];
  handlers: Partial<Record<Method, (call: Call) => unknown>>;
  /** GET answers only a write can change: replayed byte for byte until the next write. */
  cached?: boolean;
  /** A POST that only reads (a search), so the replay cache survives it. */
  readOnly?: boolean;
  /** Operations that only some API versions have. */
  versions?: ReadonlySet<string>;
}

const route = (path: string, handlers: Route['handlers'], extra: Omit<Route, 'path' | 'handlers'> = {}): Route => ({
  path: path.split('/'),
  handlers,
  ...extra,
});

/** The routes whose pattern fits the path (':x' takes any one segment), in table order, with their parameters. */
function matchRoutes(routes: readonly Route[], parts: string[]): { route: Route; params: string[] }[] {
  const out: { route: Route; params: string[] }[] = [];
  for (const r of routes) {
    if (r.path.length !== parts.length) continue;
    const params: string[] = [];
    const fits = r.path.every((seg, i) => {
      const part = parts[i] as string;
      if (!seg.startsWith(':')) return seg === part;
      try {
        params.push(decodeURIComponent(part));
      } catch {
        throw notFound();
      }
      return true;
    });
    if (fits) out.push({ route: r, params });
  }
  return out;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const dataset = generateDataset({ seed: opts.seed, counts: opts.counts });
  const token = opts.token ?? SANDBOX_TOKEN;
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? (() => Date.now());
  const rl = opts.rateLimit ?? { limit: 10_000, windowSeconds: 60 };
  if (!(rl.limit >= 0) || !(rl.windowSeconds > 0)) throw new RangeError('rateLimit needs limit >= 0 and windowSeconds > 0');
  const rate = new RateWindow(rl.limit, rl.windowSeconds * 1000);
  const workspace = new Workspace(dataset, now);
  const scroll = new CompanyScroll(now);
  const contactField = contactFields(dataset);
  const teams = byId<Team>(dataset.teams);
  const admins = byId<Admin>(dataset.admins);
  const segments = byId<Segment>(dataset.segments);
  let requestCount = 0;

  const withCount = (s: Segment, include: boolean): Segment => (include ? { ...s, count: dataset.segmentCounts.get(s.id) ?? 0 } : s);

  const listCompanies = (q: URLSearchParams): unknown => {
    // starting_after is not a parameter of this operation and is ignored, so page numbers are the only way through.
    const { perPage, page } = pageNumbers(q, LIMITS.companies);
    const name = q.get('name');
    const companyId = q.get('company_id');
    const tagId = q.get('tag_id');
    const segmentId = q.get('segment_id');
    let all: readonly Company[] = workspace.companies;
    if (name) all = all.filter((c) => c.name.toLowerCase() === name.toLowerCase());
    if (companyId) all = all.filter((c) => c.company_id === companyId);
    // The spec documents 404 company_not_found for this operation: a lookup by name/company_id that misses.
    if ((name || companyId) && all.length === 0) throw notFound('company_not_found', 'Company Not Found');
    if (tagId) all = all.filter((c) => c.tags.tags.some((t) => t.id === tagId));
    if (segmentId) all = all.filter((c) => c.segments.segments.some((s) => s.id === segmentId));
    // Page numbers reach the first 10,000 companies (a page straddling the limit stops at it); a page
    // starting past them gets the 400 Intercom answers. total_count and total_pages stay the true ones.
    const start = (page - 1) * perPage;
    if (start >= COMPANY_PAGE_LIMIT) throw new ApiError(400, 'bad_request', 'page limit reached, please use scroll API');
    return {
      type: 'list',
      data: all.slice(start, Math.min(page * perPage, COMPANY_PAGE_LIMIT)),
      pages: { type: 'pages', next: null, page, per_page: perPage, total_pages: Math.ceil(all.length / perPage) },
      total_count: all.length,
    };
  };

  const listContacts = (q: URLSearchParams): unknown => {
    const total = workspace.contactCount;
    const live = { slots: workspace.contactSlots, has: workspace.contactLive };
    const { items, pages } = cursorList(q, total, LIMITS.contacts, workspace.contactAt, workspace.contactPosition, live);
    return { type: 'list', data: items, total_count: total, pages };
  };

  const getContact = (id: string): unknown => {
    const i = workspace.contactIndex(id);
    if (i < 0) throw notFound('not_found', 'User Not Found');
    return workspace.contactAt(i);
  };

  const listConversations = (q: URLSearchParams): unknown => {
    const total = dataset.counts.conversations;
    const { items, pages } = cursorList(q, total, LIMITS.conversations, (i) => dataset.conversationAt(i), dataset.conversationIndex);
    return { type: 'conversation.list', conversations: items, total_count: total, pages };
  };

  const getConversation = (id: string): unknown => {
    const i = dataset.conversationIndex(id);
    if (i < 0) throw notFound();
    return dataset.conversationAt(i, true);
  };

  const searchContacts = (body: Body): unknown => {
    const src = {
      count: workspace.contactSlots,
      at: workspace.contactAt,
      // A cursor may name a contact deleted since its page: it resumes after its position.
      indexOf: workspace.contactPosition,
      live: workspace.contactLive,
      field: contactField,
      dialect: CONTACT_DIALECT,
      perPage: LIMITS.contacts,
    };
    const { items, total, pages } = search(src, body);
    return { type: 'list', data: items, total_count: total, pages };
  };

  const searchConversations = (body: Body): unknown => {
    const src = {
      count: dataset.counts.conversations,
      at: (i: number) => dataset.conversationAt(i),
      indexOf: dataset.conversationIndex,
      field: conversationField,
      dialect: CONVERSATION_DIALECT,
      perPage: LIMITS.conversations,
    };
    const { items, total, pages } = search(src, body);
    return { type: 'conversation.list', pages, total_count: total, conversations: items };
  };

  const listInternalArticles = (q: URLSearchParams): unknown => {
    const { perPage, page } = pageNumbers(q, LIMITS.internalArticles);
    const all = workspace.internalArticles;
    return {
      type: 'list',
      pages: { type: 'pages', page, per_page: perPage, total_pages: Math.ceil(all.length / perPage) },
      total_count: all.length,
      data: all.slice((page - 1) * perPage, page * perPage),
    };
  };

  const id = (c: Call): string => c.params[0] as string;

  // First match wins, so fixed segments (contacts/search) come before the parameter they look like (contacts/:id).
  const routes: Route[] = [
    route('contacts/search', { POST: (c) => searchContacts(c.body()) }, { readOnly: true }),
    route('contacts', { GET: (c) => listContacts(c.query), POST: (c) => workspace.createContact(c.body()) }, { cached: true }),
    route('contacts/:id/notes', { POST: (c) => workspace.createNote(id(c), c.body()) }),
    route(
      'contacts/:id',
      {
        GET: (c) => getContact(id(c)),
        PUT: (c) => workspace.updateContact(id(c), c.body()),
        DELETE: (c) => workspace.deleteContact(id(c)),
      },
      { cached: true },
    ),
    route('conversations/search', { POST: (c) => searchConversations(c.body()) }, { readOnly: true }),
    route('conversations', { GET: (c) => listConversations(c.query) }, { cached: true }),
    route('conversations/:id', { GET: (c) => getConversation(id(c)) }, { cached: true }),
    route('companies/scroll', { GET: (c) => scroll.page(c.query.get('scroll_param'), workspace.companySlots, workspace.companyLive) }),
    route('companies', { GET: (c) => listCompanies(c.query), POST: (c) => workspace.upsertCompany(c.body()) }, { cached: true }),
    route(
      'companies/:id',
      {
        GET: (c) => found(workspace.company(id(c)), 'company_not_found', 'Company Not Found'),
        PUT: (c) => workspace.updateCompany(id(c), c.body()),
        DELETE: (c) => workspace.deleteCompany(id(c)),
      },
      { cached: true },
    ),
    route('teams', { GET: () => ({ type: 'team.list', teams: dataset.teams }) }, { cached: true }),
    route('teams/:id', { GET: (c) => found(teams.get(id(c)), 'team_not_found', 'Team not found') }, { cached: true }),
    route('admins', { GET: () => ({ type: 'admin.list', admins: dataset.admins }) }, { cached: true }),
    route('admins/:id', { GET: (c) => found(admins.get(id(c)), 'admin_not_found', 'Admin not found') }, { cached: true }),
    route('tags', { GET: () => ({ type: 'list', data: workspace.tags }), POST: (c) => workspace.upsertTag(c.body()) }, { cached: true }),
    // The spec's findTag 404 example uses the generic code, not tag_not_found.
    route('tags/:id', { GET: (c) => found(workspace.tags.find((t) => t.id === id(c))) }, { cached: true }),
    route(
      'segments',
      { GET: (c) => ({ type: 'segment.list', segments: dataset.segments.map((s) => withCount(s, c.query.get('include_count') === 'true')), pages: {} }) },
      { cached: true },
    ),
    route('segments/:id', { GET: (c) => withCount(found(segments.get(id(c))), c.query.get('include_count') === 'true') }, { cached: true }),
    route(
      'internal_articles',
      { GET: (c) => listInternalArticles(c.query), POST: (c) => workspace.createInternalArticle(c.body()) },
      { versions: INTERNAL_ARTICLE_VERSIONS },
    ),
    route('internal_articles/:id', { GET: (c) => found(workspace.internalArticles.find((a) => a.id === id(c))) }, { versions: INTERNAL_ARTICLE_VERSIONS }),
  ];

  let stats = emptyStats();
  let rules: { rule: FaultRule; fired: number }[] = [];
  // Numbering restarts with each rule set so a test's schedule does not depend on earlier traffic.
  let faultSeq = 0;
  /** Request numbers of the paths rules are scoped to. */
  let pathSeq = new Map<string, number>();
  const setFaults = (next: readonly FaultRule[]): void => {
    rules = validateFaultRules(next).map((rule) => ({ rule, fired: 0 }));
    faultSeq = 0;
    pathSeq = new Map(rules.flatMap((r) => (r.rule.path === undefined ? [] : [[r.rule.path, 0] as const])));
  };
  setFaults(opts.faults ?? []);
  const slowTimers = new Set<NodeJS.Timeout>();

  const pickFault = (pathname: string): FaultRule | undefined => {
    const n = ++faultSeq;
    const scoped = pathSeq.get(pathname);
    if (scoped !== undefined) pathSeq.set(pathname, scoped + 1);
    for (const r of rules) {
      const { every, offset = 0, limit = Infinity, path } = r.rule;
      if (path !== undefined && path !== pathname) continue;
      const seq = path === undefined ? n : (scoped ?? 0) + 1;
      if (r.fired < limit && seq % every === offset % every) {
        r.fired++;
        return r.rule;
      }
    }
    return undefined;
  };

  const writeHead = (res: ServerResponse, status: number, headers: Record<string, string>): void => {
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    res.writeHead(status, headers);
  };

  const jsonHeaders = (r: Reply, length: number): Record<string, string> => ({
    ...r.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(length),
  });

  const send = (res: ServerResponse, r: Reply): void => {
    // Encode once: byteLength plus end(string) would scan a 300 KB page twice.
    const buf = asBuffer(r.body);
    writeHead(res, r.status, jsonHeaders(r, buf.length));
    res.end(buf);
  };

  const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}): Reply => ({
    status,
    body: errorBody(code, message),
    headers,
  });

  const bodies = new Map<string, Buffer>();
  let cachedBytes = 0;
  const forgetAnswers = (): void => {
    bodies.clear();
    cachedBytes = 0;
  };

  /** The route and parameters for this method and path, or Intercom's 404/405. */
  const dispatch = (req: IncomingMessage, parts: string[], version: string) => {
    const candidates = matchRoutes(routes, parts).filter((m) => m.route.versions === undefined || m.route.versions.has(version));
    if (candidates.length === 0) throw notFound();
    const method = (req.method === 'HEAD' ? 'GET' : req.method) as Method;
    const hit = candidates.find((m) => m.route.handlers[method] !== undefined);
    if (hit === undefined) {
      const allowed = new Set(candidates.flatMap((m) => Object.keys(m.route.handlers)));
      if (allowed.has('GET')) allowed.add('HEAD');
      throw new ApiError(405, 'method_not_allowed', `${req.method ?? ''} is not supported on /${parts.join('/')}`, { Allow: [...allowed].join(', ') });
    }
    return { ...hit, handler: hit.route.handlers[method] as (call: Call) => unknown, method };
  };

  /** What the API would answer an authenticated request, rate window included. */
  const respond = (req: IncomingMessage, url: URL, raw: Buffer): Reply => {
    const limit = rate.take(now());
    if (!limit.allowed) return fail(429, 'rate_limit_exceeded', 'Exceeded rate limit', limit.headers);
    try {
      const header = req.headers['intercom-version'];
      const version = typeof header === 'string' ? header.trim() : DEFAULT_VERSION;
      if (!INTERCOM_VERSIONS.has(version)) throw new ApiError(400, 'intercom_version_invalid', 'The requested version could not be found');
      const parts = url.pathname.split('/').filter((p) => p !== '');
      const { route: hit, params, handler, method } = dispatch(req, parts, version);
      const call: Call = { params, query: url.searchParams, body: () => jsonBody(req, raw) };
      if (method !== 'GET') {
        const body = encodeJson(handler(call));
        if (!hit.readOnly) forgetAnswers();
        return { status: 200, body, headers: limit.headers };
      }
      if (!hit.cached) return { status: 200, body: encodeJson(handler(call)), headers: limit.headers };
      // Until a write, an answer can be served again byte for byte: that keeps the sandbox's own cost
      // out of client benchmarks.
      const key = req.url ?? '';
      let body = bodies.get(key);
      if (body === undefined) {
        body = encodeJson(handler(call));
        if (cachedBytes + body.length <= MAX_CACHED_BYTES) {
          bodies.set(key, body);
          cachedBytes += body.length;
        }
      }
      return { status: 200, body, headers: limit.headers };
    } catch (err) {
      if (err instanceof ApiError) return fail(err.status, err.code, err.message, { ...limit.headers, ...err.headers });
      console.error('[sandbox] unexpected error', err);
      return fail(500, 'server_error', 'Internal Server Error', limit.headers);
    }
  };

  const inject = (req: IncomingMessage, res: ServerResponse, rule: FaultRule, url: URL, raw: Buffer): void => {
    switch (rule.kind) {
      case 'rate_limit': {
        const seconds = rule.retryAfterSeconds ?? 1;
        const headers: Record<string, string> = {
          'X-RateLimit-Limit': String(rate.limit),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(Math.ceil(now() / 1000 + seconds)),
        };
        if (rule.retryAfter !== false) headers['Retry-After'] = String(seconds);
        send(res, fail(429, 'rate_limit_exceeded', 'Exceeded rate limit', headers));
        return;
      }
      case 'server_error':
        if (url.pathname === '/companies/scroll') {
          // The spec's scroll 500: the scroll cannot go on from where it was, only start again.
          scroll.abort();
          send(res, fail(500, 'server_error', SCROLL_RESTART_MESSAGE));
          return;
        }
        send(res, fail(500, 'server_error', 'Server Error'));
        return;
      case 'unavailable':
        send(res, fail(503, 'service_unavailable', 'Service Unavailable'));
        return;
      case 'reset': {
        // The real status is kept (200 for an ordinary read) so the client commits to reading the body.
        const r = respond(req, url, raw);
        const buf = asBuffer(r.body);
        writeHead(res, r.status, jsonHeaders(r, buf.length));
        // Destroy only once the half is handed to the kernel; destroying straight away could drop it
        // and make this indistinguishable from a connection refused before any response.
        res.write(buf.subarray(0, Math.floor(buf.length / 2)), () => res.socket?.destroy());
        return;
      }
      case 'truncate': {
        const r = respond(req, url, raw);
        const buf = asBuffer(r.body);
        const half = buf.subarray(0, Math.floor(buf.length / 2));
        writeHead(res, r.status, jsonHeaders(r, half.length));
        res.end(half);
        return;
      }
      case 'slow': {
        const timer = setTimeout(() => {
          slowTimers.delete(timer);
          if (res.destroyed || req.socket.destroyed) return;
          send(res, respond(req, url, raw));
        }, rule.delayMs ?? 2000);
        slowTimers.add(timer);
        // A client that gives up should not leave a timer (and a rate-window take) behind.
        res.once('close', () => {
          clearTimeout(timer);
          slowTimers.delete(timer);
        });
        return;
      }
    }
  };

  /** An authenticated request with its body read: the fault schedule, then the answer. */
  const serve = (req: IncomingMessage, res: ServerResponse, raw: Buffer): void => {
    stats.requests++;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    } catch {
      // A request target no URL can be made of ("//", "//[") names nothing the API has.
      send(res, fail(404, 'not_found', 'Resource Not Found'));
      return;
    }
    const rule = pickFault(url.pathname);
    if (rule === undefined) {
      send(res, respond(req, url, raw));
      return;
    }
    stats.faults[rule.kind]++;
    inject(req, res, rule, url, raw);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requestCount++;
    // Injected resets and clients abandoning slow answers make socket errors routine here, not crashes.
    req.on('error', noop);
    res.on('error', noop);
    const auth = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!match || match[1] !== token) {
      // Refused before any body is looked at; draining keeps the keep-alive connection usable.
      req.resume();
      send(res, fail(401, 'unauthorized', 'Access Token Invalid'));
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Answered in the same tick, as before writes existed, so fault schedules keep their timing.
      req.resume();
      serve(req, res, EMPTY_BODY);
      return;
    }
    void readBody(req, MAX_BODY_BYTES).then((raw) => {
      if (raw === undefined) return;
      if (raw === 'too large') send(res, fail(413, 'request_entity_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`));
      else serve(req, res, raw);
    });
  };

  const server = createServer(handle);
  // Generous keep-alive so connection-reusing clients do not race the idle timeout.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    token,
    port,
    dataset,
    get requestCount() {
      return requestCount;
    },
    setFaults,
    get stats() {
      return { requests: stats.requests, faults: { ...stats.faults }, statuses: { ...stats.statuses } };
    },
    resetStats: () => {
      stats = emptyStats();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of slowTimers) clearTimeout(t);
        slowTimers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
