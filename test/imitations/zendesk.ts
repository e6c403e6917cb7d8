// An imitation of the Zendesk Support API (tickets and users, read side) for tests.
//
// Written from Zendesk's public documentation and from captured responses quoted in public code:
// - auth: Basic `{email}/token:{api_token}` or `Bearer {oauth_token}`; a bad credential is 401
//   `{"error":"Couldn't authenticate you"}`. `GET /api/v2/users/me` with *no* credential answers 200 with the
//   anonymous user (Zendesk serves anonymous Help Center visitors there); a wrong credential is still 401.
// - cursor pagination (`page[size]` max 100, `page[after]`, `page[before]`, `sort`), with opaque cursors in
//   standard base64 (so they carry `=` and must be URL-encoded), `meta.has_more`, `meta.after_cursor`,
//   `meta.before_cursor`, absolute `links.next`/`links.prev`. As in real captures, the last non-empty page keeps
//   its cursors and its `links.next` (only `has_more` is false); following that link gives an empty page whose
//   cursors and links are null.
// - offset pagination (`page`, `per_page` max 100, `sort_by`, `sort_order`): `next_page`/`previous_page` absolute
//   URLs or null, `count`; deeper than 10,000 records (page * per_page) is 400 `InvalidPaginationDepth`.
// - 404 `{"error":"RecordNotFound","description":"Not found"}` for a missing record, `InvalidEndpoint` for an
//   unknown path.
// - rate limits: `x-rate-limit`, `x-rate-limit-remaining`, `ratelimit-limit`, `ratelimit-remaining`,
//   `ratelimit-reset` on every authenticated answer (plus `zendesk-ratelimit-tickets-index` on List Tickets);
//   429 with `Retry-After` and `{"error":"APIRateLimitExceeded","description":"Number of allowed API requests per
//   minute exceeded"}`.
// - every response carries `X-Request-Id` and `X-Zendesk-Request-Id`.
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  Countdown,
  newId,
  pick,
  seededRandom,
  sendJson,
  startImitation,
  type ImitationRequest,
  type ImitationServer,
} from './common.js';

export interface ZendeskOptions {
  /** Agent e-mail for API-token auth (also the e-mail of the first user, an admin). Default `agent@example.com`. */
  email?: string;
  /** API token. Default `zd-api-token-0123456789`. */
  apiToken?: string;
  /** OAuth access token accepted as `Authorization: Bearer …`. Default `zd-oauth-token-0123456789`. */
  oauthToken?: string;
  /** Number of tickets served. Default 250. */
  tickets?: number;
  /** Number of users served (the first is the authenticated admin, about a tenth are agents). Default 50. */
  users?: number;
  /** PRNG seed for the dataset. Default 1. */
  seed?: number;
  /** Account-wide rate limit per minute (`x-rate-limit`). Default 700 (Enterprise). */
  rateLimit?: number;
  /** `Retry-After` seconds sent with a 429. Default 1 (real values are tens of seconds). */
  retryAfter?: number;
  /** Value of `ratelimit-reset` (seconds until the window resets) on ordinary answers. Default 60. */
  rateLimitResetSeconds?: number;
}

export interface ZendeskVia {
  channel: string;
  source: { from: Record<string, unknown>; to: Record<string, unknown>; rel: string | null };
}

export interface ZendeskTicket {
  url: string;
  id: number;
  external_id: string | null;
  via: ZendeskVia;
  created_at: string;
  updated_at: string;
  generated_timestamp: number;
  type: 'problem' | 'incident' | 'question' | 'task' | null;
  subject: string;
  raw_subject: string;
  description: string;
  priority: 'urgent' | 'high' | 'normal' | 'low' | null;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
  recipient: string | null;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  organization_id: number | null;
  group_id: number | null;
  collaborator_ids: number[];
  follower_ids: number[];
  email_cc_ids: number[];
  forum_topic_id: number | null;
  problem_id: number | null;
  has_incidents: boolean;
  is_public: boolean;
  due_at: string | null;
  tags: string[];
  custom_fields: { id: number; value: unknown }[];
  satisfaction_rating: unknown;
  sharing_agreement_ids: number[];
  custom_status_id: number;
  fields: { id: number; value: unknown }[];
  followup_ids: number[];
  ticket_form_id: number;
  brand_id: number;
  allow_channelback: boolean;
  allow_attachments: boolean;
  from_messaging_channel: boolean;
}

export interface ZendeskUser {
  id: number;
  url: string;
  name: string;
  email: string;
  created_at: string;
  updated_at: string;
  time_zone: string;
  iana_time_zone: string;
  phone: string | null;
  shared_phone_number: boolean | null;
  photo: unknown;
  locale_id: number;
  locale: string;
  organization_id: number | null;
  role: 'end-user' | 'agent' | 'admin';
  verified: boolean;
  external_id: string | null;
  tags: string[];
  alias: string | null;
  active: boolean;
  shared: boolean;
  shared_agent: boolean;
  last_login_at: string | null;
  two_factor_auth_enabled: boolean | null;
  signature: string | null;
  details: string | null;
  notes: string | null;
  role_type: number | null;
  custom_role_id: number | null;
  moderator: boolean;
  ticket_restriction: string | null;
  only_private_comments: boolean;
  restricted_agent: boolean;
  suspended: boolean;
  default_group_id: number | null;
  report_csv: boolean;
  user_fields: Record<string, unknown>;
}

export interface ZendeskRateLimitOptions {
  /** `Retry-After` seconds for these 429s (default: the server's `retryAfter`). */
  retryAfter?: number;
}

export interface ZendeskImitation extends ImitationServer {
  email: string;
  apiToken: string;
  oauthToken: string;
  /** The served tickets, ascending by id. Live: tests may edit, push or splice, and the server serves the change. */
  tickets: ZendeskTicket[];
  /** The served users, ascending by id. Live, as `tickets`. */
  users: ZendeskUser[];
  /** `Authorization` value for API-token auth: `Basic base64("{email}/token:{apiToken}")`. */
  basicAuth: string;
  /** `Authorization` value for OAuth: `Bearer {oauthToken}`. */
  bearerAuth: string;
  /** The account-wide per-minute bucket. When `remaining` reaches 0 the next request is 429 and the bucket refills
   * (as if the client had waited `Retry-After`). Tests may set `remaining` directly. */
  window: { limit: number; remaining: number };
  /** The next `n` authenticated requests are answered 429. */
  rateLimitNext(n: number, options?: ZendeskRateLimitOptions): void;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Tim', 'Hedy', 'Linus', 'Katherine', 'John'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Ritchie', 'Perlman', 'Berners-Lee', 'Lamarr', 'Torvalds', 'Johnson', 'Backus'];
const ZONES: [string, string][] = [
  ['Pacific Time (US & Canada)', 'America/Los_Angeles'],
  ['Eastern Time (US & Canada)', 'America/New_York'],
  ['London', 'Europe/London'],
  ['Berlin', 'Europe/Berlin'],
  ['Tokyo', 'Asia/Tokyo'],
];
const SUBJECTS = [
  'Cannot log in to my account',
  'Refund request for order',
  'Password reset e-mail never arrives',
  'Invoice shows the wrong amount',
  'App crashes on start-up',
  'How do I export my data?',
  'Feature request: dark mode',
  'Shipping address change',
  'Two-factor code rejected',
  'Billing: charged twice',
];
const TAGS = ['billing', 'login', 'mobile', 'refund', 'vip', 'bug', 'feature_request', 'shipping', 'urgent', 'web'];
const GROUPS = [360001000001, 360001000002, 360001000003];
const ORGS = [360020000001, 360020000002, 360020000003, 360020000004];
const BASE_TIME = Date.UTC(2023, 0, 2, 9, 0, 0);

/** `2021-11-30T01:23:14Z`: Zendesk's timestamps carry no fraction. */
function zTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Builds the deterministic dataset served under `origin`. Exported so a test can rebuild it independently. */
export function zendeskDataset(
  origin: string,
  options: { tickets?: number; users?: number; seed?: number; email?: string } = {},
): { tickets: ZendeskTicket[]; users: ZendeskUser[] } {
  const rand = seededRandom(options.seed ?? 1);
  const nUsers = Math.max(0, options.users ?? 50);
  const nTickets = Math.max(0, options.tickets ?? 250);
  const nAgents = nUsers === 0 ? 0 : Math.max(1, Math.round(nUsers / 10));
  const users: ZendeskUser[] = [];
  let userId = 1524707000000;
  let userTime = BASE_TIME - 400 * 86400_000;
  for (let i = 0; i < nUsers; i++) {
    userId += 1 + Math.floor(rand() * 40000);
    userTime += Math.floor(rand() * 86400_000);
    const first = pick(rand, FIRST);
    const last = pick(rand, LAST);
    const [zone, iana] = pick(rand, ZONES);
    const role: ZendeskUser['role'] = i === 0 ? 'admin' : i < nAgents ? 'agent' : 'end-user';
    const email =
      i === 0 && options.email ? options.email : `${first}.${last}.${i}@${role === 'end-user' ? 'customer.example' : 'support.example'}`.toLowerCase();
    const updated = userTime + Math.floor(rand() * 200 * 86400_000);
    users.push({
      id: userId,
      url: `${origin}/api/v2/users/${userId}.json`,
      name: `${first} ${last}`,
      email,
      created_at: zTime(userTime),
      updated_at: zTime(updated),
      time_zone: zone,
      iana_time_zone: iana,
      phone: rand() < 0.4 ? `+1555${String(Math.floor(rand() * 10_000_000)).padStart(7, '0')}` : null,
      shared_phone_number: null,
      photo: null,
      locale_id: 1,
      locale: 'en-US',
      organization_id: role === 'end-user' && rand() < 0.6 ? pick(rand, ORGS) : null,
      role,
      verified: rand() < 0.9,
      external_id: null,
      tags: [],
      alias: null,
      active: true,
      shared: false,
      shared_agent: false,
      last_login_at: role === 'end-user' ? null : zTime(updated),
      two_factor_auth_enabled: null,
      signature: null,
      details: '',
      notes: '',
      role_type: role === 'end-user' ? null : role === 'admin' ? null : 0,
      custom_role_id: role === 'end-user' ? null : 360000000010,
      moderator: role !== 'end-user',
      ticket_restriction: role === 'end-user' ? 'requested' : null,
      only_private_comments: false,
      restricted_agent: false,
      suspended: false,
      default_group_id: role === 'end-user' ? null : GROUPS[0] ?? null,
      report_csv: role === 'admin',
      user_fields: {},
    });
  }
  const agents = users.filter((u) => u.role !== 'end-user');
  const endUsers = users.filter((u) => u.role === 'end-user');
  const requesters = endUsers.length > 0 ? endUsers : users;
  const tickets: ZendeskTicket[] = [];
  let ticketId = 0;
  let ticketTime = BASE_TIME;
  for (let i = 0; i < nTickets; i++) {
    // Deleted tickets leave holes in the id sequence.
    ticketId += rand() < 0.1 ? 2 + Math.floor(rand() * 3) : 1;
    ticketTime += 60_000 + Math.floor(rand() * 6 * 3600_000);
    const status = pick(rand, ['new', 'open', 'open', 'pending', 'hold', 'solved', 'solved', 'closed'] as const);
    const subject = `${pick(rand, SUBJECTS)} (#${i + 1})`;
    const requester = requesters.length > 0 ? pick(rand, requesters).id : 1000 + i;
    const assignee = status === 'new' || agents.length === 0 ? null : pick(rand, agents).id;
    const tags = TAGS.filter(() => rand() < 0.2);
    const channel = pick(rand, ['email', 'web', 'api', 'mobile_sdk'] as const);
    const updated = ticketTime + Math.floor(rand() * 90 * 86400_000);
    tickets.push({
      url: `${origin}/api/v2/tickets/${ticketId}.json`,
      id: ticketId,
      external_id: null,
      via: { channel, source: { from: {}, to: {}, rel: null } },
      created_at: zTime(ticketTime),
      updated_at: zTime(updated),
      generated_timestamp: Math.floor(updated / 1000),
      type: pick(rand, [null, 'question', 'incident', 'problem', 'task'] as const),
      subject,
      raw_subject: subject,
      description: `Hello,\n\n${subject.toLowerCase()}. Can you help?\n\nThanks`,
      priority: pick(rand, [null, 'low', 'normal', 'normal', 'high', 'urgent'] as const),
      status,
      recipient: channel === 'email' ? 'support@example.zendesk.com' : null,
      requester_id: requester,
      submitter_id: requester,
      assignee_id: assignee,
      organization_id: rand() < 0.5 ? pick(rand, ORGS) : null,
      group_id: assignee === null ? null : pick(rand, GROUPS),
      collaborator_ids: [],
      follower_ids: [],
      email_cc_ids: [],
      forum_topic_id: null,
      problem_id: null,
      has_incidents: false,
      is_public: true,
      due_at: null,
      tags,
      custom_fields: [],
      satisfaction_rating: null,
      sharing_agreement_ids: [],
      custom_status_id: 360000100000 + ['new', 'open', 'pending', 'hold', 'solved', 'closed'].indexOf(status),
      fields: [],
      followup_ids: [],
      ticket_form_id: 360000200001,
      brand_id: 360000300001,
      allow_channelback: false,
      allow_attachments: true,
      from_messaging_channel: false,
    });
  }
  return { tickets, users };
}

/** Ruby's CGI.escape, which Rails' `to_query` uses: everything but `A-Za-z0-9_.-~` is %-encoded, space is `+`. */
function cgiEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Rails-style query string: keys sorted, CGI-escaped. */
function toQuery(params: [string, string][]): string {
  return [...params]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${cgiEscape(k)}=${cgiEscape(v)}`)
    .join('&');
}

type SortValue = string | number | null;
interface CursorPayload {
  o: string;
  v: [SortValue, number];
}

function encodeZCursor(payload: CursorPayload): string {
  // Standard base64 with padding, like Zendesk's own cursors (`eyJvIjoibmljZV9pZCIs…fQ==`).
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
}

function decodeZCursor(cursor: string): CursorPayload | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const p = v as { o?: unknown; v?: unknown };
    if (typeof p.o !== 'string' || !Array.isArray(p.v) || p.v.length !== 2 || typeof p.v[1] !== 'number') return undefined;
    return p as CursorPayload;
  } catch {
    return undefined;
  }
}

type Rec = { id: number } & Record<string, unknown>;

function compareBy(field: string, desc: boolean): (a: Rec, b: Rec) => number {
  return (a, b) => {
    const av = a[field] as SortValue;
    const bv = b[field] as SortValue;
    let c = 0;
    if (field !== 'id') {
      if (av === bv) c = 0;
      else if (av === null || av === undefined) c = 1;
      else if (bv === null || bv === undefined) c = -1;
      else c = av < bv ? -1 : 1;
    }
    if (c === 0) c = a.id - b.id;
    return desc ? -c : c;
  };
}

const CURSOR_SORTS: Record<'tickets' | 'users', string[]> = {
  tickets: ['id', 'updated_at', 'status'],
  users: ['id', 'updated_at'],
};
const OFFSET_SORTS: Record<'tickets' | 'users', string[]> = {
  tickets: ['id', 'created_at', 'updated_at', 'status', 'priority', 'subject', 'requester', 'assignee'],
  users: ['id', 'created_at', 'updated_at', 'name'],
};

function paginationError(res: ServerResponse, code: string, title: string, detail: string): void {
  sendJson(res, 400, { errors: [{ code, title, detail }] });
}

/** Starts the Zendesk imitation on 127.0.0.1 (ephemeral port). */
export async function startZendesk(options: ZendeskOptions = {}): Promise<ZendeskImitation> {
  const email = options.email ?? 'agent@example.com';
  const apiToken = options.apiToken ?? 'zd-api-token-0123456789';
  const oauthToken = options.oauthToken ?? 'zd-oauth-token-0123456789';
  const retryAfterDefault = options.retryAfter ?? 1;
  const resetSeconds = options.rateLimitResetSeconds ?? 60;
  const window = { limit: options.rateLimit ?? 700, remaining: options.rateLimit ?? 700 };
  const ticketsIndex = { limit: 100, remaining: 100 };
  const forced = new Countdown();
  let forcedRetryAfter = retryAfterDefault;
  const state: { tickets: ZendeskTicket[]; users: ZendeskUser[]; origin: string } = { tickets: [], users: [], origin: '' };

  const basicAuth = `Basic ${Buffer.from(`${email}/token:${apiToken}`, 'utf8').toString('base64')}`;
  const bearerAuth = `Bearer ${oauthToken}`;

  /** 'ok', 'none' (no Authorization header) or 'bad'. */
  function authenticate(header: string | undefined): 'ok' | 'none' | 'bad' {
    if (header === undefined || header === '') return 'none';
    const m = /^(\S+)\s+(.*)$/.exec(header.trim());
    if (!m) return 'bad';
    const scheme = (m[1] ?? '').toLowerCase();
    const value = (m[2] ?? '').trim();
    if (scheme === 'bearer') return value === oauthToken ? 'ok' : 'bad';
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return 'bad';
      const user = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      return user.toLowerCase() === `${email.toLowerCase()}/token` && secret === apiToken ? 'ok' : 'bad';
    }
    return 'bad';
  }

  function rateHeaders(remaining: number): Record<string, string> {
    return {
      'x-rate-limit': String(window.limit),
      'x-rate-limit-remaining': String(remaining),
      'ratelimit-limit': String(window.limit),
      'ratelimit-remaining': String(remaining),
      'ratelimit-reset': String(resetSeconds),
    };
  }

  function tooMany(res: ServerResponse, retryAfter: number): void {
    sendJson(
      res,
      429,
      { error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' },
      { ...rateHeaders(0), 'ratelimit-reset': String(retryAfter), 'retry-after': String(retryAfter) },
    );
  }

  function list(req: ImitationRequest, res: ServerResponse, kind: 'tickets' | 'users', headers: Record<string, string>): void {
    const q = req.parsed.searchParams;
    let records: Rec[] = (kind === 'tickets' ? state.tickets : state.users) as unknown as Rec[];
    if (kind === 'users') {
      const roles = [...q.getAll('role'), ...q.getAll('role[]')];
      if (roles.length > 0) records = records.filter((u) => roles.includes(String(u.role)));
    }
    const path = req.parsed.pathname;
    const isCursor = q.has('page[size]') || q.has('page[after]') || q.has('page[before]');
    if (isCursor) {
      const rawSize = Number.parseInt(q.get('page[size]') ?? '', 10);
      // Documented maximum 100; a larger value is served as 100 (see the report: unsure whether Zendesk 400s).
      const size = Number.isFinite(rawSize) && rawSize > 0 ? Math.min(rawSize, 100) : 100;
      const sortParam = q.get('sort') ?? 'id';
      const desc = sortParam.startsWith('-');
      const field = desc ? sortParam.slice(1) : sortParam;
      if (!CURSOR_SORTS[kind].includes(field)) {
        paginationError(res, 'InvalidPaginationParameter', 'Invalid pagination parameter', `sort is not valid for cursor pagination: ${sortParam}`);
        return;
      }
      const cmp = compareBy(field, desc);
      const sorted = [...records].sort(cmp);
      const after = q.get('page[after]');
      const before = q.get('page[before]');
      let page: Rec[];
      let hasMore: boolean;
      const cursorOf = (r: Rec): string => encodeZCursor({ o: sortParam, v: [(field === 'id' ? r.id : (r[field] as SortValue)) ?? null, r.id] });
      const probe = (c: string): Rec | undefined => {
        const p = decodeZCursor(c);
        if (!p || p.o !== sortParam) return undefined;
        return { id: p.v[1], [field]: p.v[0] } as Rec;
      };
      if (before !== null && before !== '') {
        const anchor = probe(before);
        if (!anchor) {
          paginationError(res, 'InvalidPaginationParameter', 'Invalid pagination parameter', 'page[before] is not a valid cursor');
          return;
        }
        const earlier = sorted.filter((r) => cmp(r, anchor) < 0);
        page = earlier.slice(Math.max(0, earlier.length - size));
        hasMore = earlier.length > size;
      } else {
        let rest = sorted;
        if (after !== null && after !== '') {
          const anchor = probe(after);
          if (!anchor) {
            paginationError(res, 'InvalidPaginationParameter', 'Invalid pagination parameter', 'page[after] is not a valid cursor');
            return;
          }
          rest = sorted.filter((r) => cmp(r, anchor) > 0);
        }
        page = rest.slice(0, size);
        hasMore = rest.length > size;
      }
      const first = page[0];
      const last = page[page.length - 1];
      const others: [string, string][] = [...q.entries()].filter(([k]) => !k.startsWith('page['));
      const link = (key: 'page[after]' | 'page[before]', cursor: string): string =>
        `${state.origin}${path}?${toQuery([...others, [key, cursor], ['page[size]', String(size)]])}`;
      const afterCursor = last ? cursorOf(last) : null;
      const beforeCursor = first ? cursorOf(first) : null;
      sendJson(
        res,
        200,
        {
          [kind]: page,
          meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
          links: {
            prev: beforeCursor ? link('page[before]', beforeCursor) : null,
            next: afterCursor ? link('page[after]', afterCursor) : null,
          },
        },
        headers,
      );
      return;
    }
    // Offset pagination (also the default when no page parameter is given).
    const rawPage = Number.parseInt(q.get('page') ?? '', 10);
    const pageNo = Number.isFinite(rawPage) && rawPage > 0 ? rawPage : 1;
    const rawPer = Number.parseInt(q.get('per_page') ?? '', 10);
    const perPage = Number.isFinite(rawPer) && rawPer > 0 ? Math.min(rawPer, 100) : 100;
    if (pageNo * perPage > 10000) {
      paginationError(
        res,
        'InvalidPaginationDepth',
        'Pagination requests using Offset Pagination are limited to page 100 or up to 10000 records (page * per_page)',
        'There are limits to the depth of offset pagination. Use cursor pagination to retrieve more than 10000 records.',
      );
      return;
    }
    const sortBy = q.get('sort_by') ?? 'id';
    const field = sortBy === 'requester' ? 'requester_id' : sortBy === 'assignee' ? 'assignee_id' : sortBy;
    const sorted = OFFSET_SORTS[kind].includes(sortBy) ? [...records].sort(compareBy(field, q.get('sort_order') === 'desc')) : [...records];
    const start = (pageNo - 1) * perPage;
    const page = sorted.slice(start, start + perPage);
    const others: [string, string][] = [...q.entries()].filter(([k]) => k !== 'page');
    const pageUrl = (n: number): string => `${state.origin}${path}?${toQuery([...others, ['page', String(n)]])}`;
    sendJson(
      res,
      200,
      {
        [kind]: page,
        next_page: start + perPage < sorted.length ? pageUrl(pageNo + 1) : null,
        previous_page: pageNo > 1 ? pageUrl(pageNo - 1) : null,
        count: sorted.length,
      },
      headers,
    );
  }

  const server = await startImitation(
    (req, res) => {
      const path = req.parsed.pathname.replace(/\.json$/, '');
      const auth = authenticate(req.headers.authorization);
      if (req.method === 'GET' && path === '/api/v2/users/me' && auth === 'none') {
        sendJson(res, 200, { user: anonymousUser() });
        return;
      }
      if (auth !== 'ok') {
        sendJson(res, 401, { error: "Couldn't authenticate you" }, { 'www-authenticate': 'Basic realm="Web Password"' });
        return;
      }
      if (forced.take()) {
        tooMany(res, forcedRetryAfter);
        return;
      }
      if (window.remaining <= 0) {
        window.remaining = window.limit; // the client is taken to have waited Retry-After
        tooMany(res, retryAfterDefault);
        return;
      }
      window.remaining -= 1;
      const headers = rateHeaders(window.remaining);
      if (req.method !== 'GET') {
        sendJson(res, 404, { error: 'InvalidEndpoint', description: 'Not found' }, headers);
        return;
      }
      if (path === '/api/v2/tickets') {
        ticketsIndex.remaining = Math.max(0, ticketsIndex.remaining - 1);
        headers['zendesk-ratelimit-tickets-index'] = `total=${ticketsIndex.limit}; remaining=${ticketsIndex.remaining}; resets=${resetSeconds}`;
        list(req, res, 'tickets', headers);
        return;
      }
      if (path === '/api/v2/users') {
        list(req, res, 'users', headers);
        return;
      }
      if (path === '/api/v2/users/me') {
        sendJson(res, 200, { user: state.users.find((u) => u.email.toLowerCase() === email.toLowerCase()) ?? anonymousUser() }, headers);
        return;
      }
      const one = /^\/api\/v2\/(tickets|users)\/([^/]+)$/.exec(path);
      if (one) {
        const id = /^\d+$/.test(one[2] ?? '') ? Number(one[2]) : NaN;
        const found =
          one[1] === 'tickets' ? state.tickets.find((t) => t.id === id) : state.users.find((u) => u.id === id);
        if (!found) sendJson(res, 404, { error: 'RecordNotFound', description: 'Not found' }, headers);
        else sendJson(res, 200, { [one[1] === 'tickets' ? 'ticket' : 'user']: found }, headers);
        return;
      }
      sendJson(res, 404, { error: 'InvalidEndpoint', description: 'Not found' }, headers);
    },
    {
      onRequest: (_req, res) => {
        res.setHeader('x-request-id', newId());
        res.setHeader('x-zendesk-request-id', randomBytes(10).toString('hex'));
        res.setHeader('x-zendesk-api-version', 'v2');
        res.setHeader('cache-control', 'no-cache');
      },
    },
  );

  state.origin = server.url;
  const data = zendeskDataset(server.url, { tickets: options.tickets, users: options.users, seed: options.seed, email });
  state.tickets = data.tickets;
  state.users = data.users;

  function anonymousUser(): Record<string, unknown> {
    return {
      id: null,
      url: null,
      name: 'Anonymous user',
      email: 'invalid@example.com',
      created_at: null,
      updated_at: null,
      time_zone: 'Pacific Time (US & Canada)',
      iana_time_zone: 'America/Los_Angeles',
      phone: null,
      locale_id: 1,
      locale: 'en-US',
      organization_id: null,
      role: 'end-user',
      verified: false,
      authenticity_token: 'imitation',
    };
  }

  return {
    ...server,
    email,
    apiToken,
    oauthToken,
    get tickets() {
      return state.tickets;
    },
    set tickets(v: ZendeskTicket[]) {
      state.tickets = v;
    },
    get users() {
      return state.users;
    },
    set users(v: ZendeskUser[]) {
      state.users = v;
    },
    basicAuth,
    bearerAuth,
    window,
    rateLimitNext(n, opts = {}) {
      forced.set(n);
      forcedRetryAfter = opts.retryAfter ?? retryAfterDefault;
    },
  };
}
