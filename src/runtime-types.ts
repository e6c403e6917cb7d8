import type { Dispatcher } from 'undici';
import type { OAuth2Tokens } from './auth/oauth2.js';
import type { RequestPreview } from './call.js';
import type { Manifest } from './manifest/types.js';
import type { ActionOf, CallOptions, EntityOf, ListActionOf, OperationMap, OperationRequest, RecordOf, ResultOf, UntypedOperations } from './operations.js';
import type { PageOf } from './pagination/driver.js';
import type { SchemaDrift } from './response/drift.js';
import type { ProxySettings } from './transport/dispatcher.js';
import type { RetryOptions } from './transport/retry.js';

/** The public shapes of the runtime: its options, requests and the Runtime interface. */

/** Defaults a user would expect; each is an option of createRuntime. */
export const DEFAULTS = { timeoutMs: 30_000, connectTimeoutMs: 10_000, maxResponseBytes: 32 * 1024 * 1024, maxPages: 100_000 } as const;

export interface RuntimeOptions {
  /**
   * Values for the manifest's `auth.credentials`, e.g. `{ access_token }`; or `'env'` to read
   * each from the environment variable the manifest names for it (its `env`).
   */
  credentials?: Record<string, string> | 'env';
  /** Which of the manifest's `auth.methods` to use (default: the first whose credentials are given). */
  authMethod?: string;
  /** Values for the manifest's `server.variables`, e.g. `{ subdomain: 'acme' }`. */
  config?: Record<string, string>;
  /** Overrides the manifest's base URL (e.g. a sandbox). Wins over `region` and `config`. */
  baseUrl?: string;
  /** One of the manifest's `server.regions`. */
  region?: string;
  /** Overrides the version the manifest pins in its `api_version.header`. */
  apiVersion?: string;
  /** A manifest file path, or a manifest already loaded with `loadManifest`. */
  manifest?: string | Manifest;
  /** Longest time for one attempt, from sending to the last body byte (default 30 s). */
  timeoutMs?: number;
  /** Longest wait to open a connection (default 10 s); used by the runtime's own Agent. */
  connectTimeoutMs?: number;
  /** Retry policy; per-call `retry` and the manifest's `retry` section merge under it. */
  retry?: RetryOptions;
  /** Largest response body accepted (default 32 MiB); a larger one is a RESPONSE_TOO_LARGE error. */
  maxResponseBytes?: number;
  /** Allow a plain-http base URL that is not loopback (default false: the credential would travel in clear). */
  allowInsecureHttp?: boolean;
  /**
   * Send requests through a proxy: `{ httpsProxy, httpProxy, noProxy }`, or `'env'` for what
   * HTTPS_PROXY / HTTP_PROXY / NO_PROXY say. Default: no proxy (the command line, MCP server
   * and execute API follow the environment). Ignored when `dispatcher` is given.
   */
  proxy?: ProxySettings | 'env';
  /** An undici dispatcher (Agent, Pool, MockAgent...); the runtime makes a keep-alive Agent otherwise. */
  dispatcher?: Dispatcher;
  /** Extra headers on every request; they win over the manifest's. */
  headers?: Record<string, string>;
  /**
   * Check every record against the manifest's record schema: `'off'` (default: see the
   * README's benchmark), `'warn'` (report each drifting field once per operation through
   * `onDrift`, keep the records) or `'strict'` (throw a ResponseError naming the field).
   * `true` means `'strict'`.
   */
  validateResponses?: 'off' | 'warn' | 'strict' | boolean;
  /** Receives schema drift in `'warn'` mode; default: `process.emitWarning` (code CONNECTOR_SCHEMA_DRIFT). */
  onDrift?: (drift: SchemaDrift) => void;
  /** OAuth2: called with each new token, so a host can store a rotated refresh token. */
  onTokenRefresh?: (tokens: OAuth2Tokens) => void;
}

/** A request for any operation, before types narrow it. */
export interface ExecuteRequest extends RequestOptions {
  entity: string;
  action: string;
  params?: Record<string, unknown>;
}

/** Per-call options of execute, paginate and pages. */
export interface RequestOptions extends CallOptions {
  retry?: RetryOptions;
  /**
   * paginate/pages: read at most this many pages, then end (the paginator's `checkpoint`,
   * or the last page's `meta.next_page`, says where the rest starts). Without it, a list
   * longer than 100 000 pages stops with a PaginationError rather than run forever.
   */
  maxPages?: number;
  /** paginate/pages: request the next page while the caller handles this one (default true); at most one ahead. */
  prefetch?: boolean;
  /**
   * Keep only these fields of each record, nesting kept: dotted paths such as
   * `['id', 'custom_attributes.plan', 'tags.data']` give `{ id, custom_attributes: { plan }, tags: { data } }`
   * (a path through a list applies to each item). A first step the record schema does not
   * declare is a ParameterError (param `fields`) before any request. `['*']`: whole records.
   */
  fields?: readonly string[];
}

/**
 * The records of a list, page after page. `checkpoint` is the cursor to resume from so
 * that nothing already yielded is fetched again: it moves to the next page's cursor once
 * every record of the current page has been yielded. In the middle of a page the API
 * answers only once (`meta.once`: a scroll), it is null: only starting over loses nothing.
 */
export interface Paginator<R> extends AsyncGenerator<R, void, undefined> {
  readonly checkpoint: string | null;
}

type Req<Ops, E extends keyof Ops, A extends keyof Ops[E]> = OperationRequest<Ops, E, A> & RequestOptions;

export interface Runtime<Ops extends OperationMap = UntypedOperations> {
  readonly manifest: Manifest;
  /**
   * Runs one operation and returns `{ data, meta }` for lists, `{ data }` otherwise.
   * @example
   * const { data, meta } = await runtime.execute({ entity: 'contacts', action: 'list', params: { per_page: 50 } });
   */
  execute<E extends EntityOf<Ops>, A extends ActionOf<Ops, E>>(req: Req<Ops, E, A>, options?: RequestOptions): Promise<ResultOf<Ops, E, A>>;
  /**
   * Yields every record of a list, page after page, whatever the API's paging scheme.
   * A failure carries `resumeCursor`; pass it back as the cursor parameter to go on.
   * Per-call options go in the request or, as on the client, in a second argument.
   * @example
   * for await (const c of runtime.paginate({ entity: 'contacts', action: 'list' }, { signal, maxPages: 10 })) console.log(c.id);
   */
  paginate<E extends EntityOf<Ops>, A extends ListActionOf<Ops, E>>(req: Req<Ops, E, A>, options?: RequestOptions): Paginator<RecordOf<Ops, E, A>>;
  /**
   * Yields a list page by page, each with the cursor that fetched it and the next one:
   * store `meta.next_page` after handling a page to checkpoint a long export.
   */
  pages<E extends EntityOf<Ops>, A extends ListActionOf<Ops, E>>(req: Req<Ops, E, A>, options?: RequestOptions): AsyncGenerator<PageOf<RecordOf<Ops, E, A>>, void, undefined>;
  /**
   * The request a call would send (method, URL, headers with secrets redacted, body), after
   * the same checks as `execute`, without sending anything: a dry run of a write.
   * @example
   * const { method, url, body } = runtime.preview({ entity: 'tags', action: 'create', params: { name: 'vip' } });
   */
  preview<E extends EntityOf<Ops>, A extends ActionOf<Ops, E>>(req: Req<Ops, E, A>): RequestPreview;
  /** Closes the connections the runtime opened. */
  close(): Promise<void>;
}

