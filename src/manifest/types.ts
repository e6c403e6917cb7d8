/** A JSON Schema as written in a manifest (record schemas, shared schemas, body parameters). */
export type JsonSchema = { [key: string]: unknown };

export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
export type ParamLocation = 'query' | 'path' | 'header' | 'body';
/** How an array goes into a query string: `a=1&a=2`, `a=1,2` or `a[]=1&a[]=2`. */
export type ArrayStyle = 'repeat' | 'comma' | 'brackets';

/** A parameter after `$ref` resolution: what the runtime and codegen read. */
export interface ParamSpec {
  type: ParamType;
  in: ParamLocation;
  required: boolean;
  description?: string;
  /**
   * The name on the wire, when it differs from the name callers use. For `in: body` a
   * dotted name places the value inside nested objects (`pagination.per_page`).
   */
  wire_name?: string;
  /** Sent when the caller leaves the parameter out. */
  default?: unknown;
  /** A value shown in the reference docs' examples. */
  example?: unknown;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /** Arrays in the query: how they are written (default `repeat`). */
  style?: ArrayStyle;
  /** Arrays: the schema of each item. Objects: `properties`, `required`, `additionalProperties`. */
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  minItems?: number;
  maxItems?: number;
  /**
   * Object and array parameters: more JSON Schema the value must match, usually a `$ref` to a
   * shared schema (a query language with `if`/`then` rules and their `errorMessage`s, a union).
   */
  schema?: JsonSchema;
}

/** Where a page token (cursor, offset, page number) goes in the next request. */
export interface TokenPlacement {
  in: 'query' | 'header' | 'body' | 'path';
  /** Query or header name, dotted body path, or path placeholder. */
  name: string;
}

/** Stop conditions shared by every strategy that needs them. */
interface StopConditions {
  /** Dotted path of a boolean that says whether more pages exist (`has_more`, `pageInfo.hasNextPage`). */
  has_more?: string;
  /** Dotted path of the total number of records (also reported as `meta.total_count`). */
  total?: string;
  /** Stop when a page holds fewer records than the page size (saves the last, empty request). */
  stop_on_short_page?: boolean;
  /** The API's page size when the caller gives none (used by `stop_on_short_page`). */
  page_size?: number;
}

interface PagingBase extends StopConditions {
  /** The parameter callers pass the opaque cursor in (`meta.next_page` of the previous page). */
  param: string;
  /** The parameter that sets the page size, when the API has one. */
  page_size_param?: string;
}

/**
 * The API hands out the next cursor: from a body path (`next`), a header (`next_header`)
 * or a field of the page's last record (`last_record`). The cursor is passed through as is.
 */
export interface CursorPagination extends PagingBase {
  type: 'cursor';
  next?: string;
  next_header?: string;
  last_record?: string;
  /** Where the cursor goes (default: the query parameter named `param`). */
  inject?: TokenPlacement;
}

/** The API hands out the URL of the next page: in a body path (`next`) or the `Link` header. */
export interface NextUrlPagination extends PagingBase {
  type: 'next_url';
  next?: string;
  /** The `rel` of the `Link` header entry to follow (usually `next`). */
  link_rel?: string;
}

/** `offset`/`limit` style: the engine counts records; the token carries the offset. */
export interface OffsetPagination extends PagingBase {
  type: 'offset';
  /** Where the offset goes (e.g. `{ in: query, name: startAt }`). */
  inject: TokenPlacement;
  /** The offset of the first record (default 0). */
  first_offset?: number;
}

/** Page numbers: the engine issues an opaque cursor holding the page number and size. */
export interface PageNumberPagination extends PagingBase {
  type: 'page_number';
  /** Where the page number goes; `page_param` is the short form of `{ in: query, name }`. */
  inject?: TokenPlacement;
  page_param?: string;
  /** Dotted path of the current page number in the response. */
  current_page?: string;
  /** Dotted path of the total number of pages in the response. */
  total_pages?: string;
  /** Number of the first page (default 1). */
  first_page?: number;
  /**
   * Page numbers that reach only so far (some APIs stop at 10,000 records): when the first page's
   * `total` is above `after`, the list is read from the start with a scroll endpoint instead.
   */
  scroll?: ScrollFallback;
}

/** A scroll endpoint: `path` answers the first batch and a token (`next`); `param` sends it back; an empty batch ends it. */
export interface ScrollFallback {
  after: number;
  path: string;
  param: string;
  next: string;
  /** What a caller should do when the scroll is refused (one open at a time, an expiry). */
  hint?: string;
}

/** One response holds every record. */
export interface NoPagination {
  type: 'none';
  /** Dotted path of a flag that, when true, says the list was cut short (it becomes an error). */
  has_more?: string;
}

export type PaginationSpec = CursorPagination | NextUrlPagination | OffsetPagination | PageNumberPagination | NoPagination;
export type PagedSpec = Exclude<PaginationSpec, NoPagination>;

/** Where the records of a list are. */
export interface RecordsSpec {
  /** Dotted path; `$` is the response root (an API that answers with a bare array). */
  path: string;
  /** `empty`: a null or missing collection is an empty last page rather than an error. */
  missing?: 'error' | 'empty';
}

export interface ActionSpec {
  description?: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  params: Record<string, ParamSpec>;
  /** Where the records are in a list response; absent for single-record actions. */
  records?: RecordsSpec;
  /** A single record wrapped in an envelope (`{ "ticket": {...} }` → `ticket`). */
  unwrap?: string;
  /** JSON Schema of one record (usually a `$ref` into `schemas`). */
  record?: JsonSchema;
  /** The strategy: a name under `pagination`, or one declared in place. */
  pagination?: string | PaginationSpec;
  /** Fixed query entries, headers and JSON body fields, sent on every call of this action. */
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
  /** How a body is encoded (default json). */
  body_format?: 'json' | 'form';
  /** A write that is safe to send twice (e.g. a search over POST): it may be retried. */
  idempotent?: boolean;
  /**
   * Whether the action reads or writes, when the method does not say it: a POST declared
   * `idempotent` reads (a search) unless this says `write` (a create-or-update by key).
   */
  access?: 'read' | 'write';
  /** A header that carries one generated key per call, reused across retries, so retries are safe. */
  idempotency_key?: string;
  /**
   * Rules that tie parameters together (one of several is needed), as JSON Schemas over the
   * params object; each `errorMessage` is what a caller who breaks it reads.
   */
  param_rules?: JsonSchema[];
}

export interface EntitySpec {
  title?: string;
  description?: string;
  /**
   * The fields an agent needs to answer questions about a record (dotted paths into the
   * record schema: ids, names, states, timestamps, key relations). MCP tools answer with
   * these unless the caller names its own `fields`.
   */
  agent_fields?: string[];
  /** How `sync` keeps a local copy of this entity's records (see SyncSpec). */
  sync?: SyncSpec;
  actions: Record<string, ActionSpec>;
}

/**
 * How an entity is copied into a context store. A full pass reads every record with the
 * `full` list action (and finds deletions at its end); with `changes`, later passes read only
 * what changed since the last checkpoint (the highest `updated` value seen), starting
 * `lookback_s` before it to cover an API that matches timestamps coarsely (by day).
 */
export interface SyncSpec {
  /** The record field that identifies a record (default `id`). */
  id?: string;
  /** The record field that says when it last changed, in seconds (default `updated_at`). */
  updated?: string;
  /** The list action that reads every record. */
  full: string;
  changes?: {
    /** A list action that takes a filter (a search). */
    action: string;
    /** Its parameter that carries the filter. */
    param: string;
    /** The filter, with the string "{since}" where the start of the window goes (seconds). */
    filter: unknown;
    lookback_s?: number;
    /**
     * A parameter and value that make the feed answer newest first (`{ param: sort, value:
     * { field: updated_at, order: descending } }`): the pass then stops at the first page
     * that reaches the checkpoint, instead of reading the whole window a coarse filter returns.
     */
    newest_first?: { param: string; value: unknown };
  };
  /** The page size to ask for (default: the action's own). */
  page_size?: number;
  /** Fields searched often: each gets an index in the store. */
  indexes?: string[];
  /** With a change feed, a full pass still runs when the last one is older than this (deletions). */
  full_every_s?: number;
}

export interface CredentialSpec {
  type: 'string';
  /** Needed whatever the method (default: needed by the methods that use it). */
  required?: boolean;
  /** False for values that are not secret (an email, a client id); they are not redacted. */
  secret?: boolean;
  /** Environment variable that hosts (the CLI, the server) read this credential from. */
  env?: string;
  description?: string;
}

/** A text with `{name}` placeholders for credentials and server variables, e.g. `{email}/token`. */
export type Template = string;

/**
 * Every method has an `id`: its key under `auth.methods`, which callers may name to pick it,
 * and may add `headers` filled from credentials (an account id the API wants beside the token).
 */
interface MethodBase {
  id: string;
  headers?: Record<string, Template>;
}
export interface BearerAuth extends MethodBase {
  type: 'bearer';
  token: Template;
}
export interface BasicAuth extends MethodBase {
  type: 'basic';
  username: Template;
  password: Template;
}
export interface ApiKeyAuth extends MethodBase {
  type: 'api_key';
  in: 'header' | 'query';
  /** The header or query parameter name. */
  name: string;
  /** The value, with any prefix (`Token {api_key}`). */
  value: Template;
}
export interface OAuth2Auth extends MethodBase {
  type: 'oauth2';
  grant: 'refresh_token' | 'client_credentials';
  token_url: Template;
  client_id: Template;
  client_secret: Template;
  refresh_token?: Template;
  /** A token the caller already holds; used until it fails or expires. */
  access_token?: Template;
  scopes?: string[];
  /** How the client authenticates to the token endpoint (default `body`). */
  client_auth?: 'body' | 'basic';
  /** Seconds before expiry to refresh (default 60). */
  refresh_before_s?: number;
  /** How the token request's body is encoded (default form, as RFC 6749 says; some APIs want JSON). */
  body_format?: 'form' | 'json';
  /** Where the access token goes (default `Authorization`) and what precedes it (default `Bearer `). */
  header?: string;
  prefix?: string;
}
export interface NoAuth extends MethodBase {
  type: 'none';
}
export type AuthMethod = BearerAuth | BasicAuth | ApiKeyAuth | OAuth2Auth | NoAuth;

export interface AuthSpec {
  credentials: Record<string, CredentialSpec>;
  /** In order of preference: the first whose credentials the caller gave is used. */
  methods: AuthMethod[];
}

/** A value read from a response: a body path or a header. */
export type ValueSource = { path: string } | { header: string };

/** Where the API's error entries are: each becomes one `details` entry of an HttpError. */
export interface ErrorDetailSource {
  /** Dotted path; the value may be a list (of objects or strings), an object or a string. */
  path: string;
  /** Inside an object entry: dotted paths of its code, message and field. */
  code?: string;
  message?: string;
  field?: string;
}

export type ErrorClass = 'authentication' | 'permission' | 'not_found' | 'conflict' | 'unprocessable' | 'rate_limit' | 'server_error' | 'client_error';

/** Classifies an answer by its status and, optionally, a header or body value. */
export interface ErrorRule {
  status: number[];
  /** Header values the answer must have; `"*"` only asks that the header be there. */
  header?: Record<string, string>;
  /** A body path and the value it must have (compared as text). */
  body?: { path: string; equals?: string; exists?: boolean };
  as: ErrorClass;
}

export type ResetFormat = 'epoch_seconds' | 'epoch_ms' | 'delta_seconds' | 'http_date' | 'iso8601';

export interface RateLimitSpec {
  limit?: string;
  remaining?: string;
  reset?: string;
  /** How the reset header is written (default epoch_seconds). */
  reset_format?: ResetFormat;
}

export interface ErrorSpec {
  /** Where the request id is, first found wins. */
  request_id: ValueSource[];
  details: ErrorDetailSource[];
  rules: ErrorRule[];
  rate_limit?: RateLimitSpec;
}

/** The API's own retry conventions; the runtime's defaults fill the rest. */
export interface RetrySpec {
  limit?: number;
  max_wait_ms?: number;
  base_delay_ms?: number;
  statuses?: number[];
  /** Retries allowed for 5xx answers (e.g. an API that says "retry once"). */
  server_error_limit?: number;
}

/** A `{name}` of the base URL, filled from the connector's configuration. */
export interface ServerVariable {
  description?: string;
  default?: string;
  enum?: string[];
  /** What a value must match (default: one DNS label, so a value cannot change the host). */
  pattern?: string;
  env?: string;
}

/** A loaded, validated manifest with every parameter `$ref` resolved and shorthands expanded. */
export interface Manifest {
  /** The file it came from (or a label for in-memory text). */
  source: string;
  manifest_version: 1;
  connector: {
    name: string;
    title?: string;
    version: string;
    definition_id?: string;
    description?: string;
  };
  server: { base_url: string; regions?: Record<string, string>; variables?: Record<string, ServerVariable> };
  auth: AuthSpec;
  headers: Record<string, string>;
  api_version?: { header: string; default: string };
  errors: ErrorSpec;
  retry?: RetrySpec;
  pagination: Record<string, PaginationSpec>;
  schemas: Record<string, JsonSchema>;
  entities: Record<string, EntitySpec>;
}
