import {
  AbortedError,
  AuthenticationError,
  ConfigurationError,
  ConflictError,
  HttpError,
  isConnectorError,
  ManifestError,
  NetworkError,
  NotFoundError,
  PaginationError,
  ParameterError,
  PermissionError,
  RateLimitError,
  ResponseError,
  ServerError,
  TimeoutError,
  UnknownOperationError,
  UnprocessableError,
} from '../errors.js';

import { UsageError } from '../host/command.js';

export { UsageError };

/**
 * Exit codes, one per error class, so scripts can branch on `$?`. Most specific first:
 * the subclasses of HttpError come before it.
 */
export const EXIT_CODES: [name: string, code: number, test: (err: unknown) => boolean][] = [
  ['usage', 2, (e) => e instanceof UsageError],
  ['configuration', 3, (e) => e instanceof ConfigurationError],
  ['manifest', 4, (e) => e instanceof ManifestError],
  ['unknown operation', 5, (e) => e instanceof UnknownOperationError],
  ['invalid parameters', 6, (e) => e instanceof ParameterError],
  ['authentication (401)', 7, (e) => e instanceof AuthenticationError],
  ['permission (403)', 8, (e) => e instanceof PermissionError],
  ['not found (404)', 9, (e) => e instanceof NotFoundError],
  ['rate limited (429)', 10, (e) => e instanceof RateLimitError],
  ['server error (5xx)', 11, (e) => e instanceof ServerError],
  // Before the generic HTTP error they are a kind of; numbered after the others, which keep theirs.
  ['conflict (409)', 18, (e) => e instanceof ConflictError],
  ['unprocessable (422)', 19, (e) => e instanceof UnprocessableError],
  ['other HTTP error', 12, (e) => e instanceof HttpError],
  ['timeout', 13, (e) => e instanceof TimeoutError],
  ['network', 14, (e) => e instanceof NetworkError],
  ['invalid response', 15, (e) => e instanceof ResponseError],
  ['pagination', 16, (e) => e instanceof PaginationError],
  ['aborted', 17, (e) => e instanceof AbortedError],
];

export const EXIT_INTERRUPTED = 130;
/** SIGTERM: 128 + 15, as a shell reports a process the signal ended. */
export const EXIT_TERMINATED = 143;

export function exitCodeFor(err: unknown): number {
  for (const [, code, test] of EXIT_CODES) if (test(err)) return code;
  return 1;
}

/** What to do about an error, beyond its message. */
export function adviceFor(err: unknown, tokenHint: string): string {
  if (err instanceof AuthenticationError) return ` Check the token (${tokenHint}).`;
  if (err instanceof PermissionError) return ' Check the scopes of the token.';
  if (err instanceof UsageError) return ' See --help.';
  if (isConnectorError(err) && err.resumeCursor) return ` Resume with --starting-after '${err.resumeCursor}'.`;
  return '';
}
