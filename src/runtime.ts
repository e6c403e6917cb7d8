import { fileURLToPath } from 'node:url';
import { Agent, type Dispatcher } from 'undici';
import { ConfigurationError, PaginationError, ParameterError, ResponseError, UnknownOperationError } from './errors.js';
import { loadManifest } from './manifest/load.js';
import type { Manifest } from './manifest/types.js';
import { compilePlans, type OperationPlan, type Plans } from './plan/compile.js';
import { buildHeaders, buildTarget } from './request/build.js';
import { compileErrorFactory, type HttpErrorFactory } from './response/http-error.js';
import { didYouMean } from './suggest.js';
import { send } from './transport/send.js';
import type {
  ActionOf,
  CallOptions,
  EntityOf,
  ListActionOf,
  OperationMap,
  OperationRequest,
  RecordOf,
  ResultOf,
  UntypedOperation,
  UntypedOperations,
} from './operations.js';

/** The manifest used when none is given: the package's own `connector.yaml`. */
export const DEFAULT_MANIFEST = fileURLToPath(new URL('../connector.yaml', import.meta.url));
const DEFAULT_TIMEOUT_MS = 30_000;

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
  /** Default time to wait for the response headers, then for each body chunk (default 30 s). */
  timeoutMs?: number;
  /** An undici dispatcher (Agent, Pool, MockAgent...); the runtime makes a keep-alive Agent otherwise. */
  dispatcher?: Dispatcher;
  /** Extra headers on every request; they win over the manifest's. */
  headers?: Record<string, string>;
  /**
   * Check every record against the manifest's record schema (default false); a mismatch
   * throws a ResponseError naming the field. Costs time per record: for tests and audits.
   */
  validateResponses?: boolean;
}

/** A request for any operation, before types narrow it. */
export interface ExecuteRequest extends CallOptions {
  entity: string;
  action: string;
  params?: Record<string, unknown>;
}

export interface Runtime<Ops extends OperationMap = UntypedOperations> {
  readonly manifest: Manifest;
  /**
   * Runs one operation and returns `{ data, meta }` for lists, `{ data }` otherwise.
   * @example
   * const { data, meta } = await runtime.execute({ entity: 'contacts', action: 'list', params: { per_page: 50 } });
   */
  execute<E extends EntityOf<Ops>, A extends ActionOf<Ops, E>>(req: OperationRequest<Ops, E, A>): Promise<ResultOf<Ops, E, A>>;
  /**
   * Yields every record of a list, page after page, whatever the API's paging scheme.
   * @example
   * for await (const c of runtime.paginate({ entity: 'contacts', action: 'list' })) console.log(c.id);
   */
  paginate<E extends EntityOf<Ops>, A extends ListActionOf<Ops, E>>(
    req: OperationRequest<Ops, E, A>,
  ): AsyncGenerator<RecordOf<Ops, E, A>, void, undefined>;
  /** Closes the connections the runtime opened. */
  close(): Promise<void>;
}

interface Page {
  records: Record<string, unknown>[] | undefined;
  record: Record<string, unknown> | undefined;
  next: string | null;
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
  const manifest =
    typeof options.manifest === 'object' ? options.manifest : await loadManifest(options.manifest ?? DEFAULT_MANIFEST);
  // The generic map only narrows types; every call is checked against the manifest at run time.
  return new ConnectorRuntime(manifest, options) as unknown as Runtime<Ops>;
}

class ConnectorRuntime {
  readonly manifest: Manifest;
  private readonly plans: Plans;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;
  private readonly httpError: HttpErrorFactory;
  private readonly credentialName: string | undefined;

  constructor(manifest: Manifest, options: RuntimeOptions) {
    this.manifest = manifest;
    const secrets = checkCredentials(manifest, options.credentials ?? {});
    const redact = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);
    const base = new URL(resolveBaseUrl(manifest, options));
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.headers = buildBaseHeaders(manifest, options);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connect: { timeout: this.timeoutMs } });
    this.httpError = compileErrorFactory(manifest.errors, redact);
    this.credentialName = manifest.auth.credential;
    this.plans = compilePlans(manifest, { validateRecords: options.validateResponses === true });
  }

  async execute(req: ExecuteRequest): Promise<UntypedOperation['result']> {
    const plan = this.plan(req);
    const page = await this.fetchPage(plan, req.params, req);
    if (page.records) return { data: page.records, meta: { next_page: page.next } };
    return { data: page.record! };
  }

  async *paginate(req: ExecuteRequest): AsyncGenerator<Record<string, unknown>, void, undefined> {
    const plan = this.plan(req);
    if (!plan.records || !plan.pagination) {
      throw new ParameterError(`${plan.name} returns a single record; paginate works on lists. Use execute instead.`);
    }
    const cursorParam = plan.pagination.cursorParam;
    const params = { ...req.params };
    const seen = new Set<string>();
    let cursor = cursorParam ? (params[cursorParam] as string | undefined) : undefined;
    for (;;) {
      if (cursorParam) params[cursorParam] = cursor;
      const page = await this.fetchPage(plan, params, req);
      yield* page.records!;
      if (page.next === null) return;
      if (seen.has(page.next) || page.next === cursor) {
        throw new PaginationError(
          `${plan.name}: the API returned the cursor ${JSON.stringify(page.next)} again, so the next page would repeat records. ` +
            'Stopped instead of looping; resume from resumeCursor once the API recovers.',
          page.next,
        );
      }
      seen.add(page.next);
      cursor = page.next;
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private plan(req: ExecuteRequest): OperationPlan {
    const actions = this.plans.get(req.entity);
    if (!actions) {
      throw new UnknownOperationError(
        'UNKNOWN_ENTITY',
        `Unknown entity ${JSON.stringify(req.entity)}.${didYouMean(String(req.entity), this.plans.keys())} Valid entities: ${[...this.plans.keys()].join(', ')}.`,
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

  private checkRecord(plan: OperationPlan, record: unknown, which: string, status: number): void {
    const problem = plan.check!(record);
    if (problem === undefined) return;
    const id = (record as { id?: unknown } | null)?.id;
    throw new ResponseError(
      `${plan.name}: ${which}${id === undefined ? '' : ` (id ${JSON.stringify(id)})`} does not match the manifest's record schema: ${problem}. ` +
        'The API changed, or the manifest declares the field wrongly.',
      { status },
    );
  }

  private async fetchPage(plan: OperationPlan, rawParams: unknown, req: ExecuteRequest): Promise<Page> {
    const params = plan.validate(rawParams);
    const query = plan.pagination ? plan.pagination.toQuery(params) : params;
    const target = this.basePath + buildTarget(plan.template, query);
    const extra = buildHeaders(plan.template, query);
    const res = await send(this.dispatcher, {
      origin: this.origin,
      path: target,
      method: plan.method,
      headers: extra ? { ...this.headers, ...extra } : this.headers,
      signal: req.signal,
      timeoutMs: req.timeoutMs ?? this.timeoutMs,
      operation: plan.name,
    });

    let body: unknown;
    try {
      body = res.text === '' ? undefined : JSON.parse(res.text);
    } catch (err) {
      if (res.status >= 200 && res.status < 300) {
        throw new ResponseError(
          `${plan.name}: the API answered ${res.status} with a body that is not JSON (${res.text.length} bytes, starting ${JSON.stringify(res.text.slice(0, 60))}).`,
          { status: res.status, cause: err },
        );
      }
    }
    if (res.status < 200 || res.status >= 300) {
      throw this.httpError(res.status, body, res.headers, {
        operation: plan.name,
        method: plan.method,
        url: target,
        credential: this.credentialName,
        target: plan.pathParams.length ? plan.pathParams.map((p) => `${p} ${JSON.stringify(params[p])}`).join(', ') : undefined,
      });
    }

    if (plan.records) {
      const records = plan.records(body);
      if (!Array.isArray(records)) {
        throw new ResponseError(
          `${plan.name}: expected the records array at "${plan.recordsPath}" of the response, found ${records === undefined ? 'nothing' : typeof records}. ` +
            'The API changed or the manifest\'s `records` path is wrong.',
          { status: res.status },
        );
      }
      if (plan.normalize) for (const r of records) plan.normalize(r);
      if (plan.check) records.forEach((r, i) => this.checkRecord(plan, r, `record ${i}`, res.status));
      return { records, record: undefined, next: plan.pagination!.nextCursor(body, query) };
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ResponseError(`${plan.name}: expected a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}.`, {
        status: res.status,
      });
    }
    plan.normalize?.(body as Record<string, unknown>);
    if (plan.check) this.checkRecord(plan, body, 'the record', res.status);
    return { records: undefined, record: body as Record<string, unknown>, next: null };
  }
}

/** Returns the secret values, after checking every required credential is there. */
function checkCredentials(manifest: Manifest, given: Record<string, string>): string[] {
  const declared = manifest.auth.credentials;
  for (const name of Object.keys(given)) {
    if (!(name in declared)) {
      throw new ConfigurationError(
        `Unknown credential "${name}" for connector ${manifest.connector.name}. It takes: ${Object.keys(declared).join(', ') || 'none'}.`,
      );
    }
  }
  const secrets: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name];
    const needed = spec.required !== false || name === manifest.auth.credential;
    if ((value === undefined || value === '') && needed) {
      const env = spec.env ? ` (hosts such as the CLI read it from ${spec.env})` : '';
      throw new ConfigurationError(
        `Missing credential "${name}"${spec.description ? ` (${spec.description})` : ''}. Pass createRuntime({ credentials: { ${name}: '...' } })${env}.`,
      );
    }
    if (typeof value === 'string' && value.length > 0 && spec.secret !== false) secrets.push(value);
  }
  return secrets;
}

function resolveBaseUrl(manifest: Manifest, options: RuntimeOptions): string {
  if (options.baseUrl !== undefined) {
    if (!/^https?:\/\/[^/?#\s]+/.test(options.baseUrl)) {
      throw new ConfigurationError(`baseUrl ${JSON.stringify(options.baseUrl)} is not an http(s) URL; pass e.g. "http://127.0.0.1:4010".`);
    }
    return options.baseUrl;
  }
  if (options.region !== undefined) {
    const url = manifest.server.regions?.[options.region];
    if (!url) {
      const regions = Object.keys(manifest.server.regions ?? {});
      throw new ConfigurationError(
        `Unknown region ${JSON.stringify(options.region)}. ${regions.length ? `Valid regions: ${regions.join(', ')}.` : 'This connector declares no regions.'}`,
      );
    }
    return url;
  }
  return manifest.server.base_url;
}

function buildBaseHeaders(manifest: Manifest, options: RuntimeOptions): Record<string, string> {
  // Lower-case names so that a caller's override replaces, not duplicates, a manifest header.
  const headers: Record<string, string> = {
    'user-agent': `connector-engine (${manifest.connector.name}/${manifest.connector.version})`,
  };
  for (const [k, v] of Object.entries(manifest.headers)) headers[k.toLowerCase()] = v;
  if (manifest.api_version) headers[manifest.api_version.header.toLowerCase()] = options.apiVersion ?? manifest.api_version.default;
  else if (options.apiVersion !== undefined) {
    throw new ConfigurationError(`Connector ${manifest.connector.name} declares no api_version; remove the apiVersion option.`);
  }
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
  if (manifest.auth.type === 'bearer') headers.authorization = `Bearer ${options.credentials![manifest.auth.credential!]}`;
  return headers;
}
