// A read-only imitation of the Intercom REST API (OpenAPI 2.16) over node:http.
// It serves the 14 GET operations the connector relies on, with Intercom's envelopes,
// cursor and page-number pagination, bearer auth, error.list bodies and rate-limit headers.
// Faults (429/500/503, dropped connections, truncated bodies, slow answers) can be injected on a
// request-count schedule rather than at random, so a retrying client can be tested reproducibly.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { generateDataset, type Admin, type Company, type Counts, type Dataset, type Segment, type Tag, type Team } from './data.js';

export const SANDBOX_TOKEN = 'sandbox-token';

export interface SandboxOptions {
  port?: number;
  host?: string;
  seed?: number;
  counts?: Partial<Counts>;
  token?: string;
  rateLimit?: { limit: number; windowSeconds: number };
  faults?: readonly FaultRule[];
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

// Values the spec's intercom_version schema enumerates.
const INTERCOM_VERSIONS = new Set(['1.0', '1.1', '1.2', '1.3', '1.4', ...Array.from({ length: 17 }, (_, i) => `2.${i}`)]);

const LIMITS = {
  contacts: { perPage: 50, maxPerPage: 150 },
  conversations: { perPage: 20, maxPerPage: 150 },
  companies: { perPage: 15, maxPerPage: 60 },
} as const;

class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const notFound = (code = 'not_found', message = 'Resource Not Found') => new ApiError(404, code, message);
function found<T>(value: T | undefined, code?: string, message?: string): T {
  if (value === undefined) throw notFound(code, message);
  return value;
}
const invalid = (message: string) => new ApiError(400, 'parameter_invalid', message);

function errorBody(code: string, message: string): string {
  return JSON.stringify({ type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] });
}

interface Reply {
  status: number;
  body: string | Buffer;
  headers: Record<string, string>;
}

const asBuffer = (body: string | Buffer): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

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

// Cursors mimic Intercom's: base64 of JSON [created_at in ms, id of the last record served, next page number].
function encodeCursor(createdAt: number, id: string, page: number): string {
  return Buffer.from(JSON.stringify([createdAt * 1000, id, page])).toString('base64');
}

function decodeCursor(raw: string): { createdMs: number; id: string; page: number } | null {
  // Strict alphabet: a '+' that arrived unencoded (turned into a space) must fail, as it would upstream.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 3) return null;
  const [createdMs, id, page] = value as unknown[];
  if (typeof createdMs !== 'number' || typeof id !== 'string' || typeof page !== 'number') return null;
  if (!Number.isInteger(page) || page < 2) return null;
  return { createdMs, id, page };
}

function cursorList<T extends { id: string; created_at: number }>(
  q: URLSearchParams,
  total: number,
  limits: { perPage: number; maxPerPage: number },
  at: (i: number) => T,
  indexOf: (id: string) => number,
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
  const end = Math.min(total, start + perPage);
  const items: T[] = [];
  for (let i = start; i < end; i++) items.push(at(i));
  const pages: CursorPages = { type: 'pages', page, per_page: perPage, total_pages: Math.ceil(total / perPage) };
  const last = items[items.length - 1];
  if (end < total && last) pages.next = { page: page + 1, starting_after: encodeCursor(last.created_at, last.id, page + 1) };
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

const RESOURCES = new Set(['contacts', 'conversations', 'companies', 'teams', 'admins', 'tags', 'segments']);

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const dataset = generateDataset({ seed: opts.seed, counts: opts.counts });
  const token = opts.token ?? SANDBOX_TOKEN;
  const host = opts.host ?? '127.0.0.1';
  const rl = opts.rateLimit ?? { limit: 10_000, windowSeconds: 60 };
  if (!(rl.limit >= 0) || !(rl.windowSeconds > 0)) throw new RangeError('rateLimit needs limit >= 0 and windowSeconds > 0');
  const rate = new RateWindow(rl.limit, rl.windowSeconds * 1000);
  const companies = byId(dataset.companies);
  const teams = byId<Team>(dataset.teams);
  const admins = byId<Admin>(dataset.admins);
  const tags = byId<Tag>(dataset.tags);
  const segments = byId<Segment>(dataset.segments);
  let requestCount = 0;

  const withCount = (s: Segment, include: boolean): Segment => (include ? { ...s, count: dataset.segmentCounts.get(s.id) ?? 0 } : s);

  const listCompanies = (q: URLSearchParams): unknown => {
    // Unlike the cursor lists, a too-large per_page is clamped, not rejected; starting_after is not a
    // parameter of this operation and is ignored, so page numbers are the only way through.
    const perPage = Math.min(intParam(q, 'per_page') ?? LIMITS.companies.perPage, LIMITS.companies.maxPerPage);
    const page = intParam(q, 'page') ?? 1;
    const name = q.get('name');
    const companyId = q.get('company_id');
    const tagId = q.get('tag_id');
    const segmentId = q.get('segment_id');
    let all: readonly Company[] = dataset.companies;
    if (name) all = all.filter((c) => c.name.toLowerCase() === name.toLowerCase());
    if (companyId) all = all.filter((c) => c.company_id === companyId);
    // The spec documents 404 company_not_found for this operation: a lookup by name/company_id that misses.
    if ((name || companyId) && all.length === 0) throw notFound('company_not_found', 'Company Not Found');
    if (tagId) all = all.filter((c) => c.tags.tags.some((t) => t.id === tagId));
    if (segmentId) all = all.filter((c) => c.segments.segments.some((s) => s.id === segmentId));
    return {
      type: 'list',
      data: all.slice((page - 1) * perPage, page * perPage),
      pages: { type: 'pages', next: null, page, per_page: perPage, total_pages: Math.ceil(all.length / perPage) },
      total_count: all.length,
    };
  };

  const route = (resource: string, id: string | undefined, q: URLSearchParams): unknown => {
    switch (resource) {
      case 'contacts': {
        if (id === undefined) {
          const { items, pages } = cursorList(q, dataset.counts.contacts, LIMITS.contacts, dataset.contactAt, dataset.contactIndex);
          return { type: 'list', data: items, total_count: dataset.counts.contacts, pages };
        }
        const i = dataset.contactIndex(id);
        if (i < 0) throw notFound('not_found', 'User Not Found');
        return dataset.contactAt(i);
      }
      case 'conversations': {
        if (id === undefined) {
          const { items, pages } = cursorList(q, dataset.counts.conversations, LIMITS.conversations, (i) => dataset.conversationAt(i), dataset.conversationIndex);
          return { type: 'conversation.list', conversations: items, total_count: dataset.counts.conversations, pages };
        }
        const i = dataset.conversationIndex(id);
        if (i < 0) throw notFound();
        return dataset.conversationAt(i, true);
      }
      case 'companies': {
        if (id === undefined) return listCompanies(q);
        return found(companies.get(id), 'company_not_found', 'Company Not Found');
      }
      case 'teams':
        if (id === undefined) return { type: 'team.list', teams: dataset.teams };
        return found(teams.get(id), 'team_not_found', 'Team not found');
      case 'admins':
        if (id === undefined) return { type: 'admin.list', admins: dataset.admins };
        return found(admins.get(id), 'admin_not_found', 'Admin not found');
      case 'tags':
        if (id === undefined) return { type: 'list', data: dataset.tags };
        // The spec's findTag 404 example uses the generic code, not tag_not_found.
        return found(tags.get(id));
      case 'segments': {
        const include = q.get('include_count') === 'true';
        if (id === undefined) return { type: 'segment.list', segments: dataset.segments.map((s) => withCount(s, include)), pages: {} };
        return withCount(found(segments.get(id)), include);
      }
      default:
        throw notFound();
    }
  };

  let stats = emptyStats();
  let rules: { rule: FaultRule; fired: number }[] = [];
  // Numbering restarts with each rule set so a test's schedule does not depend on earlier traffic.
  let faultSeq = 0;
  const setFaults = (next: readonly FaultRule[]): void => {
    rules = validateFaultRules(next).map((rule) => ({ rule, fired: 0 }));
    faultSeq = 0;
  };
  setFaults(opts.faults ?? []);
  const slowTimers = new Set<NodeJS.Timeout>();

  const pickFault = (n: number): FaultRule | undefined => {
    for (const r of rules) {
      const { every, offset = 0, limit = Infinity } = r.rule;
      if (r.fired < limit && n % every === offset % every) {
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

  /** What the API would answer an authenticated request, rate window included. */
  const respond = (req: IncomingMessage): Reply => {
    const limit = rate.take(Date.now());
    if (!limit.allowed) return fail(429, 'rate_limit_exceeded', 'Exceeded rate limit', limit.headers);
    try {
      const version = req.headers['intercom-version'];
      if (typeof version === 'string' && !INTERCOM_VERSIONS.has(version.trim())) {
        throw new ApiError(400, 'intercom_version_invalid', 'The requested version could not be found');
      }
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
      const parts = url.pathname.split('/').filter((p) => p !== '');
      const [resource, rawId, ...rest] = parts;
      if (resource === undefined || !RESOURCES.has(resource) || rest.length > 0) throw notFound();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new ApiError(405, 'method_not_allowed', `${req.method ?? ''} is not supported on /${parts.join('/')}`, { Allow: 'GET, HEAD' });
      }
      let id: string | undefined;
      if (rawId !== undefined) {
        try {
          id = decodeURIComponent(rawId);
        } catch {
          throw notFound();
        }
      }
      // The data never changes, so an answer can be served again byte for byte: that keeps
      // the sandbox's own cost out of client benchmarks.
      const key = req.url ?? '';
      let body = bodies.get(key);
      if (body === undefined) {
        body = Buffer.from(JSON.stringify(route(resource, id, url.searchParams)), 'utf8');
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

  const inject = (req: IncomingMessage, res: ServerResponse, rule: FaultRule): void => {
    switch (rule.kind) {
      case 'rate_limit': {
        const seconds = rule.retryAfterSeconds ?? 1;
        const headers: Record<string, string> = {
          'X-RateLimit-Limit': String(rate.limit),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000 + seconds)),
        };
        if (rule.retryAfter !== false) headers['Retry-After'] = String(seconds);
        send(res, fail(429, 'rate_limit_exceeded', 'Exceeded rate limit', headers));
        return;
      }
      case 'server_error':
        send(res, fail(500, 'server_error', 'Server Error'));
        return;
      case 'unavailable':
        send(res, fail(503, 'service_unavailable', 'Service Unavailable'));
        return;
      case 'reset': {
        // The real status is kept (200 for an ordinary read) so the client commits to reading the body.
        const r = respond(req);
        const buf = asBuffer(r.body);
        writeHead(res, r.status, jsonHeaders(r, buf.length));
        // Destroy only once the half is handed to the kernel; destroying straight away could drop it
        // and make this indistinguishable from a connection refused before any response.
        res.write(buf.subarray(0, Math.floor(buf.length / 2)), () => res.socket?.destroy());
        return;
      }
      case 'truncate': {
        const r = respond(req);
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
          send(res, respond(req));
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

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requestCount++;
    // Bodies are never read; draining keeps the keep-alive connection usable.
    req.resume();
    // Injected resets and clients abandoning slow answers make socket errors routine here, not crashes.
    req.on('error', noop);
    res.on('error', noop);
    const auth = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!match || match[1] !== token) {
      send(res, fail(401, 'unauthorized', 'Access Token Invalid'));
      return;
    }
    stats.requests++;
    const rule = pickFault(++faultSeq);
    if (rule === undefined) {
      send(res, respond(req));
      return;
    }
    stats.faults[rule.kind]++;
    inject(req, res, rule);
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
