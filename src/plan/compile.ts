import type { JsonSchema, Manifest, PaginationSpec } from '../manifest/types.js';
import { cursorStrategy } from '../pagination/cursor.js';
import { noPagination } from '../pagination/none.js';
import { pageNumberStrategy } from '../pagination/page-number.js';
import type { PaginationStrategy } from '../pagination/strategy.js';
import { compileTemplate, type RequestTemplate } from '../request/build.js';
import { compileParamValidator, type ParamValidator } from '../request/params.js';
import { compileNormalizer, type Normalizer } from '../response/normalize.js';
import { compileGetter, type Getter } from '../response/path.js';
import type { RecordValidator } from '../response/validate.js';
import type { Dispatcher } from 'undici';

/** Everything one operation needs at call time, computed once when the manifest loads. */
export interface OperationPlan {
  entity: string;
  action: string;
  /** `entity.action`, for messages. */
  name: string;
  method: Dispatcher.HttpMethod;
  template: RequestTemplate;
  validate: ParamValidator;
  /** Names of path parameters, to say what a 404 did not find. */
  pathParams: string[];
  /** Where the records array sits; undefined for single-record actions. */
  records: Getter | undefined;
  recordsPath: string | undefined;
  pagination: PaginationStrategy | undefined;
  normalize: Normalizer | undefined;
  /** Present when the runtime validates responses against the record schema. */
  check: RecordValidator | undefined;
}

export type Plans = Map<string, Map<string, OperationPlan>>;

function strategyFor(spec: PaginationSpec): PaginationStrategy {
  switch (spec.type) {
    case 'cursor':
      return cursorStrategy(spec);
    case 'page_number':
      return pageNumberStrategy(spec);
    case 'none':
      return noPagination;
  }
}

/**
 * Compiles every operation of a manifest into a plan. `validatorFor`, when given, compiles
 * a record validator per operation (ajv is loaded only by runtimes that validate).
 */
export function compilePlans(manifest: Manifest, validatorFor?: (schema: JsonSchema) => RecordValidator): Plans {
  const strategies = new Map<string, PaginationStrategy>();
  for (const [name, spec] of Object.entries(manifest.pagination)) strategies.set(name, strategyFor(spec));
  const plans: Plans = new Map();
  for (const [entity, e] of Object.entries(manifest.entities)) {
    const actions = new Map<string, OperationPlan>();
    for (const [action, a] of Object.entries(e.actions)) {
      const name = `${entity}.${action}`;
      actions.set(action, {
        entity,
        action,
        name,
        method: a.method,
        template: compileTemplate(name, a.path, a.params),
        validate: compileParamValidator(name, a.params),
        pathParams: Object.entries(a.params).filter(([, p]) => p.in === 'path').map(([n]) => n),
        records: a.records ? compileGetter(a.records) : undefined,
        recordsPath: a.records,
        pagination: a.pagination ? strategies.get(a.pagination) : undefined,
        normalize: compileNormalizer(a.record, manifest.schemas),
        check: validatorFor && a.record ? validatorFor(a.record) : undefined,
      });
    }
    plans.set(entity, actions);
  }
  return plans;
}
