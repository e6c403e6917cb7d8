// A read-only imitation of the Intercom REST API (OpenAPI 2.16) over node:http.
// It serves the 14 GET operations the connector relies on, with Intercom's envelopes,
// cursor and page-number pagination, bearer auth, error.list bodies and rate-limit headers.

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
}

export interface Sandbox {
  url: string;
  token: string;
  port: number;
  dataset: Dataset;
  /** Every request received, authenticated or not. */
  readonly requestCount: number;
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

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  // Encode once: byteLength plus end(string) would scan a 300 KB page twice.
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(buf.length),
  });
  res.end(buf);
}

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
  private start = -Infinity;
  private used = 0;
  constructor(private readonly limit: number, private readonly windowMs: number) {}
  take(nowMs: number): { allowed: boolean; headers: Record<string, string> } {
    if (nowMs >= this.start + this.windowMs) {
      this.start = nowMs;
      this.used = 0;
    }
    const allowed = this.used < this.limit;
    if (allowed) this.used++;
    return {
      allowed,
      headers: {
        'X-RateLimit-Limit': String(this.limit),
        'X-RateLimit-Remaining': String(this.limit - this.used),
        'X-RateLimit-Reset': String(Math.ceil((this.start + this.windowMs) / 1000)),
      },
    };
  }
}

function byId<T extends { id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((x) => [x.id, x]));
}

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

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requestCount++;
    // Bodies are never read; draining keeps the keep-alive connection usable.
    req.resume();
    const auth = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!match || match[1] !== token) {
      send(res, 401, errorBody('unauthorized', 'Access Token Invalid'), {});
      return;
    }
    const limit = rate.take(Date.now());
    if (!limit.allowed) {
      send(res, 429, errorBody('rate_limit_exceeded', 'Exceeded rate limit'), limit.headers);
      return;
    }
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
      send(res, 200, JSON.stringify(route(resource, id, url.searchParams)), limit.headers);
    } catch (err) {
      if (err instanceof ApiError) {
        send(res, err.status, errorBody(err.code, err.message), { ...limit.headers, ...err.headers });
      } else {
        send(res, 500, errorBody('server_error', 'Internal Server Error'), limit.headers);
        console.error('[sandbox] unexpected error', err);
      }
    }
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
