import {
  AuthenticationError,
  ConfigurationError,
  HttpError,
  isConnectorError,
  NotFoundError,
  ParameterError,
  PermissionError,
  RateLimitError,
  TimeoutError,
  UnknownOperationError,
} from '../errors.js';

/** HTTP error as the API answers it: `{ error: { code, message, request_id? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** An instance, definition, entity or action that does not exist (HTTP 404). */
export class NotFound extends Error {}

/** Engine errors become the statuses a host of the API expects. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof NotFound) return new ApiError(404, 'NOT_FOUND', err.message);
  if (!isConnectorError(err)) {
    return new ApiError(500, 'INTERNAL', 'the server failed; see its log.');
  }
  const upstream = { ...(err.status !== undefined ? { upstream_status: err.status } : {}), ...(err.requestId ? { request_id: err.requestId } : {}) };
  if (err instanceof UnknownOperationError) return new ApiError(404, err.code, err.message);
  if (err instanceof ParameterError) return new ApiError(400, err.code, err.message, err.param ? { param: err.param } : {});
  if (err instanceof ConfigurationError) return new ApiError(500, err.code, err.message);
  if (err instanceof RateLimitError) {
    const seconds = err.resetAt ? Math.max(1, Math.ceil((err.resetAt.getTime() - Date.now()) / 1000)) : 1;
    return new ApiError(429, err.code, err.message, upstream, { 'retry-after': String(seconds) });
  }
  if (err instanceof TimeoutError) return new ApiError(504, err.code, err.message);
  if (err instanceof NotFoundError) return new ApiError(404, err.code, err.message, upstream);
  if (err instanceof HttpError && err.status !== undefined && (err.status === 400 || err.status === 422)) return new ApiError(400, err.code, err.message, upstream);
  if (err instanceof AuthenticationError || err instanceof PermissionError) {
    return new ApiError(502, `UPSTREAM_${err.code}`, `the connector's stored credentials were refused upstream: ${err.message}`, upstream);
  }
  return new ApiError(502, err.code, err.message, upstream);
}
