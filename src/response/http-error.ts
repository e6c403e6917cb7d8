import {
  AuthenticationError,
  HttpError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  type ApiErrorDetail,
} from '../errors.js';
import type { ErrorSpec } from '../manifest/types.js';
import { header } from '../transport/headers.js';
import { compileGetter, type Getter } from './path.js';

export interface ErrorContext {
  operation: string;
  method: string;
  /** Path and query of the request. */
  url: string;
  /** Which credential the API judged, for 401/403 advice. */
  credential: string | undefined;
  /** Path parameters of the call, to say what was not found. */
  target: string | undefined;
}

/** Compiled once per manifest: turns a non-2xx answer into the fitting typed error. */
export type HttpErrorFactory = (
  status: number,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  ctx: ErrorContext,
) => HttpError;

/** Finds the API's request id in an error body, where the manifest says it is. */
export function compileRequestId(spec: ErrorSpec): (body: unknown) => string | undefined {
  if (!spec.request_id) return () => undefined;
  const at = compileGetter(spec.request_id);
  return (body) => {
    const id = at(body);
    return typeof id === 'string' && id !== '' ? id : undefined;
  };
}

export function compileErrorFactory(spec: ErrorSpec, redact: (s: string) => string): HttpErrorFactory {
  const requestIdOf = compileRequestId(spec);
  const listAt: Getter | undefined = spec.list ? compileGetter(spec.list) : undefined;
  const codeKey = spec.code ?? 'code';
  const messageKey = spec.message ?? 'message';
  const resetHeader = spec.rate_limit?.reset?.toLowerCase();

  return (status, body, headers, ctx) => {
    const requestId = requestIdOf(body);
    const details: ApiErrorDetail[] = [];
    const list = listAt?.(body);
    if (Array.isArray(list)) {
      for (const item of list) {
        if (item === null || typeof item !== 'object') continue;
        const entry = item as Record<string, unknown>;
        const detail: ApiErrorDetail = {};
        if (typeof entry[codeKey] === 'string') detail.code = entry[codeKey] as string;
        if (typeof entry[messageKey] === 'string') detail.message = redact(entry[messageKey] as string);
        if (typeof entry.field === 'string') detail.field = entry.field;
        details.push(detail);
      }
    }
    const said = details.map((d) => [d.code, d.message].filter(Boolean).join(': ')).filter(Boolean).join('; ');
    const api = `HTTP ${status}${said ? ` ${said}` : ''}${requestId ? `, request id ${requestId}` : ''}`;
    const where = `${ctx.operation} (${ctx.method} ${ctx.url.split('?')[0]})`;
    const extra = { status, requestId, details, method: ctx.method, url: ctx.url };
    const credential = ctx.credential ? `the ${ctx.credential} credential` : 'the credential';

    if (status === 401) {
      return new AuthenticationError('UNAUTHORIZED', `${where}: the API rejected ${credential} (${api}). Check that it is valid, complete and not revoked.`, extra);
    }
    if (status === 403) {
      return new PermissionError(
        'FORBIDDEN',
        `${where}: ${credential} lacks permission for this (${api}). Grant the token the scope this operation needs, or check the workspace's plan.`,
        extra,
      );
    }
    if (status === 404 || status === 410) {
      const what = ctx.target ? `no record with ${ctx.target}` : 'the resource does not exist';
      return new NotFoundError('NOT_FOUND', `${where}: ${what} (${api}). Check the id, and that it belongs to this workspace and region.`, extra);
    }
    if (status === 429) {
      const reset = resetHeader ? Number(header(headers, resetHeader)) : NaN;
      const resetAt = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined;
      const err = new RateLimitError(
        'RATE_LIMITED',
        `${where}: rate limit exceeded (${api}). ${resetAt ? `It resets at ${resetAt.toISOString()}; wait until then` : 'Wait a little'} before retrying.`,
        extra,
      );
      err.resetAt = resetAt;
      return err;
    }
    if (status >= 300 && status < 400) {
      const location = header(headers, 'location');
      const host = location && URL.canParse(location) ? ` to ${new URL(location).host}` : '';
      return new HttpError(
        'HTTP_ERROR',
        `${where}: the API redirected (${api})${host}. Redirects are not followed, so the credential never goes to another host; point baseUrl at the final address.`,
        extra,
      );
    }
    if (status >= 500) {
      return new ServerError('SERVER_ERROR', `${where}: the API failed (${api}). Retry later; quote the request id if it persists.`, extra);
    }
    return new HttpError('HTTP_ERROR', `${where}: the API refused the request (${api}). Check the parameters it names.`, extra);
  };
}

