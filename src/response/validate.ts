import { Ajv, type ValidateFunction } from 'ajv';
import { RECORD_KEYWORDS } from '../manifest/record-schema.js';
import { regExpEngine } from '../regex.js';
import type { JsonSchema } from '../manifest/types.js';

/** One way a record departs from its schema. */
export interface SchemaProblem {
  /** JSON pointer of the field, array indexes dropped (`/tags/data` for every record's tags). */
  field: string;
  message: string;
}

/** Returns undefined for a valid record, else its problems (only the first unless `all`). */
export type RecordValidator = (record: unknown) => SchemaProblem[] | undefined;

/**
 * Compiles validators for an operation's record schema, once. The manifest's `#/schemas/X`
 * references are served from one shared schema document per manifest.
 */
export function createRecordValidators(schemas: Record<string, JsonSchema>, options: { all: boolean }): (schema: JsonSchema) => RecordValidator {
  // Record patterns run on RE2, as parameter patterns do: an API's answer cannot stall validation.
  const ajv = new Ajv({ strict: false, allErrors: options.all, allowUnionTypes: true, code: { regExp: regExpEngine } });
  for (const keyword of RECORD_KEYWORDS) ajv.addKeyword({ keyword });
  ajv.addSchema({ $id: 'manifest', definitions: rewriteRefs(schemas) });
  return (schema) => {
    const validate: ValidateFunction = ajv.compile(rewriteRefs(schema) as object);
    return (record) => {
      if (validate(record)) return undefined;
      return validate.errors!.map((e) => {
        const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty: string }).missingProperty)}` : '';
        const field = `${e.instancePath.replace(/\/\d+(?=\/|$)/g, '')}${missing}` || '(record)';
        return { field, message: `${field} ${missing ? 'is missing' : (e.message ?? 'is invalid')}` };
      });
    };
  };
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/schemas/') ? `manifest#/definitions/${v.slice(10)}` : rewriteRefs(v);
  }
  return out;
}
