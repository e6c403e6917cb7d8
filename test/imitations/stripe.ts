// An imitation of the Stripe API (v1), served over real HTTP on 127.0.0.1, for tests of the connector
// engine. Written from Stripe's public API reference: HTTP Basic / Bearer authentication with the
// secret key, list envelopes with cursor pagination (limit, starting_after, ending_before, has_more),
// the error envelope ({error: {code, doc_url, message, param, request_log_url, type}}), `Request-Id`
// and `Stripe-Version` headers, 429 rate-limit errors, `expand[]`.
//
// What it serves (GET only; anything else answers Stripe's 404 "Unrecognized request URL"):
//   /v1/customers          list; filters: email (exact, case-sensitive), created (=, [gt] [gte] [lt] [lte])
//   /v1/customers/{id}     retrieve
//   /v1/charges            list; filters: customer, created, payment_intent, transfer_group;
//                          expand[]=data.customer
//   /v1/charges/{id}       retrieve; expand[]=customer
// Lists are newest first (created desc; equal `created` values keep a fixed internal order, and cursors
// work through such ties as on Stripe). Unknown query parameters are rejected as Stripe does (400
// parameter_unknown).
import type { ServerResponse } from 'node:http';
import {
  Countdown,
  pick,
  seededRandom,
  sendRaw,
  startImitation,
  type Fault,
  type ImitationRequest,
  type RecordedRequest,
} from './common.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface StripeOptions {
  /** The secret key accepted (e.g. `sk_test_...`). `livemode` of the objects follows its prefix. */
  secretKey: string;
  customers?: number;
  charges?: number;
  seed?: number;
  /** The account's default API version, sent back in `Stripe-Version` unless the request names one. */
  apiVersion?: string;
  /** Clock in epoch milliseconds (only for `request_log_url`'s `t=`). Default `Date.now`. */
  clock?: () => number;
}

export interface StripeCustomer extends JsonObject {
  id: string;
  object: 'customer';
  created: number;
  email: string | null;
  name: string | null;
}

export interface StripeCharge extends JsonObject {
  id: string;
  object: 'charge';
  amount: number;
  created: number;
  currency: string;
  customer: string | null;
  status: string;
}

export interface StripeData {
  /** Newest first, exactly the order GET /v1/customers pages through. */
  customers: StripeCustomer[];
  /** Newest first, exactly the order GET /v1/charges pages through. */
  charges: StripeCharge[];
}

export interface StripeErrorBody {
  error: { code?: string; doc_url?: string; message: string; param?: string; request_log_url?: string; type: string };
}

export interface RateLimitOptions {
  /** 'rate_limit' (default: too many requests) or 'lock_timeout' (an object is locked by another request). */
  code?: 'rate_limit' | 'lock_timeout';
  /** Value of `Stripe-Should-Retry`; default: 'true' for lock_timeout, none for rate_limit. */
  shouldRetry?: boolean | null;
  /** Extra headers on the 429 (e.g. a `Retry-After` or `Stripe-Rate-Limited-Reason` to try). */
  headers?: Record<string, string>;
}

export interface StripeImitation {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
  data: StripeData;
  secretKey: string;
  /** Pending one-shot faults (common.ts); these still carry `Request-Id` and `Stripe-Version`. */
  faults: Fault[];
  /** Queue a one-shot fault; a JSON body gets Stripe's `content-type: application/json` unless given. */
  failNext(fault: Fault): void;
  /** The next `n` authenticated requests answer 429 as Stripe does. */
  rateLimitNext(n?: number, options?: RateLimitOptions): void;
  /** The customer list as filtered by `email` / `created` (all pages, in order). */
  expectedCustomers(filter?: { email?: string; created?: CreatedFilter }): StripeCustomer[];
  expectedCharges(filter?: { customer?: string; created?: CreatedFilter }): StripeCharge[];
}

export interface CreatedFilter {
  eq?: number;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/**
 * How Stripe echoes a key it does not know: a recognised prefix (sk_/pk_/rk_ + test_/live_) kept,
 * every other character but the last four replaced by `*` (length preserved), e.g.
 * `sk_test_********************1234`.
 */
export function maskStripeKey(key: string): string {
  const prefix = /^(?:sk|pk|rk)_(?:test|live)_/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  if (rest.length <= 4) return prefix + rest;
  return prefix + '*'.repeat(rest.length - 4) + rest.slice(-4);
}

export const NO_API_KEY_MESSAGE =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";
export const RATE_LIMIT_MESSAGE = 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.';
export const LOCK_TIMEOUT_MESSAGE =
  'This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request. If you see this error frequently and are making multiple concurrent requests to a single object, make your requests serially or at a lower rate. See https://stripe.com/docs/rate-limits for more information.';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Ken', 'Radia', 'Tim', 'Zoë', 'José', 'Håkon'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'McCarthy', 'Hamilton', 'Thompson', 'Perlman', "O'Neil", 'Müller', 'García'];
const BRANDS = ['visa', 'mastercard', 'amex', 'discover'];
const DECLINES: [string, string, string][] = [
  ['card_declined', 'Your card was declined.', 'generic_decline'],
  ['card_declined', 'Your card has insufficient funds.', 'insufficient_funds'],
  ['expired_card', 'Your card has expired.', 'expired_card'],
  ['incorrect_cvc', "Your card's security code is incorrect.", 'incorrect_cvc'],
];

function randomId(rand: () => number, prefix: string, length: number, taken: Set<string>): string {
  for (;;) {
    let s = prefix;
    for (let i = 0; i < length; i++) s += ALNUM[Math.floor(rand() * ALNUM.length)];
    if (!taken.has(s)) {
      taken.add(s);
      return s;
    }
  }
}

function buildData(customerCount: number, chargeCount: number, seed: number, livemode: boolean): StripeData {
  const rand = seededRandom(seed * 104_729 + 3);
  const taken = new Set<string>();
  // Customers, oldest first while building; about one in ten shares its `created` with the previous one.
  const customers: StripeCustomer[] = [];
  let t = 1_700_000_000;
  for (let i = 0; i < customerCount; i++) {
    if (i === 0 || rand() >= 0.1) t += 1 + Math.floor(rand() * 7200);
    const first = pick(rand, FIRST);
    const last = pick(rand, LAST);
    const hasEmail = rand() >= 0.05;
    // every 40th customer reuses an earlier customer's email (Stripe does not make emails unique)
    const reuse = i > 0 && i % 40 === 0 ? customers[Math.floor(rand() * customers.length)]!.email : undefined;
    const email = reuse !== undefined ? reuse : hasEmail ? `${first}.${last}.${i}@example.com`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9.@]/g, '') : null;
    const id = randomId(rand, 'cus_', 14, taken);
    customers.push({
      id,
      object: 'customer',
      address: null,
      balance: 0,
      created: t,
      currency: rand() < 0.7 ? 'usd' : null,
      default_source: null,
      delinquent: false,
      description: rand() < 0.2 ? `Imported customer #${i}` : null,
      discount: null,
      email,
      invoice_prefix: id.slice(4, 12).toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode,
      metadata: rand() < 0.3 ? { account_id: String(10_000 + i) } : {},
      name: rand() < 0.9 ? `${first} ${last}` : null,
      next_invoice_sequence: 1 + Math.floor(rand() * 5),
      phone: rand() < 0.3 ? `+1415555${String(1000 + i).slice(-4)}` : null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    });
  }

  const charges: StripeCharge[] = [];
  t = 1_700_000_000 + 3600;
  for (let i = 0; i < chargeCount; i++) {
    if (i === 0 || rand() >= 0.1) t += 1 + Math.floor(rand() * 3600);
    const customer = customers.length > 0 && rand() < 0.9 ? pick(rand, customers) : null;
    const amount = 50 + Math.floor(rand() * 99_950);
    const currency = pick(rand, ['usd', 'usd', 'usd', 'eur', 'gbp']);
    const roll = rand();
    const status = roll < 0.85 ? 'succeeded' : roll < 0.95 ? 'failed' : 'pending';
    const decline = status === 'failed' ? pick(rand, DECLINES) : undefined;
    const refundedAmount = status === 'succeeded' && rand() < 0.1 ? (rand() < 0.5 ? amount : Math.floor(amount / 2)) : 0;
    const id = randomId(rand, 'ch_3', 23, taken);
    const pi = randomId(rand, 'pi_3', 23, taken);
    const pm = randomId(rand, 'pm_1', 23, taken);
    const brand = pick(rand, BRANDS);
    const last4 = String(1000 + Math.floor(rand() * 9000));
    const name = customer?.name ?? null;
    charges.push({
      id,
      object: 'charge',
      amount,
      amount_captured: status === 'succeeded' ? amount : 0,
      amount_refunded: refundedAmount,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: status === 'succeeded' ? randomId(rand, 'txn_3', 23, taken) : null,
      billing_details: {
        address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
        email: customer?.email ?? null,
        name,
        phone: null,
      },
      calculated_statement_descriptor: 'IMITATION',
      captured: status === 'succeeded',
      created: t,
      currency,
      customer: customer?.id ?? null,
      description: rand() < 0.5 ? `Invoice ${1000 + i}` : null,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: decline ? decline[0] : null,
      failure_message: decline ? decline[1] : null,
      fraud_details: {},
      invoice: null,
      livemode,
      metadata: rand() < 0.2 ? { order_id: `ord_${i}` } : {},
      on_behalf_of: null,
      outcome:
        status === 'pending'
          ? null
          : {
              network_status: decline ? 'declined_by_network' : 'approved_by_network',
              reason: decline ? decline[2] : null,
              risk_level: 'normal',
              risk_score: Math.floor(rand() * 60),
              seller_message: decline ? 'The bank did not return any further details with this decline.' : 'Payment complete.',
              type: decline ? 'issuer_declined' : 'authorized',
            },
      paid: status === 'succeeded',
      payment_intent: pi,
      payment_method: pm,
      payment_method_details: {
        card: {
          brand,
          checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
          country: 'US',
          exp_month: 1 + Math.floor(rand() * 12),
          exp_year: 2026 + Math.floor(rand() * 5),
          fingerprint: randomId(rand, '', 16, taken),
          funding: 'credit',
          last4,
          network: brand,
        },
        type: 'card',
      },
      receipt_email: null,
      receipt_number: null,
      receipt_url: status === 'succeeded' ? `https://pay.stripe.com/receipts/payment/${id.slice(3)}` : null,
      refunded: refundedAmount === amount && amount > 0 && refundedAmount > 0,
      review: null,
      shipping: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status,
      transfer_data: null,
      transfer_group: rand() < 0.1 ? `group_${Math.floor(i / 10)}` : null,
    });
  }
  // Newest first; among equal `created`, the later-made object first.
  return { customers: customers.reverse(), charges: charges.reverse() };
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

interface ParsedQuery {
  single: Map<string, string>;
  expand: string[];
  /** created filter, by operator. */
  created: Map<string, string>;
  unknown?: string;
  indexError?: string;
}

function parseQuery(params: URLSearchParams, allowed: Set<string>): ParsedQuery {
  const out: ParsedQuery = { single: new Map(), expand: [], created: new Map() };
  const expandIndexed: [number, string][] = [];
  for (const [key, value] of params) {
    let m: RegExpExecArray | null;
    if (key === 'expand[]') out.expand.push(value);
    else if ((m = /^expand\[(\d+)\]$/.exec(key))) expandIndexed.push([Number(m[1]), value]);
    else if (key === 'created' && allowed.has('created')) out.created.set('eq', value);
    else if ((m = /^created\[(gt|gte|lt|lte)\]$/.exec(key)) && allowed.has('created')) out.created.set(m[1]!, value);
    else if (allowed.has(key)) out.single.set(key, value);
    else out.unknown ??= key;
  }
  expandIndexed.sort((a, b) => a[0] - b[0]);
  expandIndexed.forEach(([i], n) => {
    if (i !== n && out.indexError === undefined) {
      out.indexError = `If passing an array with explicit keys (e.g. foo[0]=a&foo[1]=b) instead of as an array (e.g. foo[]=a&foo[]=b), the keys must be numeric and sequential starting from 0. You passed the keys \`${expandIndexed.map(([k]) => k).join(', ')}\`, we expected to have a key with the value \`${n}\`.`;
    }
  });
  out.expand.push(...expandIndexed.map(([, v]) => v));
  return out;
}

function matchesCreated(created: number, f: CreatedFilter): boolean {
  return (
    (f.eq === undefined || created === f.eq) &&
    (f.gt === undefined || created > f.gt) &&
    (f.gte === undefined || created >= f.gte) &&
    (f.lt === undefined || created < f.lt) &&
    (f.lte === undefined || created <= f.lte)
  );
}

export async function startStripe(options: StripeOptions): Promise<StripeImitation> {
  const clock = options.clock ?? Date.now;
  const apiVersion = options.apiVersion ?? '2024-06-20';
  const livemode = options.secretKey.startsWith('sk_live_') || options.secretKey.startsWith('rk_live_');
  const data = buildData(options.customers ?? 25, options.charges ?? 40, options.seed ?? 1, livemode);
  const customerIndex = new Map(data.customers.map((c, i) => [c.id, i]));
  const chargeIndex = new Map(data.charges.map((c, i) => [c.id, i]));
  const requestIds = new WeakMap<object, string>();
  const idRand = seededRandom((options.seed ?? 1) * 17 + 11);
  const takenIds = new Set<string>();
  const rateLimited = new Countdown();
  let rateLimitOptions: RateLimitOptions = {};

  const onRequest = (req: ImitationRequest, res: ServerResponse): void => {
    const requestId = randomId(idRand, 'req_', 14, takenIds);
    requestIds.set(req.raw, requestId);
    res.setHeader('content-type', 'application/json');
    res.setHeader('request-id', requestId);
    const asked = req.headers['stripe-version'];
    res.setHeader('stripe-version', typeof asked === 'string' && asked !== '' ? asked : apiVersion);
    res.setHeader('cache-control', 'no-cache, no-store');
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-expose-headers', 'Request-Id, Stripe-Manage-Version, Stripe-Should-Retry, X-Stripe-External-Auth-Required, X-Stripe-Privileged-Session-Required');
    res.setHeader('access-control-max-age', '300');
    res.setHeader('strict-transport-security', 'max-age=63072000; includeSubDomains; preload');
  };

  const logUrl = (requestId: string): string =>
    `https://dashboard.stripe.com/${livemode ? '' : 'test/'}logs/${requestId}?t=${Math.floor(clock() / 1000)}`;

  /** Stripe's error envelope, keys in Stripe's (alphabetical) order. */
  const err = (
    status: number,
    requestId: string,
    fields: { code?: string; message: string; param?: string; type?: string; log?: boolean },
    headers?: Record<string, string>,
  ): Reply => {
    const e: Record<string, string> = {};
    if (fields.code) {
      e.code = fields.code;
      e.doc_url = `https://stripe.com/docs/error-codes/${fields.code.replace(/_/g, '-')}`;
    }
    e.message = fields.message;
    if (fields.param !== undefined) e.param = fields.param;
    if (fields.log !== false) e.request_log_url = logUrl(requestId);
    e.type = fields.type ?? 'invalid_request_error';
    return { status, body: { error: e }, ...(headers ? { headers } : {}) };
  };

  const keyOf = (header: string | undefined): string | undefined => {
    if (header === undefined) return undefined;
    const basic = /^basic\s+(\S+)\s*$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
      return user === '' ? undefined : user;
    }
    const bearer = /^bearer\s+(.*?)\s*$/i.exec(header);
    if (bearer) return bearer[1] === '' ? undefined : bearer[1];
    return undefined;
  };

  const intParam = (requestId: string, name: string, value: string): number | Reply => {
    if (!/^-?\d+$/.test(value.trim())) return err(400, requestId, { code: 'parameter_invalid_integer', message: `Invalid integer: ${value}`, param: name });
    return Number(value.trim());
  };

  const createdFilter = (requestId: string, q: ParsedQuery): CreatedFilter | Reply => {
    const f: CreatedFilter = {};
    for (const [op, value] of q.created) {
      const n = intParam(requestId, op === 'eq' ? 'created' : `created[${op}]`, value);
      if (typeof n !== 'number') return n;
      f[op as keyof CreatedFilter] = n;
    }
    return f;
  };

  const expandCharge = (charge: StripeCharge, expandCustomer: boolean): JsonObject => {
    if (charge.customer === null || !expandCustomer) return charge;
    const c = data.customers[customerIndex.get(charge.customer) ?? -1];
    return { ...charge, customer: c ?? charge.customer };
  };

  /** Cursor pagination over `all` (the full order); `keep` filters; the cursor is positioned in the full order. */
  const list = <T extends { id: string }>(
    requestId: string,
    q: ParsedQuery,
    all: T[],
    index: Map<string, number>,
    noun: string,
    url: string,
    keep: (x: T) => boolean,
    render: (x: T) => unknown,
  ): Reply => {
    let limit = 10;
    const rawLimit = q.single.get('limit');
    if (rawLimit !== undefined) {
      const n = intParam(requestId, 'limit', rawLimit);
      if (typeof n !== 'number') return n;
      if (n < 1) return err(400, requestId, { code: 'parameter_invalid_integer', message: 'This value must be greater than or equal to 1.', param: 'limit' });
      if (n > 100) return err(400, requestId, { code: 'parameter_invalid_integer', message: 'This value must be less than or equal to 100.', param: 'limit' });
      limit = n;
    }
    const after = q.single.get('starting_after');
    const before = q.single.get('ending_before');
    if (after !== undefined && before !== undefined) {
      return err(400, requestId, { message: 'You may only specify one of these parameters: ending_before, starting_after.' });
    }
    const cursor = after ?? before;
    const param = after !== undefined ? 'starting_after' : 'ending_before';
    let pos: number | undefined;
    if (cursor !== undefined) {
      pos = index.get(cursor);
      if (pos === undefined) return err(400, requestId, { code: 'resource_missing', message: `No such ${noun}: '${cursor}'`, param });
    }
    let page: T[];
    let hasMore: boolean;
    if (before !== undefined && pos !== undefined) {
      const candidates = all.slice(0, pos).filter(keep);
      page = candidates.slice(Math.max(0, candidates.length - limit));
      hasMore = candidates.length > limit;
    } else {
      const candidates = all.slice(pos === undefined ? 0 : pos + 1).filter(keep);
      page = candidates.slice(0, limit);
      hasMore = candidates.length > limit;
    }
    return { status: 200, body: { object: 'list', data: page.map(render), has_more: hasMore, url } };
  };

  const unknownExpansion = (requestId: string, path: string): Reply =>
    err(400, requestId, { message: `This property cannot be expanded (${path}).`, param: 'expand' });

  const route = (req: ImitationRequest, requestId: string): Reply => {
    const path = req.parsed.pathname;
    const unrecognized = (): Reply =>
      err(404, requestId, {
        message: `Unrecognized request URL (${req.method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        log: false,
      });
    if (req.method !== 'GET') return unrecognized();
    const m = /^\/v1\/(customers|charges)(?:\/([^/]+))?\/?$/.exec(path);
    if (!m) return unrecognized();
    const resource = m[1]!;
    const id = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const allowed =
      id !== undefined
        ? new Set<string>()
        : resource === 'customers'
          ? new Set(['limit', 'starting_after', 'ending_before', 'email', 'created', 'test_clock'])
          : new Set(['limit', 'starting_after', 'ending_before', 'customer', 'created', 'payment_intent', 'transfer_group']);
    const q = parseQuery(req.parsed.searchParams, allowed);
    if (q.unknown !== undefined) {
      return err(400, requestId, { code: 'parameter_unknown', message: `Received unknown parameter: ${q.unknown}`, param: q.unknown });
    }
    if (q.indexError !== undefined) return err(400, requestId, { message: q.indexError, param: 'expand' });

    if (resource === 'customers') {
      const expandable = id === undefined ? ['data.default_source', 'data.test_clock'] : ['default_source', 'test_clock'];
      const bad = q.expand.find((e) => !expandable.includes(e));
      if (bad !== undefined) return unknownExpansion(requestId, bad);
      if (id !== undefined) {
        const i = customerIndex.get(id);
        return i === undefined
          ? err(404, requestId, { code: 'resource_missing', message: `No such customer: '${id}'`, param: 'id' })
          : { status: 200, body: data.customers[i] };
      }
      const created = createdFilter(requestId, q);
      if ('status' in created) return created;
      const email = q.single.get('email');
      return list(requestId, q, data.customers, customerIndex, 'customer', '/v1/customers', (c) => (email === undefined || c.email === email) && matchesCreated(c.created, created), (c) => c);
    }

    const expandable = id === undefined ? ['data.customer'] : ['customer'];
    const bad = q.expand.find((e) => !expandable.includes(e));
    if (bad !== undefined) return unknownExpansion(requestId, bad);
    const expandCustomer = q.expand.length > 0;
    if (id !== undefined) {
      const i = chargeIndex.get(id);
      return i === undefined
        ? err(404, requestId, { code: 'resource_missing', message: `No such charge: '${id}'`, param: 'id' })
        : { status: 200, body: expandCharge(data.charges[i]!, expandCustomer) };
    }
    const created = createdFilter(requestId, q);
    if ('status' in created) return created;
    const customer = q.single.get('customer');
    const pi = q.single.get('payment_intent');
    const group = q.single.get('transfer_group');
    return list(
      requestId,
      q,
      data.charges,
      chargeIndex,
      'charge',
      '/v1/charges',
      (c) =>
        (customer === undefined || c.customer === customer) &&
        (pi === undefined || c.payment_intent === pi) &&
        (group === undefined || c.transfer_group === group) &&
        matchesCreated(c.created, created),
      (c) => expandCharge(c, expandCustomer),
    );
  };

  const handler = (req: ImitationRequest, res: ServerResponse): void => {
    const requestId = requestIds.get(req.raw) ?? 'req_unknown';
    const send = (r: Reply): void => sendRaw(res, r.status, JSON.stringify(r.body, null, 2), r.headers ?? {});
    const key = keyOf(req.headers.authorization);
    if (key === undefined) {
      return send(err(401, requestId, { message: NO_API_KEY_MESSAGE, log: false }, { 'www-authenticate': 'Basic realm="Stripe"' }));
    }
    if (key !== options.secretKey) {
      return send(err(401, requestId, { message: `Invalid API Key provided: ${maskStripeKey(key)}`, log: false }, { 'www-authenticate': 'Basic realm="Stripe"' }));
    }
    if (rateLimited.take()) {
      const code = rateLimitOptions.code ?? 'rate_limit';
      const shouldRetry = rateLimitOptions.shouldRetry === undefined ? (code === 'lock_timeout' ? true : null) : rateLimitOptions.shouldRetry;
      const headers: Record<string, string> = { ...(shouldRetry === null ? {} : { 'stripe-should-retry': String(shouldRetry) }), ...rateLimitOptions.headers };
      return send(err(429, requestId, { code, message: code === 'rate_limit' ? RATE_LIMIT_MESSAGE : LOCK_TIMEOUT_MESSAGE, log: false }, headers));
    }
    send(route(req, requestId));
  };

  const server = await startImitation(handler, { onRequest });

  return {
    url: server.url,
    requests: server.requests,
    close: server.close,
    data,
    secretKey: options.secretKey,
    faults: server.faults,
    failNext(fault) {
      if ('status' in fault && fault.body !== undefined && typeof fault.body !== 'string' && !Object.keys(fault.headers ?? {}).some((k) => k.toLowerCase() === 'content-type')) {
        server.failNext({ ...fault, headers: { 'content-type': 'application/json', ...fault.headers } });
      } else server.failNext(fault);
    },
    rateLimitNext(n = 1, opts: RateLimitOptions = {}) {
      rateLimitOptions = opts;
      rateLimited.set(n);
    },
    expectedCustomers: (f = {}) => data.customers.filter((c) => (f.email === undefined || c.email === f.email) && matchesCreated(c.created, f.created ?? {})),
    expectedCharges: (f = {}) => data.charges.filter((c) => (f.customer === undefined || c.customer === f.customer) && matchesCreated(c.created, f.created ?? {})),
  };
}
