import { randomUUID } from 'node:crypto';
import type { ConnectedAuth } from './auth/connect.js';
import type { AuthDecoration } from './auth/session.js';
import { PaginationError } from './errors.js';
import type { FetchedPage, Lookahead } from './pagination/driver.js';
import type { ConnectorPlan, OperationPlan } from './plan/compile.js';
import type { Redactor } from './redact.js';
import { buildRequest, type BuiltRequest } from './request/build.js';
import { shortJson } from './request/params.js';
import type { RecordInspector } from './response/decode.js';
import type { RecordChecks } from './response/drift.js';
import { exchange, type ExchangeContext } from './transport/exchange.js';
import { withSecretQuery } from './transport/send.js';
import type { RetryPolicy } from './transport/retry.js';

type Rec = Record<string, unknown>;
export type Fetched = FetchedPage<Rec> | { record: Rec | null };

/** What one runtime brings to every call: where, as whom, and how. */
export interface Connection {
  plan: ConnectorPlan;
  origin: string;
  basePath: string;
  /** Base headers, the fixed auth decoration included. */
  headers: Record<string, string>;
  auth: ConnectedAuth;
  exchange: ExchangeContext;
  redact: Redactor;
  checks: RecordChecks | undefined;
}

export interface CallSettings {
  retry: RetryPolicy;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  lookahead: Lookahead | undefined;
}

/** One request of the call (and its retries), as auth decorates it. */
function attempt(c: Connection, op: OperationPlan, built: BuiltRequest, headers: Record<string, string>, auth: AuthDecoration, o: CallSettings, onText: ((text: string) => boolean) | undefined, replayable: boolean) {
  return exchange(
    c.exchange,
    {
      origin: c.origin,
      path: built.path,
      method: op.method,
      headers: auth === c.auth.fixed ? headers : { ...headers, ...auth.headers },
      body: built.body,
      secretQuery: auth.secretQuery,
      signal: o.signal,
      timeoutMs: o.timeoutMs,
      operation: op.name,
    },
    o.retry,
    replayable,
    onText,
  );
}

/** Hands a cursor read from a page's raw text to whoever waits for the next page. */
function guessNext(peek: (text: string) => string | undefined, lookahead: Lookahead): (text: string) => boolean {
  return (text) => {
    if (!lookahead.wanted()) return false;
    const guess = peek(text);
    return guess !== undefined && lookahead.take(guess);
  };
}

/** What a call would send: for `--dry-run`, reviews and tests of a write. */
export interface RequestPreview {
  operation: string;
  method: string;
  url: string;
  /** Secrets show as `[redacted]`; a header the transport fills per call says so. */
  headers: Record<string, string>;
  /** The parsed JSON body, the form text, or null when there is none. */
  body: unknown;
}

/**
 * The first request of a call, built exactly as `callOperation` builds it (params checked,
 * page token, fixed values, auth), and sent nowhere. An OAuth2 token is not fetched for it.
 */
export function previewOperation(c: Connection, op: OperationPlan, rawParams: unknown): RequestPreview {
  const { built, headers: base } = prepare(c, op, rawParams);
  const headers: Record<string, string> = { ...base };
  if (op.idempotencyKey) headers[op.idempotencyKey] = '<a new UUID per call, reused by its retries>';
  const method = c.auth.session.method;
  if (!c.auth.fixed && method.type === 'oauth2') headers[(method.header ?? 'authorization').toLowerCase()] = `${method.prefix ?? 'Bearer '}<OAuth2 access token, fetched when sent>`;
  const path = withSecretQuery(built.path, c.auth.fixed?.secretQuery);
  let body: unknown = null;
  if (built.body !== undefined) {
    const text = c.redact(built.body);
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return {
    operation: op.name,
    method: op.method,
    url: c.redact(`${c.origin}${path}`),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, c.redact(v)])),
    body,
  };
}

/** The request of a call from its params: checked, with the page token and fixed values, before auth. */
function prepare(c: Connection, op: OperationPlan, rawParams: unknown) {
  const params = op.validate(rawParams);
  const page = op.pagination?.request(params);
  const built = buildRequest(op.request, page?.params ?? params, c.basePath, page);
  return { params, page, built, headers: built.headers ? { ...c.headers, ...built.headers } : c.headers };
}

/**
 * One call of an operation, as the data flows: params → request (with the page token) →
 * auth → transport (retries, pacing) → typed error or decoded records → the next cursor.
 */
export async function callOperation(c: Connection, op: OperationPlan, rawParams: unknown, o: CallSettings): Promise<Fetched> {
  const { params, page, built, headers: prepared } = prepare(c, op, rawParams);
  let headers = prepared;
  // One key per call, reused by its retries: the API applies the write once.
  if (op.idempotencyKey) headers = { ...headers, [op.idempotencyKey]: randomUUID() };
  const peek = o.lookahead && op.pagination?.peek;
  const onText = peek ? guessNext(peek, o.lookahead!) : undefined;
  const fixed = c.auth.fixed;
  const auth = fixed ?? (await c.auth.session.decorate());
  // A request the API answers only once (a scroll) is, like a write, never sent twice.
  const replayable = op.replayable && !page?.once;
  let res = await attempt(c, op, built, headers, auth, o, onText, replayable);
  // An OAuth2 token may have expired early: one fresh token, one more try.
  if (res.status === 401 && !fixed && (await c.auth.session.renew(auth))) res = await attempt(c, op, built, headers, await c.auth.session.decorate(), o, onText, replayable);

  const kind = res.status >= 300 || c.plan.rulesOn2xx ? (res.class ?? c.plan.classify(res.status, res.headers, res.body)) : undefined;
  if (kind !== undefined || res.status >= 300) {
    // What was not found, as the caller named it: short enough for a message whatever they sent.
    const target = op.pathParams.length ? op.pathParams.map((p) => `${p} ${shortJson(params[p])}`).join(', ') : undefined;
    const err = c.plan.httpError(res.status, res.body, res.headers, { operation: op.name, method: op.method, url: built.path, credential: c.auth.words, target, advice: page?.advice }, c.redact, kind);
    err.attempts = res.attempts;
    throw err;
  }

  const checks = c.checks;
  const inspect: RecordInspector | undefined = checks && ((record, which, status) => checks(op, record, which, status));
  const decoded = op.decode(res.status, res.body, inspect);
  if ('record' in decoded) return decoded;
  const strategy = op.pagination!;
  const view = { body: res.body, headers: res.headers, records: decoded.records };
  // Too long for this way of paging: the list starts again another way, this answer unused.
  const restart = strategy.restart?.(view, page!);
  if (restart !== undefined) return callOperation(c, op, { ...params, [strategy.cursorParam!]: restart }, o);
  const cut = strategy.truncated?.(view);
  if (cut) {
    throw new PaginationError(
      `${op.name}: the API says the list goes on (${cut}), but the manifest declares no pagination for it, so records would be missing. ` +
        'Declare how the list pages (see docs/manifest.md, Pagination).',
      null,
    );
  }
  const next = strategy.next(view, page!, { operation: op.name, origin: c.origin, secretQueryName: c.auth.secretQueryName });
  return { records: decoded.records, next, total: strategy.total?.(res.body), ...(page!.once ? { once: true } : {}) };
}
