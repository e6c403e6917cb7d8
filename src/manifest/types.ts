/** A JSON Schema as written in a manifest (record schemas, shared schemas). */
export type JsonSchema = { [key: string]: unknown };

export type ParamType = 'string' | 'integer' | 'number' | 'boolean';
export type ParamLocation = 'query' | 'path' | 'header';

/** A parameter after `$ref` resolution: what the runtime and codegen read. */
export interface ParamSpec {
  type: ParamType;
  in: ParamLocation;
  required: boolean;
  description?: string;
  /** The name on the wire, when it differs from the name callers use. */
  wire_name?: string;
  default?: string | number | boolean;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

export interface CursorPagination {
  type: 'cursor';
  /** Parameter that carries the cursor, both for callers and on the wire. */
  param: string;
  /** Dotted path of the next cursor in the response body; absent/null/empty means last page. */
  next: string;
  page_size_param?: string;
  /** Dotted path of the total number of records, when the API gives it. */
  total?: string;
}

export interface PageNumberPagination {
  type: 'page_number';
  /** Opaque cursor parameter offered to callers; the engine translates it into a page number. */
  param: string;
  /** Query parameter the API reads the page number from. */
  page_param: string;
  page_size_param?: string;
  /** Dotted path of the current page number in the response. */
  current_page: string;
  /** Dotted path of the total number of pages in the response. */
  total_pages: string;
  /** Number of the first page (default 1). */
  first_page?: number;
  /** Dotted path of the total number of records, when the API gives it. */
  total?: string;
}

export interface NoPagination {
  type: 'none';
}

export type PaginationSpec = CursorPagination | PageNumberPagination | NoPagination;

export interface ActionSpec {
  description?: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  params: Record<string, ParamSpec>;
  /** Dotted path of the records array in a list response; absent for single-record actions. */
  records?: string;
  /** JSON Schema of one record (usually a `$ref` into `schemas`). */
  record?: JsonSchema;
  /** Name of a strategy under `pagination`. */
  pagination?: string;
}

export interface EntitySpec {
  title?: string;
  description?: string;
  actions: Record<string, ActionSpec>;
}

export interface CredentialSpec {
  type: 'string';
  required?: boolean;
  secret?: boolean;
  /** Environment variable that hosts (the CLI, the server) read this credential from. */
  env?: string;
  description?: string;
}

export interface AuthSpec {
  type: 'bearer' | 'none';
  /** Which credential is sent as the bearer token. */
  credential?: string;
  credentials: Record<string, CredentialSpec>;
}

export interface ErrorSpec {
  /** Dotted path of the request id in an error body. */
  request_id?: string;
  /** Dotted path of the array of error entries in an error body. */
  list?: string;
  /** Key of the code inside one entry. */
  code?: string;
  /** Key of the message inside one entry. */
  message?: string;
  rate_limit?: { limit?: string; remaining?: string; reset?: string };
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

/** A loaded, validated manifest with every parameter `$ref` resolved. */
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
  server: { base_url: string; regions?: Record<string, string> };
  auth: AuthSpec;
  headers: Record<string, string>;
  api_version?: { header: string; default: string };
  errors: ErrorSpec;
  retry?: RetrySpec;
  pagination: Record<string, PaginationSpec>;
  schemas: Record<string, JsonSchema>;
  entities: Record<string, EntitySpec>;
}
