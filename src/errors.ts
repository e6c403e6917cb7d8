// A brand shared by every copy of this package loaded in one process, so that `instanceof`
// and isConnectorError() recognise an error thrown by another copy.
const BRAND = Symbol.for('connector-engine.error');
type Branded = { [BRAND]: readonly string[] };

/** True for any error thrown by the engine, whichever copy of the package threw it. */
export function isConnectorError(value: unknown): value is ConnectorError {
  return typeof value === 'object' && value !== null && Array.isArray((value as Partial<Branded>)[BRAND]);
}

/**
 * Every error the engine throws is a `ConnectorError` with a stable `code`, so hosts can
 * branch on `err.code` (or `instanceof`) without parsing messages.
 *
 * @example
 * try { await runtime.execute({ entity: 'contacts', action: 'get', params: { id } }) }
 * catch (err) { if (err instanceof NotFoundError) return null; throw err }
 */
export class ConnectorError extends Error {
  readonly code: string;
  /** HTTP status of the upstream answer, when there was one. */
  readonly status: number | undefined;
  /** The upstream API's request id, when it sent one: quote it to the vendor's support. */
  readonly requestId: string | undefined;
  /** How many times the request was sent before this error (retries included); 0 when it failed before any request. */
  attempts = 0;
  /**
   * Set when a pagination failed: the cursor to resume from (null: from the beginning).
   * Every record before it was delivered; nothing after it was.
   */
  resumeCursor: string | null | undefined;

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Class names, not identities: another copy of the package has other class objects.
    return isConnectorError(value) && (value as unknown as Branded)[BRAND].includes(this.name);
  }

  constructor(
    code: string,
    message: string,
    extra: { status?: number; requestId?: string; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = extra.status;
    this.requestId = extra.requestId;
    const lineage: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) lineage.push((c as { name: string }).name);
    Object.defineProperty(this, BRAND, { value: lineage });
  }
}

/** Where in a manifest file a problem sits. */
export interface ManifestIssue {
  /** Dotted location inside the document, e.g. `entities.contacts.actions.list.path`. */
  path: string;
  line: number;
  column: number;
  message: string;
}

/** The manifest cannot be used; `issues` lists every problem found, each with its line. */
export class ManifestError extends ConnectorError {
  readonly file: string;
  readonly issues: readonly ManifestIssue[];

  constructor(file: string, issues: ManifestIssue[]) {
    const shown = issues.slice(0, 10).map((i) => `  ${file}:${i.line}:${i.column} ${i.path ? `${i.path}: ` : ''}${i.message}`);
    const more = issues.length > 10 ? [`  ... and ${issues.length - 10} more`] : [];
    super(
      'MANIFEST_INVALID',
      `Invalid connector manifest ${file} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${[...shown, ...more].join('\n')}`,
    );
    this.file = file;
    this.issues = issues;
  }
}

/** The runtime was given options it cannot work with (missing credential, unknown region...). */
export class ConfigurationError extends ConnectorError {
  constructor(message: string) {
    super('INVALID_CONFIGURATION', message);
  }
}

/** The entity or action is not in the manifest. */
export class UnknownOperationError extends ConnectorError {
  constructor(code: 'UNKNOWN_ENTITY' | 'UNKNOWN_ACTION', message: string) {
    super(code, message);
  }
}

/** The call's parameters do not match what the manifest declares; nothing was sent. */
export class ParameterError extends ConnectorError {
  /** The offending parameter, when one is to blame. */
  readonly param: string | undefined;

  constructor(message: string, param?: string) {
    super('INVALID_PARAMETERS', message);
    this.param = param;
  }
}

/** One error entry as the upstream API reported it. */
export interface ApiErrorDetail {
  code?: string;
  message?: string;
  field?: string;
}

/** The upstream API answered with a non-2xx status. Subclasses narrow the common cases. */
export class HttpError extends ConnectorError {
  /** The API's own error entries, found where the manifest says they are. */
  readonly details: readonly ApiErrorDetail[];
  readonly method: string;
  /** The requested URL path and query (never contains credentials). */
  readonly url: string;

  constructor(
    code: string,
    message: string,
    extra: { status: number; requestId?: string; details: ApiErrorDetail[]; method: string; url: string },
  ) {
    super(code, message, extra);
    this.details = extra.details;
    this.method = extra.method;
    this.url = extra.url;
  }
}

/** 401: the credential is missing, wrong or revoked. */
export class AuthenticationError extends HttpError {}
/** 403: the credential is valid but lacks a scope or the plan lacks the feature. */
export class PermissionError extends HttpError {}
/** 404 (or 410): the record or route does not exist. */
export class NotFoundError extends HttpError {}
/** 429: the API's rate limit was exceeded. `resetAt` is when it lifts, if the API said. */
export class RateLimitError extends HttpError {
  resetAt: Date | undefined;
}
/** 5xx: the API failed; usually worth retrying later. */
export class ServerError extends HttpError {}

/** 409: the request conflicts with the state of a record (it exists already, it changed meanwhile). */
export class ConflictError extends HttpError {}
/** 422: the API understood the write but will not apply it; `details` name the fields at fault. */
export class UnprocessableError extends HttpError {}

/** No answer in time. `beforeSending`: the connection was never made, so nothing reached the API. */
export class TimeoutError extends ConnectorError {
  readonly beforeSending: boolean;
  constructor(message: string, cause?: unknown, beforeSending = false) {
    super('TIMEOUT', message, { cause });
    this.beforeSending = beforeSending;
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends ConnectorError {
  constructor(message: string, cause?: unknown) {
    super('ABORTED', message, { cause });
  }
}

/** The connection failed (refused, reset, DNS...). `beforeSending`: it was never made, so nothing reached the API. */
export class NetworkError extends ConnectorError {
  readonly beforeSending: boolean;
  constructor(message: string, cause?: unknown, beforeSending = false) {
    super('NETWORK_ERROR', message, { cause });
    this.beforeSending = beforeSending;
  }
}

/**
 * An answer the engine cannot use: a 2xx body that is not JSON or not where the manifest
 * says (`INVALID_RESPONSE`), or a body over the size limit (`RESPONSE_TOO_LARGE`).
 */
export class ResponseError extends ConnectorError {
  constructor(
    message: string,
    extra: { status?: number; requestId?: string; cause?: unknown; code?: 'INVALID_RESPONSE' | 'RESPONSE_TOO_LARGE' } = {},
  ) {
    super(extra.code ?? 'INVALID_RESPONSE', message, extra);
  }
}

/** Pagination cannot go on safely (e.g. the API returned the same cursor twice). */
export class PaginationError extends ConnectorError {
  constructor(message: string, resumeCursor: string | null) {
    super('PAGINATION_ERROR', message);
    this.resumeCursor = resumeCursor;
  }
}
