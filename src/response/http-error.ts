import {
  AuthenticationError,
  ConflictError,
  UnprocessableError,
  HttpError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  type ApiErrorDetail,
} from '../errors.js';
import { compileGetter } from '../dotted-path.js';
import type { ErrorClass, ErrorSpec, ValueSource } from '../manifest/types.js';
import { header, type Headers } from '../transport/headers.js';
import { retryAfterMs, type RateLimitReader } from '../transport/rate-limit.js';

export interface ErrorContext {
  operation: string;
  method: string;
  /** Path and query of the request. */
  url: string;
  /** Which credentials the API judged, for 401/403 advice (e.g. "the access_token credential"). */
  credential: string | undefined;
  /** Path parameters of the call, to say what was not found. */
  target: string | undefined;
  /**
   * What the manifest says to do when this kind of request fails (a scroll that is already
   * open or expired): replaces the generic advice of a 4xx that is not about credentials.
   */
  advice?: string | undefined;
}

/** Compiled once per manifest: turns a non-2xx answer into the fitting typed error. */
export type HttpErrorFactory = (
  status: number,
  body: unknown,
  headers: Headers,
  ctx: ErrorContext,
  redact: (s: string) => string,
  kind?: ErrorClass,
) => HttpError;

type Read = (body: unknown, headers: Headers) => unknown;

function compileSource(source: ValueSource): Read {
  if ('header' in source) {
    const name = source.header.toLowerCase();
    return (_body, headers) => header(headers, name);
  }
  const get = compileGetter(source.path);
  return (body) => get(body);
}

/** Finds the API's request id in an answer, in the body or a header: the first source that has one. */
export function compileRequestId(spec: ErrorSpec): (body: unknown, headers: Headers) => string | undefined {
  const sources = spec.request_id.map(compileSource);
  if (sources.length === 0) return () => undefined;
  return (body, headers) => {
    for (const read of sources) {
      const id = read(body, headers);
      if ((typeof id === 'string' && id !== '') || typeof id === 'number') return String(id);
    }
    return undefined;
  };
}

/**
 * The class of an answer: the first matching rule, else what its status means. A 2xx
 * answer has a class only when a rule gives it one (a GraphQL `errors` list with 200).
 */
export function compileClassifier(spec: ErrorSpec): (status: number, headers: Headers, body: unknown) => ErrorClass | undefined {
  const rules = spec.rules.map((rule) => {
    const headerTests = Object.entries(rule.header ?? {}).map(([name, value]) => [name.toLowerCase(), value.trim()] as const);
    const bodyAt = rule.body ? compileGetter(rule.body.path) : undefined;
    const statuses = new Set(rule.status);
    return (status: number, headers: Headers, body: unknown): boolean => {
      if (!statuses.has(status)) return false;
      // "*" asks only that the header be there (a secondary limit that only sends retry-after).
      for (const [name, value] of headerTests) {
        const got = header(headers, name)?.trim();
        if (value === '*' ? got === undefined : got !== value) return false;
      }
      if (bodyAt) {
        const v = bodyAt(body);
        if (rule.body!.exists !== undefined && (v !== undefined && v !== null) !== rule.body!.exists) return false;
        if (rule.body!.equals !== undefined && (v === undefined || v === null || String(v) !== rule.body!.equals)) return false;
      }
      return true;
    };
  });
  return (status, headers, body) => {
    for (let i = 0; i < rules.length; i++) if (rules[i]!(status, headers, body)) return spec.rules[i]!.as;
    return classOfStatus(status);
  };
}

function classOfStatus(status: number): ErrorClass | undefined {
  if (status < 300) return undefined;
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 422) return 'unprocessable';
  if (status === 429) return 'rate_limit';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

/** The API's error entries, from every source the manifest names; each text goes through `redact`. */
export function compileDetails(spec: ErrorSpec): (body: unknown, redact: (s: string) => string) => ApiErrorDetail[] {
  const sources = spec.details.map((d) => ({
    at: compileGetter(d.path),
    code: compileGetter(d.code ?? 'code'),
    message: compileGetter(d.message ?? 'message'),
    field: d.field ? compileGetter(d.field) : undefined,
  }));
  return (body, redact) => {
    const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? redact(v) : typeof v === 'number' ? String(v) : undefined);
    const details: ApiErrorDetail[] = [];
    for (const s of sources) {
      const value = s.at(body);
      const entries = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
      for (const entry of entries) {
        if (typeof entry === 'string') {
          if (entry !== '') details.push({ message: redact(entry) });
          continue;
        }
        if (entry === null || typeof entry !== 'object') continue;
        const detail: ApiErrorDetail = {};
        const code = text(s.code(entry));
        const message = text(s.message(entry));
        const field = s.field ? text(s.field(entry)) : undefined;
        if (code !== undefined) detail.code = code;
        if (message !== undefined) detail.message = message;
        if (field !== undefined) detail.field = field;
        if (code !== undefined || message !== undefined) details.push(detail);
      }
    }
    return details;
  };
}

export function compileErrorFactory(spec: ErrorSpec, rateLimit: RateLimitReader): HttpErrorFactory {
  const requestIdOf = compileRequestId(spec);
  const detailsOf = compileDetails(spec);
  const classify = compileClassifier(spec);

  return (status, body, headers, ctx, redact, kind = classify(status, headers, body) ?? 'client_error') => {
    const found = requestIdOf(body, headers);
    const requestId = found === undefined ? undefined : redact(found);
    const details = detailsOf(body, redact);
    const said = details.map((d) => [d.code, d.message].filter(Boolean).join(': ')).filter(Boolean).join('; ');
    const api = `HTTP ${status}${said ? ` ${said}` : ''}${requestId ? `, request id ${requestId}` : ''}`;
    const url = redact(ctx.url);
    const where = `${ctx.operation} (${ctx.method} ${url.split('?')[0]})`;
    const extra = { status, requestId, details, method: ctx.method, url };
    // `ctx.credential` already says "credential" ("access_token credential").
    const credential = ctx.credential ? `the ${ctx.credential}` : 'the credential';

    if (status >= 300 && status < 400) {
      const location = header(headers, 'location');
      const host = location && URL.canParse(location) ? ` to ${new URL(location).host}` : '';
      return new HttpError(
        'HTTP_ERROR',
        `${where}: the API redirected (${api})${host}. Redirects are not followed, so the credential never goes to another host; point baseUrl at the final address.`,
        extra,
      );
    }
    // The manifest knows better than "check the parameters" for this request (e.g. a scroll).
    if (ctx.advice && (kind === 'not_found' || kind === 'client_error' || kind === 'unprocessable')) {
      const message = `${where}: the API refused the request (${api}). ${ctx.advice}`;
      if (kind === 'not_found') return new NotFoundError('NOT_FOUND', message, extra);
      return kind === 'unprocessable' ? new UnprocessableError('UNPROCESSABLE', message, extra) : new HttpError('HTTP_ERROR', message, extra);
    }
    switch (kind) {
      case 'authentication':
        return new AuthenticationError('UNAUTHORIZED', `${where}: the API rejected ${credential} (${api}). Check that it is valid, complete and not revoked.`, extra);
      case 'permission':
        return new PermissionError(
          'FORBIDDEN',
          `${where}: ${credential} lacks permission for this (${api}). Grant the token the scope this operation needs, or check the account's plan.`,
          extra,
        );
      case 'not_found': {
        // Without path parameters nothing the caller named is missing: the server lacks the path.
        const message = ctx.target
          ? `${where}: no record with ${ctx.target} (${api}). Check it, and that the record belongs to this account and region.`
          : `${where}: the server has no such path (${api}). Check the base URL, region and API version: they point at a server that does not serve this operation.`;
        return new NotFoundError('NOT_FOUND', message, extra);
      }
      case 'conflict':
        return new ConflictError(
          'CONFLICT',
          `${where}: the request conflicts with data the API holds (${api}). ` +
            (ctx.method === 'GET' ? 'Read the record again, then decide.' : 'A record matching these details may exist already: find it and update it, or change the values that must be unique.'),
          extra,
        );
      case 'unprocessable':
        return new UnprocessableError('UNPROCESSABLE', `${where}: the API will not apply this (${api}). Fix the fields it names and send again.`, extra);
      case 'rate_limit': {
        const now = Date.now();
        const wait = retryAfterMs(headers, now);
        const resetAt = rateLimit.resetAt(headers, now) ?? (wait === undefined ? undefined : now + wait);
        const at = resetAt !== undefined && resetAt > 0 ? new Date(resetAt) : undefined;
        const err = new RateLimitError(
          'RATE_LIMITED',
          `${where}: rate limit exceeded (${api}). ${at ? `It resets at ${at.toISOString()}; wait until then` : 'Wait a little'} before retrying.`,
          extra,
        );
        err.resetAt = at;
        return err;
      }
      case 'server_error':
        return new ServerError('SERVER_ERROR', `${where}: the API failed (${api}). Retry later; quote the request id if it persists.`, extra);
      default:
        return new HttpError('HTTP_ERROR', `${where}: the API refused the request (${api}). Check the parameters it names.`, extra);
    }
  };
}
