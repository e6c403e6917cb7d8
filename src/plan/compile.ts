import type { Dispatcher } from 'undici';
import { paginationOf } from '../manifest/paging.js';
import type { ActionSpec, JsonSchema, Manifest } from '../manifest/types.js';
import { strategyFor } from '../pagination/index.js';
import type { PaginationStrategy } from '../pagination/strategy.js';
import { compileRequest, type RequestTemplate } from '../request/build.js';
import { compileParamValidator, type ParamValidator } from '../request/params.js';
import { compileDecoder, type Decoder } from '../response/decode.js';
import { compileClassifier, compileErrorFactory, compileRequestId, type HttpErrorFactory } from '../response/http-error.js';
import { compileNormalizer } from '../response/normalize.js';
import type { RecordValidator } from '../response/validate.js';
import type { ErrorClass } from '../manifest/types.js';
import type { Headers } from '../transport/headers.js';
import { compileRateLimit, type RateLimitReader } from '../transport/rate-limit.js';
import type { RetryOptions } from '../transport/retry.js';

/** Everything one operation needs at call time, computed once per manifest. */
export interface OperationPlan {
  entity: string;
  action: string;
  /** `entity.action`, for messages. */
  name: string;
  method: Dispatcher.HttpMethod;
  request: RequestTemplate;
  validate: ParamValidator;
  /** Names of path parameters, to say what a 404 did not find. */
  pathParams: string[];
  /** True for lists (their result has `meta`). */
  list: boolean;
  /** Lists only: unpaginated lists get the `none` strategy. */
  pagination: PaginationStrategy | undefined;
  decode: Decoder;
  record: JsonSchema | undefined;
  /** May be sent again after a failure that may have reached the API (reads, idempotent writes). */
  replayable: boolean;
  /** Header that carries one generated key per call, reused by its retries. */
  idempotencyKey: string | undefined;
}

/**
 * A manifest compiled for calls: every operation's plan, the error reading and the retry
 * conventions. Compiled once per manifest object and shared by every runtime that uses it
 * (a server with a thousand instances of one connector compiles it once).
 */
export interface ConnectorPlan {
  manifest: Manifest;
  operations: Map<string, Map<string, OperationPlan>>;
  rateLimit: RateLimitReader;
  classify: (status: number, headers: Headers, body: unknown) => ErrorClass | undefined;
  requestIdOf: (body: unknown, headers: Headers) => string | undefined;
  httpError: HttpErrorFactory;
  retry: RetryOptions | undefined;
  /** True when a rule classifies some 2xx answers as errors (GraphQL's `errors` with 200). */
  rulesOn2xx: boolean;
  /** Record validators, compiled on first use per validation mode. */
  validators: Map<string, Map<string, RecordValidator>>;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * An operation's parameter check, compiled on its first call: a query language (a search's
 * nested schemas) costs milliseconds to compile, and most runtimes call few operations.
 */
function lazyValidator(name: string, a: ActionSpec, schemas: Manifest['schemas']): ParamValidator {
  let validate: ParamValidator | undefined;
  return (params) => (validate ??= compileParamValidator(name, a.params, schemas, a.param_rules))(params);
}
const cache = new WeakMap<Manifest, ConnectorPlan>();

export function compileConnector(manifest: Manifest): ConnectorPlan {
  const cached = cache.get(manifest);
  if (cached) return cached;
  const rateLimit = compileRateLimit(manifest.errors.rate_limit);
  const operations = new Map<string, Map<string, OperationPlan>>();
  for (const [entity, e] of Object.entries(manifest.entities)) {
    const actions = new Map<string, OperationPlan>();
    for (const [action, a] of Object.entries(e.actions)) {
      const name = `${entity}.${action}`;
      const spec = paginationOf(manifest, a);
      actions.set(action, {
        entity,
        action,
        name,
        method: a.method,
        request: compileRequest(name, a),
        validate: lazyValidator(name, a, manifest.schemas),
        pathParams: Object.entries(a.params).filter(([, p]) => p.in === 'path').map(([n]) => n),
        list: a.records !== undefined,
        pagination: a.records ? strategyFor(spec ?? { type: 'none' }) : undefined,
        decode: compileDecoder(name, a, compileNormalizer(a.record, manifest.schemas)),
        record: a.record,
        replayable: READS.has(a.method) || a.idempotent === true || a.idempotency_key !== undefined,
        idempotencyKey: a.idempotency_key?.toLowerCase(),
      });
    }
    operations.set(entity, actions);
  }
  const r = manifest.retry;
  const plan: ConnectorPlan = {
    manifest,
    operations,
    rateLimit,
    classify: compileClassifier(manifest.errors),
    requestIdOf: compileRequestId(manifest.errors),
    httpError: compileErrorFactory(manifest.errors, rateLimit),
    retry: r && { limit: r.limit, maxWaitMs: r.max_wait_ms, baseDelayMs: r.base_delay_ms, statuses: r.statuses, serverErrorLimit: r.server_error_limit },
    rulesOn2xx: manifest.errors.rules.some((rule) => rule.status.some((s) => s >= 200 && s < 300)),
    validators: new Map(),
  };
  cache.set(manifest, plan);
  return plan;
}

/** The record validators of one mode, compiled once per manifest (ajv loads only for runtimes that validate). */
export async function validatorsFor(plan: ConnectorPlan, mode: 'warn' | 'strict'): Promise<Map<string, RecordValidator>> {
  const cached = plan.validators.get(mode);
  if (cached) return cached;
  const { createRecordValidators } = await import('../response/validate.js');
  const make = createRecordValidators(plan.manifest.schemas, { all: mode === 'warn' });
  const validators = new Map<string, RecordValidator>();
  for (const actions of plan.operations.values()) for (const op of actions.values()) if (op.record) validators.set(op.name, make(op.record));
  plan.validators.set(mode, validators);
  return validators;
}
