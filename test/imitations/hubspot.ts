// An imitation of HubSpot's CRM v3 objects API (contacts and companies: list, get, search) for tests.
//
// Written from HubSpot's public documentation and from captured responses quoted in public code:
// - auth: `Authorization: Bearer <private app / OAuth token>`; missing or wrong is 401
//   `{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 …",
//   "correlationId":"<uuid>","category":"INVALID_AUTHENTICATION"}`.
// - list `GET /crm/v3/objects/{type}`: `limit` (default 10, max 100), `after` (the id where the next page starts),
//   `properties` (comma-separated or repeated), `archived`; `paging.next.{after,link}` only while more remain, the
//   link being absolute and echoing the request's query with the new `after`.
// - get `GET /crm/v3/objects/{type}/{id}` (`properties`, `archived`, `idProperty=email` for contacts); missing is 404
//   `{"status":"error","message":"Object not found.  objectId are usually numeric.","correlationId":…,
//   "context":{"id":["…"]},"category":"OBJECT_NOT_FOUND"}` (two spaces, as HubSpot sends it).
// - search `POST /crm/v3/objects/{type}/search`: filterGroups (OR) of filters (AND), operators EQ, NEQ, LT, LTE, GT,
//   GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN; `query`, `sorts`,
//   `properties`, `limit` (default 10, max 200), `after` (an offset); `{"total":n,"results":[…],
//   "paging":{"next":{"after":"…"}}}`; at most 10,000 results reachable (after + limit > 10000 is 400); at most
//   5 filter groups, 6 filters per group, 18 filters in all; archived records are never found.
// - property values are strings (or null when requested but unset), properties are sorted by name; `createdAt`/
//   `updatedAt` are ISO instants with milliseconds.
// - rate limits: `X-HubSpot-RateLimit-{Daily,Daily-Remaining,Interval-Milliseconds,Max,Remaining,Secondly,
//   Secondly-Remaining}` on list/get answers (not on search, which has its own limit); 429 with
//   `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT",
//   "correlationId":…,"policyName":"TEN_SECONDLY_ROLLING","requestId":…}`.
// - every response carries `X-HubSpot-Correlation-Id` (equal to the body's `correlationId`) and `X-Request-Id`.
import type { ServerResponse } from 'node:http';
import { Countdown, newId, pick, seededRandom, sendJson, startImitation, type ImitationServer } from './common.js';

export type HubSpotObjectType = 'contacts' | 'companies';

export interface HubSpotObject {
  id: string;
  /** Every stored property (values are strings; unset ones are absent). The API returns a subset. */
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface HubSpotOptions {
  /** Accepted bearer token. Default `pat-na1-11111111-2222-4333-8444-555555555555`. */
  accessToken?: string;
  /** Number of live contacts. Default 120. */
  contacts?: number;
  /** Number of live companies. Default 40. */
  companies?: number;
  /** Additional archived contacts (served only with `archived=true`). Default 0. */
  archivedContacts?: number;
  /** Additional archived companies. Default 0. */
  archivedCompanies?: number;
  /** PRNG seed for the dataset. Default 1. */
  seed?: number;
  /** Requests per 10-second rolling window (`X-HubSpot-RateLimit-Max`). Default 100 (private app, Free/Starter). */
  rateLimitMax?: number;
  /** Daily request budget (`X-HubSpot-RateLimit-Daily`). Default 250000. */
  dailyLimit?: number;
  /** If set, 429s carry `Retry-After: <seconds>` (HubSpot does not document one). Default: none. */
  retryAfter?: number;
}

export type HubSpotPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

export interface HubSpotRateLimitOptions {
  policy?: HubSpotPolicy;
  /** Add `Retry-After: <seconds>` to these 429s. */
  retryAfter?: number;
}

export interface HubSpotImitation extends ImitationServer {
  accessToken: string;
  /** Live contacts (archived ones included, flagged), ascending by numeric id. Tests may edit them. */
  contacts: HubSpotObject[];
  /** Live companies, as `contacts`. */
  companies: HubSpotObject[];
  /** `Authorization` header value. */
  bearerAuth: string;
  /** The 10-second window and the daily budget. When `remaining` reaches 0 the next request is 429
   * TEN_SECONDLY_ROLLING and the window refills (as if the client waited); when `dailyRemaining` reaches 0 every
   * request is 429 DAILY until a test raises it. Tests may set these directly. */
  window: { max: number; remaining: number; daily: number; dailyRemaining: number };
  /** The next `n` authenticated requests are answered 429 (policy TEN_SECONDLY_ROLLING unless given). */
  rateLimitNext(n: number, options?: HubSpotRateLimitOptions): void;
  /** The properties list, get and search return for `type` when the request names none. */
  defaultProperties(type: HubSpotObjectType): string[];
}

const AUTH_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';
const NOT_FOUND_MESSAGE = 'Object not found.  objectId are usually numeric.';

const DEFAULTS: Record<HubSpotObjectType, string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
};
/** Returned whenever `properties` is given. */
const ALWAYS: Record<HubSpotObjectType, string[]> = {
  contacts: ['createdate', 'hs_object_id', 'lastmodifieddate'],
  companies: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};
/** Properties the search `query` looks in. */
const QUERYABLE: Record<HubSpotObjectType, string[]> = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'company', 'mobilephone', 'fax'],
  companies: ['name', 'domain', 'website', 'phone'],
};
/** Every property the portal defines (unknown names in `properties` are dropped from answers). */
const KNOWN: Record<HubSpotObjectType, string[]> = {
  contacts: [
    'city', 'company', 'country', 'createdate', 'email', 'fax', 'firstname', 'hs_lead_status', 'hs_object_id',
    'hubspot_owner_id', 'hubspotscore', 'jobtitle', 'lastmodifieddate', 'lastname', 'lifecyclestage', 'mobilephone', 'phone',
  ],
  companies: [
    'annualrevenue', 'city', 'country', 'createdate', 'description', 'domain', 'hs_lastmodifieddate', 'hs_object_id',
    'hubspot_owner_id', 'industry', 'lifecyclestage', 'name', 'numberofemployees', 'phone', 'website',
  ],
};
const DATETIME = new Set(['createdate', 'lastmodifieddate', 'hs_lastmodifieddate']);
const NUMBER = new Set(['hs_object_id', 'hubspotscore', 'annualrevenue', 'numberofemployees', 'hubspot_owner_id']);
const OPERATORS = new Set([
  'EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN',
]);

const FIRST = ['Maria', 'Jonas', 'Aiko', 'Liam', 'Noor', 'Pedro', 'Sofia', 'Chen', 'Olga', 'Kwame', 'Emma', 'Ravi', 'Lucia', 'Tomás', 'Ines', 'Yusuf'];
const LAST = ['Garcia', 'Schmidt', 'Tanaka', 'Murphy', 'Haddad', 'Silva', 'Rossi', 'Wang', 'Ivanova', 'Mensah', 'Brown', 'Patel', 'Moreno', 'Novak', 'Costa', 'Kaya'];
const WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne', 'Soylent', 'Wonka', 'Oscorp', 'Aperture', 'Massive', 'Dynamic'];
const SUFFIX = ['Inc', 'GmbH', 'Labs', 'Systems', 'Group', 'Ltd'];
const INDUSTRIES = ['COMPUTER_SOFTWARE', 'FINANCIAL_SERVICES', 'HOSPITAL_HEALTH_CARE', 'RETAIL', 'MARKETING_AND_ADVERTISING', 'HIGHER_EDUCATION', 'TELECOMMUNICATIONS'];
const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'];
const LEAD_STATUS = ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'BAD_TIMING'];
const COUNTRIES = ['United States', 'Germany', 'Japan', 'Brazil', 'India', 'France', 'Kenya'];
const CITIES = ['Boston', 'Berlin', 'Tokyo', 'São Paulo', 'Pune', 'Lyon', 'Nairobi'];
const OWNERS = ['41629779', '52550153', '60891234'];
const BASE_TIME = Date.UTC(2023, 2, 1, 8, 0, 0);

/** Builds the deterministic dataset. Exported so a test can rebuild it independently. */
export function hubspotDataset(options: {
  contacts?: number;
  companies?: number;
  archivedContacts?: number;
  archivedCompanies?: number;
  seed?: number;
} = {}): { contacts: HubSpotObject[]; companies: HubSpotObject[] } {
  const rand = seededRandom(options.seed ?? 1);
  const nCompanies = Math.max(0, options.companies ?? 40);
  const nContacts = Math.max(0, options.contacts ?? 120);
  const companies: HubSpotObject[] = [];
  let id = 9_800_000_000;
  let t = BASE_TIME - 200 * 86400_000;
  const total = nCompanies + Math.max(0, options.archivedCompanies ?? 0);
  for (let i = 0; i < total; i++) {
    id += 1 + Math.floor(rand() * 300);
    t += Math.floor(rand() * 86400_000) + 1;
    const word = pick(rand, WORDS);
    const name = `${word} ${pick(rand, SUFFIX)} ${i + 1}`;
    const domain = `${word.toLowerCase()}${i + 1}.example.com`;
    const modified = t + Math.floor(rand() * 120 * 86400_000);
    const props: Record<string, string> = {
      createdate: new Date(t).toISOString(),
      domain,
      hs_lastmodifieddate: new Date(modified).toISOString(),
      hs_object_id: String(id),
      name,
      website: `https://www.${domain}`,
      industry: pick(rand, INDUSTRIES),
      city: pick(rand, CITIES),
      country: pick(rand, COUNTRIES),
      numberofemployees: String(1 + Math.floor(rand() * 5000)),
      lifecyclestage: pick(rand, STAGES),
    };
    if (rand() < 0.6) props.annualrevenue = String(Math.floor(rand() * 50_000) * 1000);
    if (rand() < 0.5) props.phone = `+1 617 555 ${String(Math.floor(rand() * 10000)).padStart(4, '0')}`;
    if (rand() < 0.7) props.hubspot_owner_id = pick(rand, OWNERS);
    const archived = i >= nCompanies;
    companies.push(finish(id, props, t, modified, archived));
  }
  const liveCompanies = companies.filter((c) => !c.archived);
  const contacts: HubSpotObject[] = [];
  id = 100;
  t = BASE_TIME;
  const totalContacts = nContacts + Math.max(0, options.archivedContacts ?? 0);
  for (let i = 0; i < totalContacts; i++) {
    id += 1 + (rand() < 0.15 ? Math.floor(rand() * 50) : 0);
    t += Math.floor(rand() * 3 * 3600_000) + 1;
    const first = pick(rand, FIRST);
    const last = pick(rand, LAST);
    const modified = t + Math.floor(rand() * 60 * 86400_000);
    const props: Record<string, string> = {
      createdate: new Date(t).toISOString(),
      email: `${first}.${last}.${i + 1}@${rand() < 0.5 ? 'example.com' : 'mail.example.org'}`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
      firstname: first,
      hs_object_id: String(id),
      lastmodifieddate: new Date(modified).toISOString(),
      lastname: last,
      lifecyclestage: pick(rand, STAGES),
      hubspotscore: String(Math.floor(rand() * 100)),
      country: pick(rand, COUNTRIES),
      city: pick(rand, CITIES),
    };
    if (rand() < 0.7) props.phone = `+1 617 555 ${String(Math.floor(rand() * 10000)).padStart(4, '0')}`;
    if (rand() < 0.6) props.jobtitle = pick(rand, ['CEO', 'CTO', 'Engineer', 'Sales Manager', 'Marketing Lead', 'Analyst']);
    if (rand() < 0.5) props.hs_lead_status = pick(rand, LEAD_STATUS);
    if (rand() < 0.7) props.hubspot_owner_id = pick(rand, OWNERS);
    if (liveCompanies.length > 0 && rand() < 0.8) props.company = pick(rand, liveCompanies).properties.name ?? '';
    const archived = i >= nContacts;
    contacts.push(finish(id, props, t, modified, archived));
  }
  return { contacts, companies };

  function finish(oid: number, props: Record<string, string>, created: number, modified: number, archived: boolean): HubSpotObject {
    const o: HubSpotObject = {
      id: String(oid),
      properties: props,
      createdAt: new Date(created).toISOString(),
      updatedAt: new Date(modified).toISOString(),
      archived,
    };
    if (archived) o.archivedAt = new Date(modified + 86400_000).toISOString();
    return o;
  }
}

/** The object as the API serializes it with the chosen property names (sorted; unset ones null). */
function present(o: HubSpotObject, names: string[]): Record<string, unknown> {
  const properties: Record<string, string | null> = {};
  for (const n of [...new Set(names)].sort()) properties[n] = o.properties[n] ?? null;
  const out: Record<string, unknown> = { id: o.id, properties, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: o.archived };
  if (o.archived && o.archivedAt) out.archivedAt = o.archivedAt;
  return out;
}

class ValidationError extends Error {}

interface Filter {
  propertyName: string;
  operator: string;
  value?: unknown;
  highValue?: unknown;
  values?: unknown[];
}

function asMillis(v: string): number {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? NaN : ms;
}

/** Compares a stored value with a filter value: numbers and datetimes numerically, text case-insensitively. */
function compare(prop: string, stored: string, given: unknown): number {
  const g = String(given);
  if (DATETIME.has(prop)) {
    const a = asMillis(stored);
    const b = asMillis(g);
    if (Number.isNaN(b)) throw new ValidationError(`${g} is not a valid datetime value for property ${prop}`);
    return a - b;
  }
  if (NUMBER.has(prop)) {
    const b = Number(g);
    if (Number.isNaN(b)) throw new ValidationError(`${g} is not a valid number for property ${prop}`);
    return Number(stored) - b;
  }
  const a = stored.toLowerCase();
  const b = g.toLowerCase();
  return a < b ? -1 : a > b ? 1 : 0;
}

function tokens(v: string): string[] {
  return v.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

function matches(o: HubSpotObject, f: Filter): boolean {
  const stored = o.properties[f.propertyName];
  const has = stored !== undefined && stored !== '';
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'EQ':
      return has && compare(f.propertyName, stored, f.value) === 0;
    case 'NEQ':
      return !has || compare(f.propertyName, stored, f.value) !== 0;
    case 'LT':
      return has && compare(f.propertyName, stored, f.value) < 0;
    case 'LTE':
      return has && compare(f.propertyName, stored, f.value) <= 0;
    case 'GT':
      return has && compare(f.propertyName, stored, f.value) > 0;
    case 'GTE':
      return has && compare(f.propertyName, stored, f.value) >= 0;
    case 'BETWEEN':
      return has && compare(f.propertyName, stored, f.value) >= 0 && compare(f.propertyName, stored, f.highValue) <= 0;
    case 'IN':
      return has && (f.values ?? []).some((v) => compare(f.propertyName, stored, v) === 0);
    case 'NOT_IN':
      return !has || !(f.values ?? []).some((v) => compare(f.propertyName, stored, v) === 0);
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const want = String(f.value ?? '').toLowerCase();
      let hit = false;
      if (has) {
        if (want.includes('*')) {
          const re = new RegExp(`^${want.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'u');
          hit = re.test(stored.toLowerCase()) || tokens(stored).some((tk) => re.test(tk));
        } else {
          const wanted = tokens(want);
          const have = tokens(stored);
          hit = wanted.length > 0 && wanted.every((w) => have.includes(w));
        }
      }
      return f.operator === 'CONTAINS_TOKEN' ? hit : !hit;
    }
    default:
      return false;
  }
}

function parseFilter(raw: unknown): Filter {
  if (typeof raw !== 'object' || raw === null) throw new ValidationError('Invalid input JSON: a filter must be an object');
  const f = raw as Record<string, unknown>;
  if (typeof f.propertyName !== 'string' || f.propertyName === '') throw new ValidationError('Invalid input JSON: filter is missing propertyName');
  const operator = f.operator === undefined ? 'EQ' : f.operator;
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    throw new ValidationError(`Invalid input JSON: Cannot build FilterOperatorType, unknown operator: ${String(operator)}`);
  }
  const out: Filter = { propertyName: f.propertyName, operator };
  if (f.value !== undefined) out.value = f.value;
  if (f.highValue !== undefined) out.highValue = f.highValue;
  if (f.values !== undefined) {
    if (!Array.isArray(f.values)) throw new ValidationError('Invalid input JSON: values must be an array');
    out.values = f.values;
  }
  const needsValue = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'];
  if (needsValue.includes(operator) && (out.value === undefined || out.value === null)) {
    throw new ValidationError(`Operator ${operator} requires a value`);
  }
  if (operator === 'BETWEEN' && (out.highValue === undefined || out.highValue === null)) {
    throw new ValidationError('Operator BETWEEN requires a highValue');
  }
  if ((operator === 'IN' || operator === 'NOT_IN') && (!out.values || out.values.length === 0)) {
    throw new ValidationError(`Operator ${operator} requires values`);
  }
  return out;
}

function jsonErrorPosition(text: string, err: unknown): { line: number; column: number; reason: string } {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(msg);
  const pos = m ? Number(m[1]) : text.length;
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return { line, column, reason: msg.replace(/ in JSON at position \d+.*$/, '') };
}

/** Starts the HubSpot imitation on 127.0.0.1 (ephemeral port). */
export async function startHubSpot(options: HubSpotOptions = {}): Promise<HubSpotImitation> {
  const accessToken = options.accessToken ?? 'pat-na1-11111111-2222-4333-8444-555555555555';
  const data = hubspotDataset(options);
  const state: Record<HubSpotObjectType, HubSpotObject[]> = { contacts: data.contacts, companies: data.companies };
  const window = {
    max: options.rateLimitMax ?? 100,
    remaining: options.rateLimitMax ?? 100,
    daily: options.dailyLimit ?? 250000,
    dailyRemaining: options.dailyLimit ?? 250000,
  };
  const forced = new Countdown();
  let forcedPolicy: HubSpotPolicy = 'TEN_SECONDLY_ROLLING';
  let forcedRetryAfter: number | undefined = options.retryAfter;
  const correlation = new WeakMap<ServerResponse, string>();
  const cid = (res: ServerResponse): string => correlation.get(res) ?? newId();

  function error(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
    const { message, ...rest } = body;
    sendJson(res, status, { status: 'error', message, correlationId: cid(res), ...rest }, { 'content-type': 'application/json;charset=utf-8', ...headers });
  }

  function rateHeaders(): Record<string, string> {
    const secondly = Math.max(1, Math.floor(window.max / 10));
    return {
      'X-HubSpot-RateLimit-Daily': String(window.daily),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, window.dailyRemaining)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
      'X-HubSpot-RateLimit-Max': String(window.max),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, window.remaining)),
      'X-HubSpot-RateLimit-Secondly': String(secondly),
      'X-HubSpot-RateLimit-Secondly-Remaining': String(Math.max(0, Math.min(secondly, window.remaining))),
    };
  }

  function tooMany(res: ServerResponse, policy: HubSpotPolicy, retryAfter: number | undefined): void {
    const id = cid(res);
    const headers: Record<string, string> = { ...rateHeaders(), 'X-HubSpot-RateLimit-Remaining': '0', 'X-HubSpot-RateLimit-Secondly-Remaining': '0' };
    if (policy === 'DAILY') headers['X-HubSpot-RateLimit-Daily-Remaining'] = '0';
    if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
    sendJson(
      res,
      429,
      {
        status: 'error',
        message: `You have reached your ${policy.toLowerCase()} limit.`,
        errorType: 'RATE_LIMIT',
        correlationId: id,
        policyName: policy,
        requestId: id,
      },
      { 'content-type': 'application/json;charset=utf-8', ...headers },
    );
  }

  function ok(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
    sendJson(res, 200, body, { 'content-type': 'application/json;charset=utf-8', ...headers });
  }

  function propertyList(params: URLSearchParams): string[] | undefined {
    const all = params.getAll('properties');
    if (all.length === 0) return undefined;
    const names = all.flatMap((p) => p.split(',')).map((s) => s.trim()).filter(Boolean);
    return names.length === 0 ? undefined : names;
  }

  function chosen(type: HubSpotObjectType, requested: string[] | undefined): string[] {
    if (!requested) return DEFAULTS[type];
    return [...requested.filter((n) => KNOWN[type].includes(n)), ...ALWAYS[type]];
  }

  function numericId(o: HubSpotObject): number {
    return Number(o.id);
  }

  const server = await startImitation(
    (req, res) => {
      const path = req.parsed.pathname;
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${accessToken}`) {
        error(res, 401, { message: AUTH_MESSAGE, category: 'INVALID_AUTHENTICATION' });
        return;
      }
      if (forced.take()) {
        tooMany(res, forcedPolicy, forcedRetryAfter);
        return;
      }
      if (window.dailyRemaining <= 0) {
        tooMany(res, 'DAILY', options.retryAfter);
        return;
      }
      if (window.remaining <= 0) {
        window.remaining = window.max; // the client is taken to have waited out the window
        tooMany(res, 'TEN_SECONDLY_ROLLING', options.retryAfter);
        return;
      }
      window.remaining -= 1;
      window.dailyRemaining -= 1;

      const m = /^\/crm\/v3\/objects\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path);
      const type = m?.[1];
      if (!m || (type !== 'contacts' && type !== 'companies')) {
        error(res, 404, { message: 'resource not found' }, rateHeaders());
        return;
      }
      let sub: string | undefined;
      try {
        sub = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
      } catch {
        sub = m[2];
      }
      const q = req.parsed.searchParams;

      if (sub === 'search' && req.method === 'POST') {
        search(req.body, String(req.headers['content-type'] ?? ''), type, res);
        return;
      }
      if (req.method !== 'GET') {
        error(res, 405, { message: 'HTTP 405 Method Not Allowed' }, rateHeaders());
        return;
      }
      const archived = q.get('archived') === 'true';
      const properties = propertyList(q);

      if (sub === undefined) {
        // List.
        const rawLimit = Number.parseInt(q.get('limit') ?? '', 10);
        const limit = Number.isFinite(rawLimit) && rawLimit > 0 ? Math.min(rawLimit, 100) : 10;
        const afterRaw = q.get('after');
        let afterId = -Infinity;
        if (afterRaw !== null && afterRaw !== '') {
          if (!/^\d+$/.test(afterRaw)) {
            error(res, 400, { message: `Invalid after: ${afterRaw}`, category: 'VALIDATION_ERROR' }, rateHeaders());
            return;
          }
          afterId = Number(afterRaw);
        }
        const rows = state[type].filter((o) => o.archived === archived && numericId(o) >= afterId).sort((a, b) => numericId(a) - numericId(b));
        const page = rows.slice(0, limit);
        const next = rows[limit];
        const body: Record<string, unknown> = { results: page.map((o) => present(o, chosen(type, properties))) };
        if (next) {
          const params = [...q.entries()].filter(([k]) => k !== 'after');
          params.push(['after', next.id]);
          const qs = new URLSearchParams(params).toString();
          body.paging = { next: { after: next.id, link: `${server.url}${path}?${qs}` } };
        }
        ok(res, body, rateHeaders());
        return;
      }

      // Get one.
      const idProperty = q.get('idProperty');
      let found: HubSpotObject | undefined;
      if (idProperty && idProperty !== 'hs_object_id') {
        if (!(type === 'contacts' && idProperty === 'email')) {
          error(res, 400, { message: `Property ${idProperty} is not a unique identifier property`, category: 'VALIDATION_ERROR' }, rateHeaders());
          return;
        }
        found = state[type].find((o) => o.archived === archived && (o.properties.email ?? '').toLowerCase() === sub.toLowerCase());
      } else {
        found = state[type].find((o) => o.id === sub && o.archived === archived);
      }
      if (!found) {
        error(res, 404, { message: NOT_FOUND_MESSAGE, context: { id: [sub] }, category: 'OBJECT_NOT_FOUND' }, rateHeaders());
        return;
      }
      ok(res, present(found, chosen(type, properties)), rateHeaders());
    },
    {
      onRequest: (_req, res) => {
        const id = newId();
        correlation.set(res, id);
        res.setHeader('X-HubSpot-Correlation-Id', id);
        res.setHeader('X-Request-Id', id);
        res.setHeader('Vary', 'origin, Accept-Encoding');
      },
    },
  );

  function search(text: string, contentType: string, type: HubSpotObjectType, res: ServerResponse): void {
    if (!/^application\/json\b/i.test(contentType.trim())) {
      error(res, 415, { message: 'HTTP 415 Unsupported Media Type' });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      const { line, column, reason } = jsonErrorPosition(text, err);
      error(res, 400, { message: `Invalid input JSON on line ${line}, column ${column}: ${reason}`, category: 'VALIDATION_ERROR' });
      return;
    }
    try {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('Invalid input JSON: expected an object');
      const b = body as Record<string, unknown>;
      // limit
      let limit = 10;
      if (b.limit !== undefined && b.limit !== null) {
        const n = Number(b.limit);
        if (!Number.isInteger(n) || n < 0) throw new ValidationError(`Invalid input JSON: limit must be an integer: ${String(b.limit)}`);
        if (n > 200) throw new ValidationError(`limit must be less than or equal to 200; got ${n}`);
        limit = n === 0 ? 10 : n;
      }
      let after = 0;
      if (b.after !== undefined && b.after !== null && b.after !== '') {
        const n = Number(b.after);
        if (!Number.isInteger(n) || n < 0) throw new ValidationError(`Invalid input JSON: after must be a non-negative integer: ${String(b.after)}`);
        after = n;
      }
      if (after + limit > 10000) {
        throw new ValidationError(`The search API can return at most 10000 results; after (${after}) plus limit (${limit}) exceeds it`);
      }
      // filters
      const groupsRaw = b.filterGroups ?? [];
      if (!Array.isArray(groupsRaw)) throw new ValidationError('Invalid input JSON: filterGroups must be an array');
      const groups: Filter[][] = groupsRaw.map((g) => {
        const fs = (g as { filters?: unknown } | null)?.filters ?? [];
        if (!Array.isArray(fs)) throw new ValidationError('Invalid input JSON: filters must be an array');
        return fs.map(parseFilter);
      });
      if (Array.isArray(b.filters) && b.filters.length > 0) groups.push(b.filters.map(parseFilter));
      if (groups.length > 5) throw new ValidationError(`Too many filter groups: ${groups.length}. The maximum is 5.`);
      for (const g of groups) if (g.length > 6) throw new ValidationError(`Too many filters in a filter group: ${g.length}. The maximum is 6.`);
      const totalFilters = groups.reduce((n, g) => n + g.length, 0);
      if (totalFilters > 18) throw new ValidationError(`Too many filters: ${totalFilters}. The maximum is 18.`);
      // properties
      let properties: string[] | undefined;
      if (b.properties !== undefined && b.properties !== null) {
        if (!Array.isArray(b.properties) || b.properties.some((p) => typeof p !== 'string')) {
          throw new ValidationError('Invalid input JSON: properties must be an array of strings');
        }
        properties = (b.properties as string[]).length > 0 ? (b.properties as string[]) : undefined;
      }
      // sorts
      let sort: { propertyName: string; desc: boolean } | undefined;
      if (Array.isArray(b.sorts) && b.sorts.length > 0) {
        const s = b.sorts[0] as unknown;
        if (typeof s === 'string') sort = { propertyName: s.replace(/^-/, ''), desc: s.startsWith('-') };
        else if (typeof s === 'object' && s !== null && typeof (s as { propertyName?: unknown }).propertyName === 'string') {
          const dir = String((s as { direction?: unknown }).direction ?? 'ASCENDING').toUpperCase();
          if (dir !== 'ASCENDING' && dir !== 'DESCENDING') throw new ValidationError(`Invalid input JSON: unknown sort direction ${dir}`);
          sort = { propertyName: (s as { propertyName: string }).propertyName, desc: dir === 'DESCENDING' };
        } else throw new ValidationError('Invalid input JSON: a sort must name a propertyName');
      }
      const query = typeof b.query === 'string' ? b.query.trim().toLowerCase() : '';

      let rows = state[type].filter((o) => !o.archived);
      if (groups.length > 0) rows = rows.filter((o) => groups.some((g) => g.every((f) => matches(o, f))));
      if (query) rows = rows.filter((o) => QUERYABLE[type].some((p) => (o.properties[p] ?? '').toLowerCase().includes(query)));
      rows = [...rows].sort((x, y) => numericId(x) - numericId(y));
      if (sort) {
        const { propertyName, desc } = sort;
        rows.sort((x, y) => {
          const a = x.properties[propertyName];
          const c = y.properties[propertyName];
          let r = 0;
          if (a === undefined && c === undefined) r = 0;
          else if (a === undefined) r = 1;
          else if (c === undefined) r = -1;
          else r = compare(propertyName, a, c);
          if (r === 0) return numericId(x) - numericId(y);
          return desc ? -r : r;
        });
      }
      const page = rows.slice(after, after + limit);
      const out: Record<string, unknown> = { total: rows.length, results: page.map((o) => present(o, chosen(type, properties))) };
      if (after + limit < rows.length) out.paging = { next: { after: String(after + limit) } };
      ok(res, out);
    } catch (err) {
      if (err instanceof ValidationError) {
        error(res, 400, { message: err.message, category: 'VALIDATION_ERROR' });
        return;
      }
      throw err;
    }
  }

  return {
    ...server,
    accessToken,
    get contacts() {
      return state.contacts;
    },
    set contacts(v: HubSpotObject[]) {
      state.contacts = v;
    },
    get companies() {
      return state.companies;
    },
    set companies(v: HubSpotObject[]) {
      state.companies = v;
    },
    bearerAuth: `Bearer ${accessToken}`,
    window,
    rateLimitNext(n, opts = {}) {
      forced.set(n);
      forcedPolicy = opts.policy ?? 'TEN_SECONDLY_ROLLING';
      forcedRetryAfter = opts.retryAfter ?? options.retryAfter;
    },
    defaultProperties(type) {
      return [...DEFAULTS[type]];
    },
  };
}
