import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Dispatcher } from 'undici';
import { buildBaseHeaders, checkCredentials, manifestRetry, resolveBaseUrl } from './config.js';
import { ConfigurationError, isConnectorError, PaginationError, ParameterError, ResponseError, UnknownOperationError } from './errors.js';
import { loadWithCompiled } from './manifest/compiled.js';
import type { JsonSchema, Manifest } from './manifest/types.js';
import type { RecordValidator } from './response/validate.js';
import type {
  ActionOf,
  CallOptions,
  EntityOf,
  ListActionOf,
  ListMeta,
  OperationMap,
  OperationRequest,
  RecordOf,
  ResultOf,
  UntypedOperation,
  UntypedOperations,
} from './operations.js';
import { compilePlans, type OperationPlan, type Plans } from './plan/compile.js';
import { buildHeaders, buildTarget } from './request/build.js';
import { compileErrorFactory, compileRequestId, type HttpErrorFactory } from './response/http-error.js';
import { didYouMean } from './suggest.js';
import { debugFromEnvironment } from './transport/diagnostics.js';
import { exchange, type ExchangeContext } from './transport/exchange.js';
import { RateLimiter } from './transport/rate-limiter.js';
import { mergeRetry, type RetryOptions, type RetryPolicy } from './transport/retry.js';

/** The manifest used when none is given: the package's own `connector.yaml`. */
export const DEFAULT_MANIFEST = fileURLToPath(new URL('../connector.yaml', import.meta.url));
/** Its compiled form, written by codegen; used when it matches the YAML. */
export const DEFAULT_COMPILED_MANIFEST = fileURLToPath(new URL('../generated/manifest.json', import.meta.url));

/** Defaults a user would expect; each is an option of createRuntime. */
export const DEFAULTS = {
  timeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxResponseBytes: 32 * 1024 * 1024,
  maxPages: 100_000,
} as const;

export interface RuntimeOptions {
  /** Values for the manifest's `auth.credentials`, e.g. `{ access_token }`. */
  credentials?: Record<string, string>;
  /** Overrides the manifest's base URL (e.g. a sandbox). Wins over `region`. */
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
  /** Allow a plain-http base URL that is not loopback (default false: the token would travel in clear). */
  allowInsecureHttp?: boolean;
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
}

/** A record field whose value does not match the manifest's schema, reported once per operation and field. */
export interface SchemaDrift {
  operation: string;
  field: string;
  message: string;
  /** The id of the first record found drifting, when it has one. */
  recordId?: unknown;
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
  /** paginate/pages: stop with a PaginationError after this many pages (default 100 000). */
  maxPages?: number;
  /**
   * paginate/pages: request the next page while the caller handles this one (default true).
   * At most one page ahead, paced by the rate limiter like any request.
   */
  prefetch?: boolean;
}

/** The cursor a list starts from: the one the caller passed, else null (the first page). */
function startCursor(plan: OperationPlan, params: Record<string, unknown> | undefined): string | null {
  const name = plan.pagination?.cursorParam;
  const value = name ? params?.[name] : undefined;
  return typeof value === 'string' ? value : null;
}

function listMeta(page: Page): ListMeta {
  return page.total === undefined ? { next_page: page.next } : { next_page: page.next, total_count: page.total };
}

/** One page of a list, as `pages()` yields it. */
export interface PageOf<R> {
  data: R[];
  meta: ListMeta;
  /** The cursor this page was fetched with (null for the first page). */
  cursor: string | null;
}

/**
 * The records of a list, page after page. `checkpoint` is the cursor to resume from so
 * that nothing already yielded is fetched again: it moves to the next page's cursor once
 * every record of the current page has been yielded.
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
  execute<E extends EntityOf<Ops>, A extends ActionOf<Ops, E>>(req: Req<Ops, E, A>): Promise<ResultOf<Ops, E, A>>;
  /**
   * Yields every record of a list, page after page, whatever the API's paging scheme.
   * A failure carries `resumeCursor`; pass it back as the cursor parameter to go on.
   * @example
   * for await (const c of runtime.paginate({ entity: 'contacts', action: 'list' })) console.log(c.id);
   */
  paginate<E extends EntityOf<Ops>, A extends ListActionOf<Ops, E>>(req: Req<Ops, E, A>): Paginator<RecordOf<Ops, E, A>>;
  /**
   * Yields a list page by page, each with the cursor that fetched it and the next one:
   * store `meta.next_page` after handling a page to checkpoint a long export.
   */
  pages<E extends EntityOf<Ops>, A extends ListActionOf<Ops, E>>(req: Req<Ops, E, A>): AsyncGenerator<PageOf<RecordOf<Ops, E, A>>, void, undefined>;
  /** Closes the connections the runtime opened. */
  close(): Promise<void>;
}

/** A page being fetched. */
interface Inflight {
  cursor: string | null;
  page: Promise<Page>;
  stop(): void;
  /** Set while someone waits for this page: receives the next cursor read early from the raw text. */
  onGuess: ((cursor: string) => boolean) | undefined;
}

interface Page {
  records: Record<string, unknown>[] | undefined;
  record: Record<string, unknown> | undefined;
  next: string | null;
  total?: number;
}

/**
 * Creates a runtime for one connector and one set of credentials.
 *
 * @example
 * const runtime = await createRuntime({ credentials: { access_token: process.env.TOKEN! } });
 * const { data } = await runtime.execute({ entity: 'contacts', action: 'get', params: { id: '42' } });
 * await runtime.close();
 */
export async function createRuntime<Ops extends OperationMap = UntypedOperations>(options: RuntimeOptions = {}): Promise<Runtime<Ops>> {
  let manifest: Manifest;
  if (typeof options.manifest === 'object') manifest = options.manifest;
  else if (options.manifest === undefined) manifest = await loadWithCompiled(DEFAULT_MANIFEST, DEFAULT_COMPILED_MANIFEST);
  else manifest = await (await import('./manifest/load.js')).loadManifest(options.manifest);
  const mode = validationMode(options.validateResponses);
  // ajv is loaded only by runtimes that validate responses.
  const validators = mode === 'off' ? undefined : (await import('./response/validate.js')).createRecordValidators(manifest.schemas, { all: mode === 'warn' });
  // The generic map only narrows types; every call is checked against the manifest at run time.
  return new ConnectorRuntime(manifest, options, mode, validators) as unknown as Runtime<Ops>;
}

function validationMode(option: RuntimeOptions['validateResponses']): 'off' | 'warn' | 'strict' {
  if (option === true) return 'strict';
  if (option === false || option === undefined) return 'off';
  if (option === 'off' || option === 'warn' || option === 'strict') return option;
  throw new ConfigurationError(`validateResponses must be 'off', 'warn' or 'strict', got ${JSON.stringify(option)}.`);
}

// undici takes longer to load than the rest of the engine: it is loaded on the first request.
let undici: Promise<typeof import('undici')> | undefined;

class ConnectorRuntime {
  readonly manifest: Manifest;
  // Private fields: util.inspect and JSON.stringify never see them, and the headers hold the token.
  readonly #headers: Record<string, string>;
  readonly #plans: Plans;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #ownsDispatcher: boolean;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #retryLayers: (RetryOptions | undefined)[];
  readonly #httpError: HttpErrorFactory;
  readonly #exchange: ExchangeContext;
  readonly #strict: boolean;
  readonly #onDrift: (drift: SchemaDrift) => void;
  readonly #drifted = new Set<string>();
  #agent: Promise<Dispatcher> | undefined;

  constructor(
    manifest: Manifest,
    options: RuntimeOptions,
    validate: 'off' | 'warn' | 'strict',
    validatorFor: ((schema: JsonSchema) => RecordValidator) | undefined,
  ) {
    debugFromEnvironment();
    this.manifest = manifest;
    const secrets = checkCredentials(manifest, options.credentials ?? {});
    const redact = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);
    const base = resolveBaseUrl(manifest, options);
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#headers = buildBaseHeaders(manifest, options);
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#retryLayers = [manifestRetry(manifest), options.retry];
    this.#retry = mergeRetry(...this.#retryLayers);
    this.#ownsDispatcher = options.dispatcher === undefined;
    const connectTimeout = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    this.#exchange = {
      dispatcher: options.dispatcher,
      createDispatcher: () =>
        (this.#agent ??= (undici ??= import('undici')).then(
          ({ Agent }) => new Agent({ keepAliveTimeout: 10_000, connect: { timeout: connectTimeout } }),
        )),
      limiter: new RateLimiter(manifest.errors.rate_limit ?? {}),
      maxResponseBytes: options.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
      resetHeader: manifest.errors.rate_limit?.reset?.toLowerCase(),
      redact,
      requestIdOf: compileRequestId(manifest.errors),
    };
    this.#httpError = compileErrorFactory(manifest.errors, redact);
    this.#strict = validate === 'strict';
    this.#onDrift =
      options.onDrift ??
      ((d) => process.emitWarning(`${d.operation}: ${d.message} (record ${JSON.stringify(d.recordId)})`, { code: 'CONNECTOR_SCHEMA_DRIFT' }));
    this.#plans = compilePlans(manifest, validatorFor);
  }

  async execute(req: ExecuteRequest): Promise<UntypedOperation['result']> {
    const plan = this.#plan(req);
    const page = await this.#fetch(plan, req.params, req);
    if (page.records) return { data: page.records, meta: listMeta(page) };
    return { data: page.record! };
  }

  async *pages(req: ExecuteRequest): AsyncGenerator<PageOf<Record<string, unknown>>, void, undefined> {
    const plan = this.#plan(req);
    const strategy = plan.pagination;
    if (!plan.records || !strategy) {
      throw new ParameterError(`${plan.name} returns a single record; paginate works on lists. Use execute instead.`);
    }
    const maxPages = req.maxPages ?? DEFAULTS.maxPages;
    const prefetch = req.prefetch !== false;
    const params = { ...req.params };
    const seen = new Set<string>();
    let cursor = startCursor(plan, params);
    // The next page, requested while this one is parsed or consumed: never more than one ahead.
    let ahead: Inflight | undefined;
    try {
      for (let n = 1; ; n++) {
        const current = ahead ?? this.#launch(plan, params, cursor, req);
        ahead = undefined;
        if (prefetch && n < maxPages) {
          // While we wait for this page, a cursor read from its raw text starts the next one.
          current.onGuess = (guess) => {
            if (guess === cursor || seen.has(guess)) return false;
            ahead = this.#launch(plan, params, guess, req);
            return true;
          };
        }
        let page: Page;
        try {
          page = await current.page;
        } catch (err) {
          if (isConnectorError(err)) err.resumeCursor = cursor;
          throw err;
        } finally {
          current.onGuess = undefined;
        }
        const next = page.next;
        const repeated = next !== null && (seen.has(next) || next === cursor);
        // Set by onGuess while we waited (hence the cast); a guess the parsed page contradicts is dropped.
        const guessed = ahead as Inflight | undefined;
        if (guessed && (guessed.cursor !== next || repeated)) {
          guessed.stop();
          ahead = undefined;
        }
        if (!ahead && prefetch && next !== null && !repeated && n < maxPages) ahead = this.#launch(plan, params, next, req);
        yield { data: page.records!, meta: listMeta(page), cursor };
        if (next === null) return;
        if (repeated) {
          throw new PaginationError(
            `${plan.name}: the API returned the cursor ${JSON.stringify(next)} again, so the next page would repeat records. ` +
              'Stopped instead of looping; resumeCursor is where to go on once the API recovers.',
            next,
          );
        }
        if (n >= maxPages) {
          throw new PaginationError(`${plan.name}: stopped after maxPages=${maxPages} pages; resume from resumeCursor or raise maxPages.`, next);
        }
        seen.add(next);
        cursor = next;
      }
    } finally {
      // The caller stopped early (break) or failed: the page requested ahead is not wanted.
      ahead?.stop();
    }
  }

  /** Starts fetching one page of a list; it can be stopped, and reports a cursor guess read from its raw text. */
  #launch(plan: OperationPlan, params: Record<string, unknown>, cursor: string | null, req: ExecuteRequest): Inflight {
    const controller = new AbortController();
    const forward = () => controller.abort(req.signal!.reason);
    if (req.signal?.aborted) controller.abort(req.signal.reason);
    else req.signal?.addEventListener('abort', forward, { once: true });
    const { cursorParam, peek } = plan.pagination!;
    const inflight: Inflight = { cursor, onGuess: undefined, stop: () => controller.abort(), page: undefined as unknown as Promise<Page> };
    const onText = peek
      ? (text: string): boolean => {
          const take = inflight.onGuess;
          if (!take) return false;
          const guess = peek(text);
          if (guess === undefined) return false;
          inflight.onGuess = undefined;
          return take(guess);
        }
      : undefined;
    const pageParams = cursorParam ? { ...params, [cursorParam]: cursor ?? undefined } : params;
    inflight.page = this.#fetch(plan, pageParams, { ...req, signal: controller.signal }, onText).finally(() =>
      req.signal?.removeEventListener('abort', forward),
    );
    // A page requested ahead and then dropped must not surface as an unhandled rejection.
    inflight.page.catch(() => {});
    return inflight;
  }

  paginate(req: ExecuteRequest): Paginator<Record<string, unknown>> {
    const state = { checkpoint: (null as string | null) };
    const pages = this.pages(req);
    async function* records(): AsyncGenerator<Record<string, unknown>, void, undefined> {
      try {
        for await (const page of pages) {
          state.checkpoint = page.cursor;
          yield* page.data;
          state.checkpoint = page.meta.next_page;
        }
      } finally {
        // An early break ends the page generator too, so no further request is made.
        await pages.return();
      }
    }
    const generator = records() as Paginator<Record<string, unknown>>;
    state.checkpoint = startCursor(this.#plan(req), req.params);
    Object.defineProperty(generator, 'checkpoint', { get: () => state.checkpoint, enumerable: true });
    return generator;
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher && this.#agent) await (await this.#agent).close();
  }

  [inspect.custom](): string {
    return `Runtime { connector: '${this.manifest.connector.name}', baseUrl: '${this.#origin}${this.#basePath}' }`;
  }

  toJSON(): object {
    return { connector: this.manifest.connector.name, baseUrl: this.#origin + this.#basePath };
  }

  #plan(req: ExecuteRequest): OperationPlan {
    const actions = this.#plans.get(req.entity);
    if (!actions) {
      throw new UnknownOperationError(
        'UNKNOWN_ENTITY',
        `Unknown entity ${JSON.stringify(req.entity)}.${didYouMean(String(req.entity), this.#plans.keys())} Valid entities: ${[...this.#plans.keys()].join(', ')}.`,
      );
    }
    const plan = actions.get(req.action);
    if (!plan) {
      throw new UnknownOperationError(
        'UNKNOWN_ACTION',
        `Entity "${req.entity}" has no action ${JSON.stringify(req.action)}.${didYouMean(String(req.action), actions.keys())} Valid actions: ${[...actions.keys()].join(', ')}.`,
      );
    }
    return plan;
  }

  #checkRecord(plan: OperationPlan, record: unknown, which: string, status: number): void {
    const problems = plan.check!(record);
    if (problems === undefined) return;
    const id = (record as { id?: unknown } | null)?.id;
    if (this.#strict) {
      throw new ResponseError(
        `${plan.name}: ${which}${id === undefined ? '' : ` (id ${JSON.stringify(id)})`} does not match the manifest's record schema: ${problems[0]!.message}. ` +
          'The API changed, or the manifest declares the field wrongly.',
        { status },
      );
    }
    for (const p of problems) {
      const key = `${plan.name}\u0000${p.field}`;
      if (this.#drifted.has(key)) continue;
      this.#drifted.add(key);
      this.#onDrift({ operation: plan.name, field: p.field, message: p.message, recordId: id });
    }
  }

  async #fetch(plan: OperationPlan, rawParams: unknown, req: ExecuteRequest, onText?: (text: string) => boolean): Promise<Page> {
    const params = plan.validate(rawParams);
    const query = plan.pagination ? plan.pagination.toQuery(params) : params;
    const target = this.#basePath + buildTarget(plan.template, query);
    const extra = buildHeaders(plan.template, query);
    const retry = req.retry ? mergeRetry(...this.#retryLayers, req.retry) : this.#retry;
    const res = await exchange(
      this.#exchange,
      {
        origin: this.#origin,
        path: target,
        method: plan.method,
        headers: extra ? { ...this.#headers, ...extra } : this.#headers,
        signal: req.signal,
        timeoutMs: req.timeoutMs ?? this.#timeoutMs,
        operation: plan.name,
      },
      retry,
      onText,
    );

    if (res.status < 200 || res.status >= 300) {
      const err = this.#httpError(res.status, res.body, res.headers, {
        operation: plan.name,
        method: plan.method,
        url: target,
        credential: this.manifest.auth.credential,
        target: plan.pathParams.length ? plan.pathParams.map((p) => `${p} ${JSON.stringify(params[p])}`).join(', ') : undefined,
      });
      err.attempts = res.attempts;
      throw err;
    }

    const body = res.body;
    if (plan.records) {
      const records = plan.records(body);
      if (!Array.isArray(records)) {
        throw new ResponseError(
          `${plan.name}: expected the records array at "${plan.recordsPath}" of the response, found ${records === undefined ? 'nothing' : typeof records}. ` +
            "The API changed or the manifest's `records` path is wrong.",
          { status: res.status },
        );
      }
      if (plan.normalize) for (const r of records) plan.normalize(r);
      if (plan.check) records.forEach((r, i) => this.#checkRecord(plan, r, `record ${i}`, res.status));
      return { records, record: undefined, next: plan.pagination!.nextCursor(body, query), total: plan.pagination!.total?.(body) };
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ResponseError(`${plan.name}: expected a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}.`, {
        status: res.status,
      });
    }
    plan.normalize?.(body as Record<string, unknown>);
    if (plan.check) this.#checkRecord(plan, body, 'the record', res.status);
    return { records: undefined, record: body as Record<string, unknown>, next: null };
  }
}
