import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { connectAuth } from './auth/connect.js';
import { resolveCredentials } from './auth/env.js';
import { callOperation, previewOperation, type Connection, type RequestPreview } from './call.js';
import { buildBaseHeaders, resolveBaseUrl, serverVariables } from './config.js';
import { ConfigurationError, ParameterError, UnknownOperationError } from './errors.js';
import { DEFAULT_MANIFEST, loadDefaultManifest } from './manifest/default.js';
import type { Manifest } from './manifest/types.js';
import type { OperationMap, UntypedOperation, UntypedOperations } from './operations.js';
import { drivePages, listMeta, type FetchedPage, type PageOf } from './pagination/driver.js';
import { compileConnector, validatorsFor, type OperationPlan } from './plan/compile.js';
import { createRedactor } from './redact.js';
import { checkRecords } from './response/drift.js';
import { compileProjection, type Projection } from './response/project.js';
import { DEFAULTS, type ExecuteRequest, type Paginator, type RequestOptions, type Runtime, type RuntimeOptions } from './runtime-types.js';
import { didYouMean } from './suggest.js';
import { debugFromEnvironment } from './transport/diagnostics.js';
import { createDispatcher } from './transport/dispatcher.js';
import { RateLimiter } from './transport/rate-limiter.js';
import { mergeRetry, type RetryOptions, type RetryPolicy } from './transport/retry.js';

export { DEFAULTS } from './runtime-types.js';
export type { ExecuteRequest, Paginator, RequestOptions, Runtime, RuntimeOptions } from './runtime-types.js';
export type { PageOf } from './pagination/driver.js';
export type { SchemaDrift } from './response/drift.js';
export type { RequestPreview } from './call.js';

export { DEFAULT_MANIFEST };

type Rec = Record<string, unknown>;

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
  else if (options.manifest === undefined) manifest = await loadDefaultManifest();
  else manifest = await (await import('./manifest/load.js')).loadManifest(options.manifest);
  // Read once, here: the rest of the runtime only ever sees a record of credentials.
  if (options.credentials === 'env') options = { ...options, credentials: resolveCredentials(manifest, 'env', process.env) };
  const plan = compileConnector(manifest);
  const mode = validationMode(options.validateResponses);
  const checks = mode === 'off' ? undefined : checkRecords(await validatorsFor(plan, mode), mode, options.onDrift);
  const runtime = new ConnectorRuntime(manifest, options);
  runtime.connect(plan, options, checks);
  // The generic map only narrows types; every call is checked against the manifest at run time.
  return runtime as unknown as Runtime<Ops>;
}

function validationMode(option: RuntimeOptions['validateResponses']): 'off' | 'warn' | 'strict' {
  if (option === true) return 'strict';
  if (option === false || option === undefined) return 'off';
  if (option === 'off' || option === 'warn' || option === 'strict') return option;
  throw new ConfigurationError(`validateResponses must be 'off', 'warn' or 'strict', got ${JSON.stringify(option)}.`);
}


class ConnectorRuntime {
  readonly manifest: Manifest;
  // Private fields: util.inspect and JSON.stringify never see them, and the connection holds the credential.
  #c!: Connection;
  #retry!: RetryPolicy;
  #retryLayers!: (RetryOptions | undefined)[];
  #timeoutMs: number;
  #ownsDispatcher: boolean;
  #agent: Promise<Dispatcher> | undefined;

  constructor(manifest: Manifest, options: RuntimeOptions) {
    this.manifest = manifest;
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#ownsDispatcher = options.dispatcher === undefined;
  }

  /** Wires the parts: variables and base URL, auth, headers, the redactor, transport and retries. */
  connect(plan: Connection['plan'], options: RuntimeOptions, checks: Connection['checks']): void {
    debugFromEnvironment();
    const manifest = this.manifest;
    const credentials = typeof options.credentials === 'object' ? options.credentials : {};
    const variables = serverVariables(manifest, options.config, options.baseUrl !== undefined);
    const redact = createRedactor(Object.entries(credentials).filter(([n]) => manifest.auth.credentials[n]?.secret !== false).map(([, v]) => v));
    const base = resolveBaseUrl(manifest, options, variables);
    const connectTimeout = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    const dispatcher = async () => options.dispatcher ?? (this.#agent ??= createDispatcher({ connectTimeoutMs: connectTimeout, proxy: options.proxy }));
    const maxResponseBytes = options.maxResponseBytes ?? DEFAULTS.maxResponseBytes;
    const auth = connectAuth(manifest, { ...options, credentials, variables, redact, dispatcher, timeoutMs: this.#timeoutMs, maxResponseBytes });
    this.#retryLayers = [plan.retry, options.retry];
    this.#retry = mergeRetry(...this.#retryLayers);
    this.#c = {
      plan,
      origin: base.origin,
      basePath: base.pathname.replace(/\/+$/, ''),
      headers: { ...buildBaseHeaders(manifest, options, auth.headerNames), ...auth.fixed?.headers },
      auth,
      redact,
      checks,
      exchange: {
        dispatcher: options.dispatcher,
        createDispatcher: dispatcher,
        limiter: new RateLimiter(plan.rateLimit),
        maxResponseBytes,
        rateLimit: plan.rateLimit,
        classify: plan.classify,
        requestIdOf: plan.requestIdOf,
        redact,
      },
    };
  }

  async execute(request: ExecuteRequest, options?: RequestOptions): Promise<UntypedOperation['result']> {
    const req = options ? { ...request, ...options } : request;
    const op = this.#op(req);
    const keep = this.#projection(op, req.fields);
    const page = await this.#call(op, req.params, req, req.signal);
    if ('record' in page) return { data: (keep && page.record ? keep(page.record) : page.record) as Rec };
    return { data: keep ? page.records.map(keep) : page.records, meta: listMeta(page) };
  }

  async *pages(request: ExecuteRequest, options?: RequestOptions): AsyncGenerator<PageOf<Rec>, void, undefined> {
    const req = options ? { ...request, ...options } : request;
    const op = this.#op(req);
    if (!op.list) throw new ParameterError(`${op.name} returns a single record; paginate works on lists. Use execute instead.`);
    const keep = this.#projection(op, req.fields);
    const cursorParam = op.pagination!.cursorParam;
    const params = { ...req.params };
    const start = cursorParam && typeof params[cursorParam] === 'string' ? (params[cursorParam] as string) : null;
    // A cap the caller asked for ends the list there; the default one is a guard and fails loudly.
    const opts = { name: op.name, start, maxPages: req.maxPages ?? DEFAULTS.maxPages, endAtCap: req.maxPages !== undefined, prefetch: req.prefetch !== false, signal: req.signal };
    yield* drivePages(opts, (cursor, signal, lookahead) => {
      const pageParams = cursorParam ? { ...params, [cursorParam]: cursor ?? undefined } : params;
      const fetched = this.#call(op, pageParams, req, signal, lookahead) as Promise<FetchedPage<Rec>>;
      // Projected after the call: a strategy that reads the next cursor from the last record sees it whole.
      return keep ? fetched.then((p) => ({ ...p, records: p.records.map(keep) })) : fetched;
    });
  }

  paginate(request: ExecuteRequest, options?: RequestOptions): Paginator<Rec> {
    const req = options ? { ...request, ...options } : request;
    const cursorParam = this.#op(req).pagination?.cursorParam;
    const state = { checkpoint: cursorParam && typeof req.params?.[cursorParam] === 'string' ? (req.params[cursorParam] as string) : null };
    const pages = this.pages(req);
    async function* records(): AsyncGenerator<Rec, void, undefined> {
      try {
        for await (const page of pages) {
          // A page the API answers only once cannot be fetched again: mid-page, only starting over resumes.
          state.checkpoint = page.meta.once ? null : page.cursor;
          yield* page.data;
          state.checkpoint = page.meta.next_page;
        }
      } finally {
        // An early break ends the page generator too, so no further request is made.
        await pages.return();
      }
    }
    const generator = records() as Paginator<Rec>;
    Object.defineProperty(generator, 'checkpoint', { get: () => state.checkpoint, enumerable: true });
    return generator;
  }

  preview(request: ExecuteRequest): RequestPreview {
    return previewOperation(this.#c, this.#op(request), request.params);
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher && this.#agent) await (await this.#agent).close();
  }

  [inspect.custom](): string {
    return `Runtime { connector: '${this.manifest.connector.name}', baseUrl: '${this.#c.origin}${this.#c.basePath}' }`;
  }

  toJSON(): object {
    return { connector: this.manifest.connector.name, baseUrl: this.#c.origin + this.#c.basePath };
  }

  #call(op: OperationPlan, params: unknown, req: ExecuteRequest, signal: AbortSignal | undefined, lookahead?: Parameters<typeof callOperation>[3]['lookahead']) {
    const retry = req.retry ? mergeRetry(...this.#retryLayers, req.retry) : this.#retry;
    return callOperation(this.#c, op, params, { retry, timeoutMs: req.timeoutMs ?? this.#timeoutMs, signal, lookahead });
  }

  /** The field selection of a call, checked against the record schema before any request. */
  #projection(op: OperationPlan, fields: unknown): Projection | undefined {
    return compileProjection(fields, op.record, this.manifest.schemas, op.name);
  }

  #op(req: ExecuteRequest): OperationPlan {
    const ops = this.#c.plan.operations;
    const actions = typeof req.entity === 'string' ? ops.get(req.entity) : undefined;
    if (!actions) {
      throw new UnknownOperationError('UNKNOWN_ENTITY', `Unknown entity ${JSON.stringify(req.entity)}.${didYouMean(String(req.entity), ops.keys())} Valid entities: ${[...ops.keys()].join(', ')}.`);
    }
    const op = typeof req.action === 'string' ? actions.get(req.action) : undefined;
    if (!op) {
      throw new UnknownOperationError(
        'UNKNOWN_ACTION',
        `Entity "${req.entity}" has no action ${JSON.stringify(req.action)}.${didYouMean(String(req.action), actions.keys())} Valid actions: ${[...actions.keys()].join(', ')}.`,
      );
    }
    return op;
  }
}
